// Service-definition fusion benchmark (issue 3, item 4). Usage (after `tsc -b`):
//   node bench/dist/src/svcdef/run.js [--models a,b] [--no-keras] [--iterations N] [--blocks N] [--image FILE] [--out FILE]
// For each real model of ../shared/models: imageStage + featurizerStage(family, {dtype}) + defaultClassifier(), run
// fused and unfused, next to the full model alone (openServedModel, the engine); plus featurizer + Keras Dense head. Progress on
// stderr, markdown on stdout, JSON to bench/results/<date>-<sha>-svcdef.json and bench/results/latest-svcdef.json.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OnnxRuntimeBackend, compileModelSources } from '@tachyon-serve/core';
import { collectEnvironment } from '../environment.js';
import { REAL_MODEL_IDS } from '../models.js';
import {
  REPO_ROOT,
  createLog,
  loadImage,
  pickImage,
  positiveInt,
  resultPaths,
  sharedDir,
  writeJson,
} from '../server/bench-common.js';
import {
  computeSvcdefDerived,
  evaluateSvcdefTargets,
  renderSvcdefMarkdown,
  type SvcdefReport,
} from './svcdef-report.js';
import { runDefaultHeadGroup, runKerasHeadGroup, type SvcdefContext, type SvcdefGroup } from './svcdef-scenarios.js';

/** Sized so the whole run stays near 2 minutes on the 2-core VM (4 groups x 3 contenders). */
const DEFAULTS = Object.freeze({ iterations: 300, blocks: 30 });
const log = createLog('bench:svcdef');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      'no-keras': { type: 'boolean' },
      iterations: { type: 'string' },
      blocks: { type: 'string' },
      image: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'node bench/dist/src/svcdef/run.js [--models a,b] [--no-keras] [--iterations N] [--blocks N] [--image FILE] [--out FILE]\n',
    );
    return;
  }
  const iterations = positiveInt(values.iterations, '--iterations') ?? DEFAULTS.iterations;
  const blocks = positiveInt(values.blocks, '--blocks') ?? DEFAULTS.blocks;
  const models = values.models
    ? values.models
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : [...REAL_MODEL_IDS];
  for (const m of models)
    if (!(REAL_MODEL_IDS as readonly string[]).includes(m))
      throw new RangeError(`--models: "${m}" is not one of ${REAL_MODEL_IDS.join(', ')}`);
  const started = Date.now();
  const shared = sharedDir();
  const environment = await collectEnvironment(REPO_ROOT);
  const image = values.image
    ? await loadImage(values.image)
    : await pickImage(join(shared, 'images', 'imagenet-sample'));
  log(
    `image ${image.name} (${image.width}x${image.height}); ${environment.cpuModel}, ${environment.cores} cores; load average ${environment.loadAverage1m}`,
  );

  const workDir = await mkdtemp(join(tmpdir(), 'tachyon-bench-svcdef-'));
  const sources = compileModelSources({
    modelPath: [join(shared, 'models')],
    cacheDir: join(workDir, 'cache'),
    allowDownload: false,
    env: {},
  });
  const backend = new OnnxRuntimeBackend();
  const ctx: SvcdefContext = { image, backend, sources, workDir, iterations, blocks, log };
  const groups: SvcdefGroup[] = [];
  try {
    for (const id of models) groups.push(await runDefaultHeadGroup(ctx, id));
    if (!values['no-keras']) groups.push(await runKerasHeadGroup(ctx, 'mobilenetv2-int8'));
  } finally {
    await backend.close();
    await rm(workDir, { recursive: true, force: true });
  }
  environment.loadAverage1mEnd = Math.round(loadavg()[0]! * 100) / 100;

  const derived = computeSvcdefDerived(groups);
  const report: SvcdefReport = {
    environment,
    image: { name: image.name, path: image.path, width: image.width, height: image.height },
    config: {
      iterations,
      blocks,
      intraOpThreads: backend.config.intraOpThreads,
      workers: backend.config.workers,
      switchPauseMs: 100,
    },
    notes: [
      'All sessions share one OnnxRuntimeBackend (1 worker thread, intra-op threads = cores), as a served pipeline does.',
      'fused/unfused time ServicePipeline.scores([jpeg]) (scores before softmax/top-k); the full model times ServedModel.classifyImage(jpeg, 5), which also does softmax + top-5 (a few microseconds).',
      'The Keras-head group compares against the backbone full model with its 1000-class head: context, not a verdict.',
    ],
    groups: groups.map(({ rows: _r, machine: _m, ...g }) => g),
    scenarios: groups.flatMap((g) => g.rows),
    derived,
    targets: evaluateSvcdefTargets(groups, derived),
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
  const paths = resultPaths(environment, 'svcdef', values.out);
  await writeJson(report, paths);
  log(`wrote ${paths.join(' and ')} (${report.durationSeconds} s)`);
  process.stdout.write(`${renderSvcdefMarkdown(report, groups)}\n`);
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
