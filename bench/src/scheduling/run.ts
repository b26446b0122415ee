// Scheduling benchmark (issue 6, "Tests and benchmark"). Usage (after `tsc -b`):
//   node bench/dist/src/scheduling/run.js [--requests N] [--levels 1,4,16] [--overload-seconds S] [--out FILE]
// Forks scheduling-child.js (tachyon on 127.0.0.1, mobilenetv2-int8 as "batched", "single" and "shed"), then:
//  1. closed loop at each concurrency level, against "single" (batching off) and "batched" (dynamic batching), in
//     ABBA order level by level so that drift hits both: throughput, p50, p99, mean batch rows;
//  2. open loop at 2x the best measured throughput against "shed" (queue of 4): how many are shed (429
//     TCH_ERR_QUEUE_FULL) and the latency of the accepted ones.
// Progress on stderr, markdown on stdout, JSON to bench/results/<date>-<sha>-scheduling.json and latest-scheduling.json.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { collectEnvironment } from '../environment.js';
import { round, summarize } from '../stats.js';
import {
  REPO_ROOT,
  createLog,
  machineLine,
  pickImage,
  positiveInt,
  resultPaths,
  sharedDir,
  writeJson,
} from '../server/bench-common.js';
import { LoadTarget, type LoadResult } from './load-generator.js';
import type { SchedulingChildConfig, SchedulingChildReady } from './scheduling-child.js';

const log = createLog('bench:scheduling');
const MAX_BATCH = 8;
const SHED_QUEUE = 4;

interface LevelRow {
  model: 'single' | 'batched';
  concurrency: number;
  requests: number;
  throughput: number;
  p50: number;
  p99: number;
  meanBatchRows: number | undefined;
  failures: number;
}

function toRow(model: LevelRow['model'], concurrency: number, r: LoadResult): LevelRow {
  const s = summarize(r.okMs);
  return {
    model,
    concurrency,
    requests: r.okMs.length,
    throughput: round(r.okMs.length / r.seconds, 1),
    p50: round(s.p50),
    p99: round(s.p99),
    meanBatchRows: r.meanBatchRows === undefined ? undefined : round(r.meanBatchRows, 2),
    failures: Object.entries(r.statuses)
      .filter(([status]) => status !== '200')
      .reduce((n, [, c]) => n + c, 0),
  };
}

function mergeResults(parts: readonly LoadResult[]): LoadResult {
  const merged: LoadResult = { okMs: [], statuses: {}, codes: {}, seconds: 0, meanBatchRows: undefined };
  let batchSum = 0;
  let batchCount = 0;
  for (const p of parts) {
    merged.okMs.push(...p.okMs);
    merged.seconds += p.seconds;
    for (const [k, v] of Object.entries(p.statuses)) merged.statuses[k] = (merged.statuses[k] ?? 0) + v;
    for (const [k, v] of Object.entries(p.codes)) merged.codes[k] = (merged.codes[k] ?? 0) + v;
    if (p.meanBatchRows !== undefined) {
      batchSum += p.meanBatchRows * p.okMs.length;
      batchCount += p.okMs.length;
    }
  }
  merged.meanBatchRows = batchCount > 0 ? batchSum / batchCount : undefined;
  return merged;
}

