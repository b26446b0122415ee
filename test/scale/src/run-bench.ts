// `npm run bench:scale`: throughput and latency at 16 concurrent HTTP clients against one `tachyon serve` direct, and
// 1, 2 and 3 replicas behind HAProxy, in the same run (same machine, same model, same image). Also HAProxy's own CPU
// time per request (from /proc). Writes test/scale/results/bench-<time>.json and prints a table. Honest on a small
// machine: replicas share the cores, so more replicas need not mean more throughput.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { createClient } from '@tachyon-serve/client';
import { createWorkspace, openRegistry, renderHaproxyConfig } from '@tachyon-serve/core';
import { startPostgresServer } from '@tachyon-serve/test-support/postgres';
import { Haproxy } from './haproxy.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..', '..', '..');
const CLI = join(ROOT, 'packages', 'cli', 'bin', 'tachyon.js');
const SHARED = process.env['TACHYON_SHARED_DIR'] ?? resolve(ROOT, '..', 'shared');
const IMAGE = readFileSync(join(SHARED, 'images', 'imagenet-sample', 'n07747607_orange.JPEG'));
const KEYS = { primary: 'bench-primary-key-0123456789abcdef', secondary: 'bench-secondary-key-0123456789abcd' };
const CLIENTS = 16;
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const BACKENDS = ['vision_http', 'vision_grpc'];

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

async function load(
  port: number,
  seconds: number,
): Promise<{ requests: number; errors: number; rps: number; p50: number; p90: number; p99: number; max: number }> {
  const clients = Array.from({ length: CLIENTS }, () =>
    createClient({ url: `http://127.0.0.1:${port}`, key: KEYS.primary, retries: 0, timeoutMs: 30_000, connections: 1 }),
  );
  const latencies: number[] = [];
  let errors = 0;
  const warmupEnd = Date.now() + 1000;
  const end = warmupEnd + seconds * 1000;
  await Promise.all(
    clients.map(async (c) => {
      while (Date.now() < end) {
        const t0 = performance.now();
        try {
          await c.classify('vision', IMAGE, { top: 1 });
          if (Date.now() > warmupEnd) latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  clients.forEach((c) => c.close());
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    +(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN).toFixed(1);
  return {
    requests: latencies.length,
    errors,
    rps: +(latencies.length / seconds).toFixed(1),
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: +(latencies.at(-1) ?? NaN).toFixed(1),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-bench-scale-'));
  const children: ChildProcess[] = [];
  const pg = await startPostgresServer();
  let haproxy: Haproxy | undefined;
  try {
    const url = await pg.createDatabase('bench');
    const ws = join(dir, 'ws');
    process.env['TACHYON_CACHE_DIR'] = join(dir, 'cache');
    const registry = await openRegistry(await createWorkspace(ws, { name: 'bench', registry: url, artifacts: url }));
    await registry.register(join(SHARED, 'models', 'mobilenetv2-int8-qdq.onnx'), 'vision');
    await registry.close();
    writeFileSync(join(dir, 'keys.json'), JSON.stringify(KEYS));
    const replicas = [];
    for (const name of ['r1', 'r2', 'r3']) {
      const r = { name, httpPort: await freePort(), grpcPort: await freePort() };
      const config = join(dir, `${name}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          models: [{ name: 'vision', source: 'registry:vision', versionPolicy: { specific: ['1'] } }],
          workspace: ws,
          host: '127.0.0.1',
          httpPort: r.httpPort,
          grpcPort: r.grpcPort,
          workers: 1,
          keysFile: join(dir, 'keys.json'),
          insecure: true,
          modelControl: { enabled: false },
        }),
      );
      children.push(spawn(process.execPath, [CLI, 'serve', '--config', config], { cwd: dir, stdio: 'ignore' }));
      replicas.push(r);
    }
    for (const r of replicas) {
      while (
        !(await fetch(`http://127.0.0.1:${r.httpPort}/v2/health/ready`).then(
          (x) => x.status === 200,
          () => false,
        ))
      )
        await sleep(100);
    }
    const listen = { http: await freePort(), grpc: await freePort() };
    haproxy = await Haproxy.start(
      dir,
      renderHaproxyConfig({
        service: 'vision',
        listen,
        statsSocket: join(dir, 'admin.sock'),
        backends: replicas.map((r) => ({
          name: r.name,
          address: '127.0.0.1',
          httpPort: r.httpPort,
          grpcPort: r.grpcPort,
        })),
      }),
    );
    const results: Record<string, unknown>[] = [];
    const direct = await load(replicas[0]!.httpPort, SECONDS);
    results.push({ scenario: 'one server, direct', ...direct, haproxyCpuUsPerRequest: null });
    for (const n of [1, 2, 3]) {
      for (const [i, r] of replicas.entries()) await haproxy.setState(r.name, i < n ? 'ready' : 'maint', BACKENDS);
      await sleep(1500);
      const before = cpuMs(haproxy.child.pid!);
      const r = await load(listen.http, SECONDS);
      const cpu = cpuMs(haproxy.child.pid!) - before;
      results.push({
        scenario: `${n} replica${n > 1 ? 's' : ''} behind HAProxy`,
        ...r,
        haproxyCpuUsPerRequest: +((cpu * 1000) / Math.max(1, r.requests)).toFixed(0),
      });
    }
    let sha = 'unknown';
    try {
      sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      // not a checkout
    }
    const report = {
      date: new Date().toISOString(),
      git: sha,
      node: process.version,
      machine: { cpus: cpus().length, model: cpus()[0]?.model },
      clients: CLIENTS,
      seconds: SECONDS,
      model: 'mobilenetv2-int8-qdq (workers 1 per replica)',
      results,
    };
    const outDir = join(ROOT, 'test', 'scale', 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
      join(outDir, `bench-${report.date.replace(/[:.]/g, '-')}.json`),
      `${JSON.stringify(report, null, 2)}\n`,
    );
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await haproxy?.stop();
    for (const c of children) c.kill('SIGKILL');
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
