// Quantizer benchmark (issue "Own int8 quantizer", item 3). Usage (after `tsc -b`):
//   node bench/dist/src/quantize/run.js [--no-random] [--no-accuracy] [--iterations N] [--out FILE]
// Split of ../shared/images/imagenet-sample (1000 images, labels.tsv order = sorted file names): calibration on the
// 200 images at index i % 5 == 1, evaluation on the other 800. Progress on stderr, markdown on stdout, JSON to
// bench/results/<date>-<sha>-quantize.json and bench/results/latest-quantize.json.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OnnxRuntimeBackend, readLabelledImages, type CalibrationMethod } from '@tachyon-serve/core';
import { collectEnvironment } from '../environment.js';
import { loadRandomModels } from '../models.js';
import {
  BENCH_DIR,
  REPO_ROOT,
  createLog,
  machineLine,
  positiveInt,
  resultPaths,
  sharedDir,
  writeJson,
} from '../server/bench-common.js';
import {
  accuracyOf,
  latencyOf,
  quantizeAll,
  type AccuracyRow,
  type LatencyResult,
  type QuantizeRun,
} from './quantize-scenarios.js';

const METHODS: readonly CalibrationMethod[] = ['minmax', 'entropy', 'percentile'];
const SPLIT =
  'imagenet-sample sorted by file name: calibration = index % 5 == 1 (200 images), evaluation = the other 800';
const TARGETS = {
  squeezenetTop1LossMax: 1.0,
  mobilenetTop1LossMax: 0.5,
  mobilenetVsReferenceInt8Max: 1.05,
  randomInt8OverFp32Aim: 0.4,
};
const log = createLog('bench:quantize');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'no-random': { type: 'boolean' },
      'no-accuracy': { type: 'boolean' },
      iterations: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const iterations = positiveInt(values.iterations, '--iterations') ?? 60;
  const started = Date.now();
  const shared = sharedDir();
  const imagesDir = join(shared, 'images', 'imagenet-sample');
  const environment = await collectEnvironment(REPO_ROOT);
  log(machineLine(environment));
  const labelled = await readLabelledImages(join(imagesDir, 'labels.tsv'), imagesDir);
  const calibration = labelled.filter((_, i) => i % 5 === 1).map((l) => l.file);
  const evaluation = labelled.filter((_, i) => i % 5 !== 1);
  const image = await readFile(join(imagesDir, 'n01440764_tench.JPEG'));
  const workDir = await mkdtemp(join(tmpdir(), 'tachyon-bench-quantize-'));
  const backend = new OnnxRuntimeBackend();
  const quantized: QuantizeRun[] = [];
  const accuracy: Record<string, AccuracyRow[]> = {};
  const latency: Record<string, LatencyResult[]> = {};
  try {
    const real = [
      { id: 'squeezenet1.1', fp32: join(shared, 'models', 'squeezenet1.1-fp32.onnx'), preset: 'caffe227' as const },
      { id: 'mobilenetv2', fp32: join(shared, 'models', 'mobilenetv2-fp32.onnx'), preset: 'torchvision224' as const },
    ];
    for (const m of real) {
      const runs = await quantizeAll(m.id, m.fp32, m.preset, calibration, METHODS, workDir, log);
      quantized.push(...runs);
      const contenders = [
        { name: `${m.id}-fp32`, path: m.fp32 },
        ...runs.map((r) => ({ name: `${m.id}-int8-${r.method} (tachyon)`, path: r.out })),
      ];
      if (m.id === 'mobilenetv2')
        contenders.push({
          name: 'mobilenetv2-int8-qdq (reference)',
          path: join(shared, 'models', 'mobilenetv2-int8-qdq.onnx'),
        });
      if (!values['no-accuracy']) {
        log(`${m.id}: accuracy of ${contenders.length} models on ${evaluation.length} images`);
        accuracy[m.id] = await accuracyOf(contenders, m.preset, evaluation, backend, log);
      }
      const timed = [
        contenders[0]!,
        contenders[1]!,
        ...(m.id === 'mobilenetv2' ? [contenders[contenders.length - 1]!] : []),
      ];
      log(`${m.id}: latency of ${timed.map((c) => c.name).join(', ')}`);
      latency[m.id] = await latencyOf(timed, m.preset, image, iterations * 5, 20);
    }
    const random = values['no-random'] ? undefined : loadRandomModels(join(BENCH_DIR, 'models'));
    for (const m of random?.models ?? []) {
      const family = m.id.replace(/-random-fp32$/, '');
      const [run] = await quantizeAll(
        `${family}-random`,
        m.path,
        m.preset,
        calibration.slice(0, 32),
        ['minmax'],
        workDir,
        log,
      );
      quantized.push(run!);
      log(`${family}: latency fp32 vs int8`);
      latency[`${family}-random`] = await latencyOf(
        [
          { name: `${family}-random-fp32`, path: m.path },
          { name: `${family}-random-int8 (tachyon)`, path: run!.out },
        ],
        m.preset,
        image,
        iterations,
        10,
      );
    }
  } finally {
    await backend.close();
    await rm(workDir, { recursive: true, force: true });
  }
  environment.loadAverage1mEnd = Math.round(loadavg()[0]! * 100) / 100;
  const ratios = Object.fromEntries(
    Object.entries(latency).map(([k, rows]) => [
      k,
      rows.slice(1).map((r) => ({
        name: r.name,
        p50OverFirst: Math.round((r.p50 / rows[0]!.p50) * 1000) / 1000,
        vs: rows[0]!.name,
      })),
    ]),
  );
  const report = {
    environment,
    split: SPLIT,
    calibrationImages: calibration.length,
    evaluationImages: evaluation.length,
    targets: TARGETS,
    notes: [
      'Latency: raw onnxruntime-node sessions, CPU EP, graph optimization all, batch 1, intra-op threads = cores, interleaved blocks (bench/src/measure.ts).',
      'Random-weight models: calibrated on the first 32 calibration images (accuracy meaningless); only their latency and fusion are reported.',
    ],
    quantized: quantized.map(({ out: _o, ...q }) => q),
    accuracy,
    latency,
    ratios,
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
  const paths = resultPaths(environment, 'quantize', values.out);
  await writeJson(report, paths);
  log(`wrote ${paths.join(' and ')} (${report.durationSeconds} s)`);
  process.stdout.write(`${renderMarkdown(report.accuracy, latency, ratios, quantized)}\n`);
}

