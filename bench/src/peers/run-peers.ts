// Peer benchmark (issue 9, benchmarks): `npm run bench -- --scenario NAME` (after `tsc -b`, through ../cli.js).
//   node bench/dist/src/cli.js --scenario quick [--requests N] [--out DIR] [--no-pytorch] [--image FILE]
//   node bench/dist/src/cli.js --list
// Per scenario: bench/results/peers/<scenario>/<date>-<sha7>.json, latest.json, latest.md and SVG plots, then
// docs/benchmarks.md (and, for `quick`, the table in bench/README.md) regenerated. --out DIR writes only to DIR.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { jpegDecoder } from '@tachyon-serve/core';
import { collectEnvironment } from '../environment.js';
import {
  BENCH_DIR,
  REPO_ROOT,
  createLog,
  loadImage,
  pickImage,
  positiveInt,
  sharedDir,
  writeJson,
} from '../server/bench-common.js';
import { round } from '../stats.js';
import { readCpuPeak } from './cpu-peak.js';
import { measureModel } from './measure-model.js';
import { modelMacsCached } from './model-macs.js';
import { PEER_DESCRIPTIONS, PEER_NAMES } from './peer-clients.js';
import { writePeerDocs } from './peer-docs.js';
import { calibrationImages, loadSuiteModels } from './peer-models.js';
import {
  PEER_REPORT_SCHEMA,
  renderPeerMarkdown,
  toPeerRow,
  type ModelInfo,
  type PeerReport,
  type PeerRow,
} from './peer-report.js';
import { PEER_SCENARIOS, requestsFor, scenarioByName } from './peer-scenarios.js';
import { latencyCdfSvg, throughputSvg } from './svg-plots.js';

const log = createLog('bench:peers');
const CALIBRATION_IMAGES = 8;

