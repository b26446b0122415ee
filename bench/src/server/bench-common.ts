// Helpers shared by the server and service-definition benchmarks (bench:server, bench:svcdef): paths, the image,
// scenario rows from samples, markdown tables and the JSON writer. The foundation bench's own helpers (stats,
// environment, cpu-watch, measure) are reused as they are.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { CpuWindow } from '../cpu-watch.js';
import type { Environment } from '../environment.js';
import type { BenchImage } from '../scenarios.js';
import { round, summarize, type LatencySummary } from '../stats.js';

/** bench/ (this file runs from bench/dist/src/server/). */
export const BENCH_DIR = fileURLToPath(new URL('../../../', import.meta.url));
export const REPO_ROOT = resolve(BENCH_DIR, '..');

/** $TACHYON_SHARED_DIR, else ../shared next to the repository. */
export function sharedDir(): string {
  return resolve(process.env['TACHYON_SHARED_DIR'] ?? join(REPO_ROOT, '..', 'shared'));
}

export function createLog(tag: string): (message: string) => void {
  return (message) => void process.stderr.write(`[${tag}] ${message}\n`);
}

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`${flag}: expected an integer >= 1, got ${JSON.stringify(value)}`);
  return n;
}

/** The first JPEG of the sample set (by name) of exactly width x height, as the foundation bench picks it. */
export async function pickImage(imagesDir: string, width = 500, height = 375): Promise<BenchImage> {
  for (const name of readdirSync(imagesDir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()) {
    const path = join(imagesDir, name);
    const meta = await sharp(path).metadata();
    if (meta.format === 'jpeg' && meta.width === width && meta.height === height) {
      return { name, path, bytes: readFileSync(path), width, height };
    }
  }
  throw new Error(`no ${width}x${height} JPEG in "${imagesDir}"`);
}

export async function loadImage(path: string): Promise<BenchImage> {
  const meta = await sharp(path).metadata();
  return {
    name: path.split('/').pop()!,
    path: resolve(path),
    bytes: readFileSync(path),
    width: meta.width ?? 0,
    height: meta.height ?? 0,
  };
}

/** One measured scenario, in milliseconds (the shape of the foundation bench's rows, plus what these benches add). */
export interface LatencyRow extends LatencySummary {
  name: string;
  /** Who is measured: tachyon, or the peer it is compared with. */
  side: 'tachyon' | 'peer';
  description: string;
  /** throughput (1000 / mean) is at concurrency 1, so 1 / latency, not a capacity figure. */
  batch: 1;
  /** Each block's median (ms), in measurement order: their spread shows how much the machine drifted. */
  blockP50s: number[];
  interleavedWith: string[];
  cpu?: CpuWindow;
  retriedRounds: number;
  contendedRoundsKept: number;
}

export interface MachineDuringRun {
  cpu?: CpuWindow;
  retriedRounds: number;
  contendedRoundsKept: number;
}

export function toRow(
  s: { name: string; samples: number[]; blockP50s: number[] },
  all: readonly { name: string }[],
  meta: { side: 'tachyon' | 'peer'; description: string },
  machine: MachineDuringRun,
): LatencyRow {
  const sum = summarize(s.samples);
  return {
    name: s.name,
    side: meta.side,
    description: meta.description,
    batch: 1,
    iterations: sum.iterations,
    p50: round(sum.p50),
    p90: round(sum.p90),
    p99: round(sum.p99),
    max: round(sum.max),
    min: round(sum.min),
    mean: round(sum.mean),
    throughput: round(sum.throughput, 1),
    blockP50s: s.blockP50s.map((v) => round(v)),
    interleavedWith: all.filter((o) => o.name !== s.name).map((o) => o.name),
    ...(machine.cpu ? { cpu: machine.cpu } : {}),
    retriedRounds: machine.retriedRounds,
    contendedRoundsKept: machine.contendedRoundsKept,
  };
}

const ms = (v: number) => (v >= 100 ? v.toFixed(1) : v >= 10 ? v.toFixed(2) : v.toFixed(3));

/** A markdown latency table (ms) of rows. */
export function latencyTable(rows: readonly LatencyRow[]): string {
  const lines = [
    '| scenario | side | n | p50 ms | p90 ms | p99 ms | max ms | calls/s | other cores | retried / kept contended |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| \`${r.name}\` | ${r.side} | ${r.iterations} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.throughput.toFixed(0)} | ` +
        `${r.cpu ? r.cpu.otherCores.toFixed(2) : '?'} | ${r.retriedRounds} / ${r.contendedRoundsKept} |`,
    );
  }
  return lines.join('\n');
}

/** `<date>-<sha7>-<suffix>.json` in bench/results (or `out`), plus `latest-<suffix>.json`. */
export function resultPaths(environment: Environment, suffix: string, out?: string): string[] {
  const stamp = environment.date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '');
  const dated = out
    ? resolve(out)
    : join(BENCH_DIR, 'results', `${stamp}-${environment.gitSha.slice(0, 7)}-${suffix}.json`);
  return [dated, join(BENCH_DIR, 'results', `latest-${suffix}.json`)];
}

/** Writes the JSON to every path, each atomically (temp file + rename). */
export async function writeJson(value: unknown, paths: readonly string[]): Promise<void> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  for (const path of paths) {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, path);
  }
}

export function machineLine(environment: Environment): string {
  return (
    `${environment.cpuModel}, ${environment.cores} cores, ${environment.memoryGiB} GiB, ${environment.os}; node ${environment.node}, ` +
    `onnxruntime-node ${environment.onnxruntimeNode}, sharp ${environment.sharp} (libvips ${environment.libvips}); ` +
    `load average ${environment.loadAverage1m} at start, ${environment.loadAverage1mEnd ?? '?'} at end; git ${environment.gitSha.slice(0, 7)}${environment.gitDirty ? ' (dirty tree)' : ''}`
  );
}