function renderMarkdown(
  accuracy: Record<string, AccuracyRow[]>,
  latency: Record<string, LatencyResult[]>,
  ratios: Record<string, { name: string; p50OverFirst: number; vs: string }[]>,
  runs: readonly QuantizeRun[],
): string {
  const lines = [
    `Split: ${SPLIT}.`,
    '',
    '| model | top-1 % | top-5 % | top-1 vs fp32 | top-1 agreement % |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const rows of Object.values(accuracy))
    for (const r of rows)
      lines.push(
        `| ${r.model} | ${r.top1.toFixed(2)} | ${r.top5.toFixed(2)} | ${r.top1VsFp32 >= 0 ? '+' : ''}${r.top1VsFp32.toFixed(2)} | ${r.top1AgreementWithFp32.toFixed(2)} |`,
      );
  lines.push('', '| model | p50 ms | p90 ms | p50 / first row |', '|---|---:|---:|---:|');
  for (const [k, rows] of Object.entries(latency)) {
    rows.forEach((r, i) =>
      lines.push(
        `| ${r.name} | ${r.p50.toFixed(2)} | ${r.p90.toFixed(2)} | ${i === 0 ? '1' : ratios[k]![i - 1]!.p50OverFirst.toFixed(3)} |`,
      ),
    );
  }
  lines.push(
    '',
    '| quantized | method | s | integer kernels | float compute ops left | left in fp32 |',
    '|---|---|---:|---:|---:|---|',
  );
  for (const r of runs)
    lines.push(
      `| ${r.model} | ${r.method} | ${r.seconds} | ${r.report.fusion?.integerOps ?? '?'} | ${r.report.fusion?.floatComputeOps ?? '?'} | ${
        Object.entries(r.report.fp32Ops)
          .map(([op, n]) => `${op} x${n}`)
          .join(', ') || '-'
      } |`,
    );
  return lines.join('\n');
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
