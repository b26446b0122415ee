// tachyon benchmark CLI. Usage (after `tsc -b`):
//   node bench/dist/src/run.js [--scenarios a,b] [--iterations N] [--blocks N] [--image FILE] [--out FILE]
// --scenarios keeps the scenarios whose name equals a token, starts with `<token>/`, or has the token as one of its
// path segments: `preprocess`, `preprocess-libvips`, `raw-ort`, `tachyon-run`, `tachyon-e2e`, a model id (`mobilenetv2-int8`,
// `resnet50-random-fp32`), a preset, `worker-roundtrip`, `copy`/`transfer`, or a full name. Progress goes to stderr; the markdown table
// to stdout; JSON to bench/results/<date>-<sha>.json and bench/results/latest.json, or only to --out FILE.
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { OnnxRuntimeBackend } from '@tachyon-serve/core';
import { collectEnvironment } from './environment.js';
import { loadRandomModels, loadRealModels, type BenchModel } from './models.js';
import { computeDerived, evaluateTargets, renderMarkdown, writeReport, type BenchReport } from './report.js';
import {
  runModelScenarios,
  runPreprocessScenarios,
  runRoundTripScenarios,
  type BenchImage,
  type ModelCheck,
  type RunContext,
  type ScenarioResult,
} from './scenarios.js';

const BENCH_DIR = fileURLToPath(new URL('../../', import.meta.url));
const REPO_ROOT = resolve(BENCH_DIR, '..');
const IMAGE_WIDTH = 500;
const IMAGE_HEIGHT = 375;

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** A mistake on the command line: reported as one line, exit code 2. */
class UsageError extends Error {}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag}: expected an integer >= 1, got ${JSON.stringify(value)}`);
  return n;
}

function buildSelector(tokens: readonly string[] | null): (name: string) => boolean {
  if (tokens === null) return () => true;
  return (name) => tokens.some((t) => name === t || name.startsWith(`${t}/`) || name.split('/').includes(t));
}

/** The first JPEG of the sample set (by name) that is exactly 500x375, so the run is repeatable. */
async function pickImage(imagesDir: string): Promise<BenchImage> {
  for (const name of readdirSync(imagesDir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()) {
    const path = join(imagesDir, name);
    const meta = await sharp(path).metadata();
    if (meta.format === 'jpeg' && meta.width === IMAGE_WIDTH && meta.height === IMAGE_HEIGHT) {
      return { name, path, bytes: readFileSync(path), width: meta.width, height: meta.height };
    }
  }
  throw new Error(`no ${IMAGE_WIDTH}x${IMAGE_HEIGHT} JPEG in "${imagesDir}"`);
}

async function loadImage(path: string): Promise<BenchImage> {
  const meta = await sharp(path).metadata();
  return {
    name: basename(path),
    path: resolve(path),
    bytes: readFileSync(path),
    width: meta.width ?? 0,
    height: meta.height ?? 0,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenarios: { type: 'string' },
      iterations: { type: 'string' },
      blocks: { type: 'string' },
      image: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'node bench/dist/src/run.js [--scenarios a,b] [--iterations N] [--blocks N] [--image FILE] [--out FILE]\n',
    );
    return;
  }
  const iterations = positiveInt(values.iterations, '--iterations');
  const blocks = positiveInt(values.blocks, '--blocks');
  const filter = values.scenarios
    ? values.scenarios
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : null;
  const sharedDir = resolve(process.env['TACHYON_SHARED_DIR'] ?? join(REPO_ROOT, '..', 'shared'));
  const started = Date.now();

  const environment = await collectEnvironment(REPO_ROOT);
  const image = values.image
    ? await loadImage(values.image)
    : await pickImage(join(sharedDir, 'images', 'imagenet-sample'));
  log(
    `image ${image.name} (${image.width}x${image.height}); ${environment.cpuModel}, ${environment.cores} cores; load average ${environment.loadAverage1m}`,
  );

  const notes: string[] = [];
  const models: BenchModel[] = await loadRealModels(sharedDir);
  const random = loadRandomModels(join(BENCH_DIR, 'models'));
  if (random === undefined) {
    const note =
      'bench/models/manifest.json is missing: run `bash bench/setup/prepare.sh` once to export the random-weight ResNet-50/152, DenseNet-121 and VGG-16; they were skipped.';
    log(note);
    notes.push(note);
  } else {
    if (random.missing.length > 0) {
      const note = `bench/models lacks ${random.missing.join(', ')}: run \`bash bench/setup/prepare.sh\`; those models were skipped.`;
      log(note);
      notes.push(note);
    }
    models.push(...random.models);
    if (random.models.length > 0)
      notes.push('Random-weight models (weights: random) measure timing only; their outputs mean nothing.');
  }

  const backend = new OnnxRuntimeBackend();
  const ctx: RunContext = {
    image,
    backend,
    ...(iterations ? { iterations } : {}),
    ...(blocks ? { blocks } : {}),
    selected: buildSelector(filter),
    log,
  };
  const scenarios: ScenarioResult[] = [];
  const checks: ModelCheck[] = [];
  try {
    // One group at a time: nothing else runs while a contender is timed.
    scenarios.push(...(await runPreprocessScenarios(ctx)));
    scenarios.push(...(await runRoundTripScenarios(ctx)));
    for (const model of models) {
      const { results, check } = await runModelScenarios(ctx, model);
      scenarios.push(...results);
      if (check) checks.push(check);
    }
  } finally {
    await backend.close();
  }
  environment.loadAverage1mEnd = Math.round(loadavg()[0]! * 100) / 100;
  if (scenarios.length === 0) throw new UsageError(`no scenario matches --scenarios ${values.scenarios ?? ''}`);

  const derived = computeDerived(scenarios);
  const report: BenchReport = {
    environment,
    image: { name: image.name, path: image.path, width: image.width, height: image.height },
    config: {
      iterations: iterations ?? 'default',
      blocks: blocks ?? 'default',
      scenarioFilter: filter,
      intraOpThreads: backend.config.intraOpThreads,
      workers: backend.config.workers,
    },
    notes,
    checks,
    scenarios,
    derived,
    targets: evaluateTargets(derived),
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
  const stamp = environment.date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '');
  // --out is for ad-hoc runs: they must not replace the dated record nor latest.json.
  const paths = values.out
    ? [resolve(values.out)]
    : [
        join(BENCH_DIR, 'results', `${stamp}-${environment.gitSha.slice(0, 7)}.json`),
        join(BENCH_DIR, 'results', 'latest.json'),
      ];
  await writeReport(report, paths);
  log(`wrote ${paths.join(' and ')} (${report.durationSeconds} s)`);
  process.stdout.write(`${renderMarkdown(report)}\n`);
}

main().catch((error: unknown) => {
  if (
    error instanceof UsageError ||
    (error instanceof TypeError && 'code' in error && error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
  ) {
    log(error.message);
    process.exitCode = 2;
    return;
  }
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