function startChild(config: SchedulingChildConfig): Promise<{ child: ChildProcess; ready: SchedulingChildReady }> {
  const child = fork(fileURLToPath(new URL('./scheduling-child.js', import.meta.url)), [JSON.stringify(config)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: SchedulingChildReady | { type: 'error'; message: string }) =>
      m.type === 'ready' ? resolve({ child, ready: m }) : reject(new Error(`the server child failed: ${m.message}`)),
    );
    child.once('exit', (code) => reject(new Error(`the server child exited with code ${code} before it was ready`)));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string' },
      levels: { type: 'string' },
      'overload-seconds': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const requests = positiveInt(values.requests, '--requests') ?? 400;
  const levels = (values.levels ?? '1,4,16').split(',').map((v) => positiveInt(v.trim(), '--levels')!);
  const overloadSeconds = positiveInt(values['overload-seconds'], '--overload-seconds') ?? 10;
  const started = Date.now();
  const shared = sharedDir();
  const environment = await collectEnvironment(REPO_ROOT);
  const image = await pickImage(join(shared, 'images', 'imagenet-sample'));
  const workDir = await mkdtemp(join(tmpdir(), 'tachyon-bench-scheduling-'));
  const { child, ready } = await startChild({
    modelsDir: join(shared, 'models'),
    cacheDir: join(workDir, 'cache'),
    maxBatchSize: MAX_BATCH,
    shedQueueSize: SHED_QUEUE,
  });
  const target = new LoadTarget(ready.url, { authorization: `Bearer ${ready.key}` }, Math.max(...levels, 64));
  const rows: LevelRow[] = [];
  let overload: Record<string, unknown> | undefined;
  try {
    const path = (model: string) => `/v1/services/${model}/classify`;
    for (const model of ['single', 'batched'] as const) await target.closedLoop(path(model), image.bytes, 4, 10); // warm-up
    for (const concurrency of levels) {
      // Half the requests each in the order single, batched, batched, single (ABBA), so drift hits both alike.
      const perClient = Math.max(10, Math.ceil(requests / concurrency / 2));
      const halves: Record<'single' | 'batched', LoadResult[]> = { single: [], batched: [] };
      for (const model of ['single', 'batched', 'batched', 'single'] as const) {
        log(`${model}: concurrency ${concurrency}, ${perClient * concurrency} requests...`);
        halves[model].push(await target.closedLoop(path(model), image.bytes, concurrency, perClient));
      }
      for (const model of ['single', 'batched'] as const)
        rows.push(toRow(model, concurrency, mergeResults(halves[model])));
    }
    const capacity = Math.max(...rows.map((r) => r.throughput));
    const rate = Math.round(2 * capacity);
    log(
      `overload: ${rate} requests/s (2x the best throughput, ${capacity}/s) for ${overloadSeconds} s against a queue of ${SHED_QUEUE}...`,
    );
    const r = await target.openLoop(path('shed'), image.bytes, rate, overloadSeconds);
    const ok = r.okMs.length > 0 ? summarize(r.okMs) : undefined;
    const sent = Object.values(r.statuses).reduce((a, b) => a + b, 0);
    overload = {
      ratePerSecond: rate,
      capacityPerSecond: capacity,
      seconds: round(r.seconds, 1),
      sent,
      statuses: r.statuses,
      codes: r.codes,
      shedFraction: round((r.codes['TCH_ERR_QUEUE_FULL'] ?? 0) / Math.max(1, sent), 3),
      acceptedThroughput: round(r.okMs.length / r.seconds, 1),
      acceptedP50: ok && round(ok.p50),
      acceptedP99: ok && round(ok.p99),
      meanBatchRows: r.meanBatchRows === undefined ? undefined : round(r.meanBatchRows, 2),
    };
  } finally {
    await target.close();
    child.send({ type: 'close' });
    await new Promise((r) => child.once('exit', r));
    await rm(workDir, { recursive: true, force: true });
  }
  environment.loadAverage1mEnd = Math.round(loadavg()[0]! * 100) / 100;
  const pairs = levels.map((c) => {
    const single = rows.find((r) => r.model === 'single' && r.concurrency === c)!;
    const batched = rows.find((r) => r.model === 'batched' && r.concurrency === c)!;
    return {
      concurrency: c,
      throughputRatio: round(batched.throughput / single.throughput, 3),
      p50Ratio: round(batched.p50 / single.p50, 3),
    };
  });
  const report = {
    environment,
    image: { name: image.name, width: image.width, height: image.height },
    config: {
      requestsPerLevel: requests,
      levels,
      maxBatchSize: MAX_BATCH,
      maxQueueDelayMs: 0,
      shedQueueSize: SHED_QUEUE,
      workers: ready.workers,
      client: 'undici Pool, keep-alive, 127.0.0.1, raw image route',
    },
    notes: [
      'single = batching off; batched = dynamic batching from requests already waiting (max queue delay 0), max 8 rows.',
      'Ratios compare batched with single at the same concurrency in this run; a ratio > 1 for throughput and <= 1 for p50 means batching helped.',
    ],
    rows,
    batchedVsSingle: pairs,
    overload,
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
  const paths = resultPaths(environment, 'scheduling', values.out);
  await writeJson(report, paths);
  log(`wrote ${paths.join(' and ')}`);
  const lines = [
    `Machine: ${machineLine(environment)}`,
    '',
    '| model | concurrency | requests | req/s | p50 ms | p99 ms | mean batch rows | failures |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${r.concurrency} | ${r.requests} | ${r.throughput} | ${r.p50} | ${r.p99} | ${r.meanBatchRows ?? '?'} | ${r.failures} |`,
    ),
    '',
    '| concurrency | batched/single throughput | batched/single p50 |',
    '|---:|---:|---:|',
    ...pairs.map((p) => `| ${p.concurrency} | ${p.throughputRatio} | ${p.p50Ratio} |`),
    '',
    `Overload: ${JSON.stringify(overload)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