export async function runPeers(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scenario: { type: 'string' },
      list: { type: 'boolean' },
      requests: { type: 'string' },
      out: { type: 'string' },
      image: { type: 'string' },
      'no-pytorch': { type: 'boolean' },
    },
  });
  if (values.list || values.scenario === undefined) {
    for (const s of PEER_SCENARIOS)
      process.stdout.write(`${s.name.padEnd(24)} ${s.tier.padEnd(6)} ${s.models.join(', ')}: ${s.description}\n`);
    return;
  }
  const scenario = scenarioByName(values.scenario);
  const requestsOverride = positiveInt(values.requests, '--requests');
  const started = Date.now();
  const shared = sharedDir();
  const imagesDir = join(shared, 'images', 'imagenet-sample');
  const environment = await collectEnvironment(REPO_ROOT);
  const cpuPeak = readCpuPeak();
  const threads = availableParallelism();
  const image = values.image ? await loadImage(values.image) : await pickImage(imagesDir);
  log(
    `scenario ${scenario.name}: ${scenario.models.join(', ')}; levels ${scenario.levels.join(', ')}; load average ${environment.loadAverage1m}`,
  );

  const calibration = await calibrationImages(imagesDir, CALIBRATION_IMAGES);
  const benchModels = join(BENCH_DIR, 'models');
  const models = await loadSuiteModels(scenario.models, shared, benchModels, calibration, log);
  const macs = await modelMacsCached(
    models.map((m) => m.path),
    join(benchModels, 'macs-cache.json'),
    log,
  );
  const workDir = await mkdtemp(join(tmpdir(), 'tachyon-bench-peers-'));
  const rows: PeerRow[] = [];
  const infos: ModelInfo[] = [];
  const plots: { file: string; svg: string }[] = [];
  try {
    for (const model of models) {
      const m = macs.get(model.path)!;
      const peak = model.dtype === 'int8' ? cpuPeak.int8PeakOpsPerSecond : cpuPeak.fp32PeakOpsPerSecond;
      const result = await measureModel(model, {
        benchDir: BENCH_DIR,
        modelsDir: join(shared, 'models'),
        cacheDir: join(workDir, 'cache'),
        image: image.bytes,
        threads,
        calibration,
        levels: scenario.levels,
        requestsAt: (c) => requestsFor(scenario, model.id, c, requestsOverride),
        rounds: scenario.rounds,
        noPytorch: values['no-pytorch'] === true,
        log,
      });
      rows.push(...result.samples.map((s) => toPeerRow(model.id, s, m.macs, peak)));
      const st = result.serverTiming;
      const computeGops = st ? (2 * m.macs) / (st.computeP50Ms / 1000) / 1e9 : 0;
      infos.push({
        id: model.id,
        dtype: model.dtype,
        weights: model.weights,
        origin: model.origin,
        file: model.path.startsWith(REPO_ROOT) ? model.path.slice(REPO_ROOT.length + 1) : model.path,
        macs: m.macs,
        macNodes: m.nodes,
        pytorch: {
          arch: model.torchArch,
          dtype: model.dtype,
          weights: model.pytorchWeights,
          server: result.pytorch ?? { skipped: true },
        },
        ...(result.weightCheck
          ? { weightCheck: { ...result.weightCheck, sameWeights: model.weights === 'random' } }
          : {}),
        ...(st
          ? {
              tachyonCompute: {
                ...st,
                achievedGops: round(computeGops, 2),
                peakFraction: round((computeGops * 1e9) / peak, 5),
              },
            }
          : {}),
      });
      for (const c of scenario.levels) {
        const series = result.samples
          .filter((s) => s.concurrency === c)
          .map((s) => ({ name: s.name, samples: s.okMs }));
        if (series.some((s) => s.samples.length > 0))
          plots.push({
            file: `cdf-${model.id}-c${c}.svg`,
            svg: latencyCdfSvg(`${model.id}: latency CDF, ${c} client${c > 1 ? 's' : ''}, batch 1`, series),
          });
      }
      const byPeer = PEER_NAMES.map((p) => ({
        name: p,
        points: rows
          .filter((r) => r.model === model.id && r.peer === p)
          .map((r) => ({ concurrency: r.concurrency, throughput: r.throughput })),
      })).filter((s) => s.points.length > 0);
      plots.push({
        file: `throughput-${model.id}.svg`,
        svg: throughputSvg(`${model.id}: throughput vs concurrent clients, batch 1`, byPeer),
      });
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  environment.loadAverage1mEnd = Math.round(loadavg()[0]! * 100) / 100;

  const report: PeerReport = {
    schema: PEER_REPORT_SCHEMA,
    scenario: scenario.name,
    tier: scenario.tier,
    environment,
    cpuPeak,
    config: {
      image: { name: image.name, width: image.width, height: image.height, bytes: image.bytes.length },
      batch: 1,
      levels: scenario.levels,
      rounds: scenario.rounds,
      requestsOverride: requestsOverride ?? null,
      threads,
      calibrationImages: calibration.map((f) => f.split('/').pop()),
      peers: PEER_DESCRIPTIONS,
    },
    notes: [
      'Batch 1: every request carries one image. tachyon runs with its default scheduler (dynamic batching of requests already waiting, up to 8), as `tachyon serve` does; the other peers run one image per model call.',
      "Each peer's requests at a level are split into rounds; peers take turns round by round (starting peer rotated; before each burst a 100 ms pause and untimed calls: a full burst in the first round, 2 calls after), so a slow phase of the machine hits all of them.",
      'Latency is measured by the client (request sent to answer parsed); throughput = successful requests / timed seconds. "other cores" = CPU used by processes outside the benchmark and its servers.',
      `JPEG decoding: tachyon decodes with ${jpegDecoder() === 'libjpeg-turbo' ? 'libjpeg-turbo 3.1 (its fast path for plain JPEGs, docs/preprocessing.md)' : 'sharp (TACHYON_JPEG_DECODER=libvips)'}, raw-ort-sharp with sharp (libvips), PyTorch with PIL: part of any difference between them is the decoder, not the serving.`,
      ...(values['no-pytorch'] ? ['The PyTorch peer was left out (--no-pytorch).'] : []),
    ],
    models: infos,
    rows,
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
  const stamp = environment.date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '');
  const dir = values.out ? resolve(values.out) : join(BENCH_DIR, 'results', 'peers', scenario.name);
  await mkdir(dir, { recursive: true });
  const markdown = renderPeerMarkdown(report);
  await writeJson(
    report,
    values.out
      ? [join(dir, `${scenario.name}.json`)]
      : [join(dir, `${stamp}-${environment.gitSha.slice(0, 7)}.json`), join(dir, 'latest.json')],
  );
  await writeFile(join(dir, values.out ? `${scenario.name}.md` : 'latest.md'), `${markdown}\n`);
  for (const p of plots) await writeFile(join(dir, p.file), `${p.svg}\n`);
  log(`wrote ${dir} (${report.durationSeconds} s)`);
  if (!values.out) await writePeerDocs(REPO_ROOT, BENCH_DIR, report, log);
  process.stdout.write(`${markdown}\n`);
}
