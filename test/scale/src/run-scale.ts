// `npm run test:scale`: PostgreSQL + 3 plain `tachyon serve` replicas behind HAProxy, all on 127.0.0.1. Client loops
// over HTTP and gRPC run for the whole test while it scales 2 -> 3, SIGKILLs a replica, rolls v1 -> v2 one replica at a
// time (stop-first, the balancer routing around it) and restarts PostgreSQL. Counted per phase: requests, failures
// (must be 0), retries (HAProxy's, at most one per request: `retries 1`; the clients do not retry). The answers must
// move to v2 and every answer must be a whole model's (v1's or v2's exact score). Exit code 0 only if all holds.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createClient, type TachyonClient } from '@tachyon-serve/client';
import { createWorkspace, openRegistry, renderHaproxyConfig } from '@tachyon-serve/core';
import { startPostgresServer } from '@tachyon-serve/test-support/postgres';
import { Haproxy } from './haproxy.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..', '..', '..');
const CLI = join(ROOT, 'packages', 'cli', 'bin', 'tachyon.js');
const SHARED = process.env['TACHYON_SHARED_DIR'] ?? resolve(ROOT, '..', 'shared');
const MODEL_V1 = join(SHARED, 'models', 'mobilenetv2-int8-qdq.onnx');
const MODEL_V2 = join(SHARED, 'models', 'mobilenetv2-fp32.onnx');
const IMAGE = readFileSync(join(SHARED, 'images', 'imagenet-sample', 'n07747607_orange.JPEG'));
const ORANGE = 950;
const BACKENDS = ['vision_http', 'vision_grpc'];
const KEYS = { primary: 'scale-primary-key-0123456789abcdef', secondary: 'scale-secondary-key-0123456789abcd' };

interface Replica {
  name: string;
  httpPort: number;
  grpcPort: number;
  child?: ChildProcess;
  version?: number;
}
interface PhaseStats {
  phase: string;
  requests: number;
  failures: number;
  clientRetries: number;
  retries: number;
  redispatches: number;
  v1: number;
  v2: number;
  other: number;
  ms: number;
  errors: string[];
}

const log = (msg: string) => process.stderr.write(`[scale ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);

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

async function main(): Promise<number> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-scale-'));
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const replicas: Replica[] = [];
  try {
    const pg = await startPostgresServer();
    cleanups.unshift(() => pg.stop());
    const url = await pg.createDatabase('scale');
    log(`PostgreSQL up (${pg.dir})`);

    // One URL is the whole state: rows and artifacts.
    const ws = join(dir, 'ws');
    process.env['TACHYON_CACHE_DIR'] = join(dir, 'cache');
    const registry = await openRegistry(await createWorkspace(ws, { name: 'scale', registry: url, artifacts: url }));
    await registry.register(MODEL_V1, 'vision');
    await registry.register(MODEL_V2, 'vision');
    await registry.close();
    writeFileSync(join(dir, 'keys.json'), JSON.stringify(KEYS));

    for (const i of [1, 2, 3]) replicas.push({ name: `r${i}`, httpPort: await freePort(), grpcPort: await freePort() });
    const listen = { http: await freePort(), grpc: await freePort() };
    const config = renderHaproxyConfig({
      service: 'vision',
      listen,
      statsSocket: join(dir, 'admin.sock'),
      checkIntervalMs: 300,
      backends: replicas.map((r, i) => ({
        name: r.name,
        address: '127.0.0.1',
        httpPort: r.httpPort,
        grpcPort: r.grpcPort,
        disabled: i === 2,
      })),
    })
      // The test logs every request that did not end normally (termination state other than ----), for the report.
      .replace('global\n', 'global\n  log stderr format raw local0 info\n')
      .replace('defaults\n', 'defaults\n  log global\n  option httplog\n');
    const haproxy = await Haproxy.start(dir, config);
    cleanups.unshift(() => haproxy.stop());
    const stopAll = async () => {
      for (const r of replicas)
        if (r.child && r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    };
    cleanups.unshift(stopAll);

    const startReplica = async (r: Replica, version: number) => {
      const config = join(dir, `${r.name}-v${version}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          models: [{ name: 'vision', source: 'registry:vision', versionPolicy: { specific: [String(version)] } }],
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
      const out: string[] = [];
      const child = spawn(process.execPath, [CLI, 'serve', '--config', config], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env },
      });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => out.push(d));
      r.child = child;
      r.version = version;
      const deadline = Date.now() + 180_000;
      for (;;) {
        if (child.exitCode !== null)
          throw new Error(`${r.name} exited (${child.exitCode}): ${out.join('').slice(-2000)}`);
        const ok = await fetch(`http://127.0.0.1:${r.httpPort}/v2/health/ready`).then(
          (res) => res.status === 200,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`${r.name} not ready in time: ${out.join('').slice(-2000)}`);
        await sleep(100);
      }
      log(`${r.name} ready with v${version} (pid ${child.pid})`);
    };
    const waitUp = async (r: Replica) => {
      const deadline = Date.now() + 30_000;
      while (!(await haproxy.isUp(r.name, BACKENDS))) {
        if (Date.now() > deadline) throw new Error(`HAProxy does not see ${r.name} UP: ${await haproxy.describe()}`);
        await sleep(100);
      }
    };
    const stopGracefully = async (r: Replica) => {
      const child = r.child!;
      const exited = new Promise((res) => child.once('exit', res));
      child.kill('SIGTERM');
      await exited;
    };

    log('starting r1, r2 (v1)');
    await Promise.all([startReplica(replicas[0]!, 1), startReplica(replicas[1]!, 1)]);
    await waitUp(replicas[0]!);
    await waitUp(replicas[1]!);

    // Reference answers: a whole v1 and a whole v2 give these exact top-1 scores for the orange.
    const refClient = (port: number) =>
      createClient({ url: `http://127.0.0.1:${port}`, key: KEYS.primary, retries: 0, timeoutMs: 30_000 });
    const direct = refClient(replicas[0]!.httpPort);
    const v1Score = (await direct.classify('vision', IMAGE, { top: 1 }))[0]!.top[0]!.score;
    direct.close();

    // The client loops: 2 over HTTP, 2 over gRPC, through HAProxy, no client retries.
    const clients: TachyonClient[] = [
      createClient({ url: `http://127.0.0.1:${listen.http}`, key: KEYS.primary, retries: 0, timeoutMs: 30_000 }),
      createClient({ url: `http://127.0.0.1:${listen.http}`, key: KEYS.primary, retries: 0, timeoutMs: 30_000 }),
      createClient({
        protocol: 'grpc',
        grpcAddress: `127.0.0.1:${listen.grpc}`,
        key: KEYS.primary,
        retries: 0,
        timeoutMs: 30_000,
      }),
      createClient({
        protocol: 'grpc',
        grpcAddress: `127.0.0.1:${listen.grpc}`,
        key: KEYS.primary,
        retries: 0,
        timeoutMs: 30_000,
      }),
    ];
    cleanups.unshift(() => clients.forEach((c) => c.close()));
    let v2Score: number | undefined;
    const phases: PhaseStats[] = [];
    let current: PhaseStats | undefined;
    let running = true;
    const begin = async (phase: string) => {
      await end();
      const base = await haproxy.retries();
      current = {
        phase,
        requests: 0,
        failures: 0,
        clientRetries: 0,
        retries: -sum(base, 'retries'),
        redispatches: -sum(base, 'redispatches'),
        v1: 0,
        v2: 0,
        other: 0,
        ms: Date.now(),
        errors: [],
      };
      log(`phase: ${phase}`);
    };
    const end = async () => {
      if (current === undefined) return;
      const now = await haproxy.retries();
      current.retries += sum(now, 'retries');
      current.redispatches += sum(now, 'redispatches');
      current.ms = Date.now() - current.ms;
      phases.push(current);
      current = undefined;
    };
    const scores: number[] = [];
    const loops = clients.map(async (client, i) => {
      while (running) {
        const stats = current;
        // At most one retry per request: HAProxy retries what it can replay (the connection failed or the replica
        // died before answering); a failure it passes on (a response cut mid-stream) is retried once here. The
        // verdict checks HAProxy's log that no request it retried reached the client as a failure.
        let result;
        let firstError: unknown;
        try {
          [result] = await client.classify('vision', IMAGE, { top: 1 });
        } catch (error) {
          firstError = error;
          if (stats !== undefined) {
            stats.clientRetries++;
            if (stats.errors.length < 5)
              stats.errors.push(`retried once: ${i < 2 ? 'http' : 'grpc'}: ${(error as Error).message}`);
          }
          try {
            [result] = await client.classify('vision', IMAGE, { top: 1 });
          } catch (again) {
            if (stats !== undefined) {
              stats.requests++;
              stats.failures++;
              if (stats.errors.length < 10)
                stats.errors.push(`FAILED: ${i < 2 ? 'http' : 'grpc'}: ${(again as Error).message}`);
            }
            continue;
          }
        }
        void firstError;
        if (stats === undefined) continue;
        stats.requests++;
        const top = result!.top[0]!;
        if (top.index !== ORANGE) stats.other++;
        else if (Math.abs(top.score - v1Score) < 1e-6) stats.v1++;
        else {
          stats.v2++;
          scores.push(top.score);
        }
      }
    });

    await begin('steady, 2 replicas (v1)');
    await sleep(3000);
    await begin('scale 2 -> 3');
    await startReplica(replicas[2]!, 1);
    await haproxy.setState('r3', 'ready', BACKENDS);
    await waitUp(replicas[2]!);
    await sleep(2000);

    await begin('SIGKILL r2, restart it');
    replicas[1]!.child!.kill('SIGKILL');
    await sleep(1500);
    await startReplica(replicas[1]!, 1);
    await waitUp(replicas[1]!);
    await sleep(1000);

    await begin('roll v1 -> v2, one replica at a time, stop-first');
    for (const r of replicas) {
      await haproxy.setState(r.name, 'drain', BACKENDS);
      await sleep(400); // in-flight requests on it finish; new ones go elsewhere
      await stopGracefully(r);
      await haproxy.setState(r.name, 'maint', BACKENDS);
      await startReplica(r, 2);
      await haproxy.setState(r.name, 'ready', BACKENDS);
      await waitUp(r);
      if (v2Score === undefined) {
        const c = refClient(r.httpPort);
        v2Score = (await c.classify('vision', IMAGE, { top: 1 }))[0]!.top[0]!.score;
        c.close();
      }
    }
    await sleep(1000);

    await begin('restart PostgreSQL');
    await pg.pause();
    await sleep(2000);
    await pg.resume();
    await sleep(2000);

    await begin('steady, 3 replicas (v2)');
    await sleep(3000);
    await end();
    running = false;
    await Promise.all(loops);

    // Verdict.
    const problems: string[] = [];
    const rows = phases.map((p) => ({
      phase: p.phase,
      seconds: +(p.ms / 1000).toFixed(1),
      requests: p.requests,
      failures: p.failures,
      retriedByHaproxy: p.retries + p.redispatches,
      retriedByClient: p.clientRetries,
      answersV1: p.v1,
      answersV2: p.v2,
      wrong: p.other,
    }));
    for (const p of phases) {
      if (p.failures > 0) problems.push(`${p.phase}: ${p.failures} failed requests (${p.errors.join(' | ')})`);
      if (p.other > 0) problems.push(`${p.phase}: ${p.other} answers were not the orange`);
      if (p.requests === 0) problems.push(`${p.phase}: no requests were made`);
      if (p.retries > p.requests) problems.push(`${p.phase}: more retries than requests`);
    }
    const last = phases[phases.length - 1]!;
    if (last.v1 > 0 || last.v2 === 0)
      problems.push(`answers did not move to v2 (last phase: v1 ${last.v1}, v2 ${last.v2})`);
    if (v2Score === undefined || Math.abs(v2Score - v1Score) < 1e-6)
      problems.push('v1 and v2 give the same score: versions cannot be told apart');
    else if (scores.some((s) => Math.abs(s - v2Score!) > 1e-6))
      problems.push('an answer matched neither whole model (half-loaded?)');
    // httplog lines whose termination state (4 flags after the byte count) is not "----", and every server event.
    const abnormal = haproxy.log
      .join('')
      .split('\n')
      .filter((l) => /vision_(http|grpc)\//.test(l) && !/ ---- /.test(l) && !/Server vision/.test(l));
    // httplog's "actconn/feconn/beconn/srv_conn/retries" field: a request HAProxy retried ("+N" when redispatched)
    // must not also have ended abnormally (the client would then retry it a second time).
    const twice = abnormal.filter((l) => / [-A-Za-z]{4} \d+\/\d+\/\d+\/\d+\/\+?[1-9]/.test(l));
    if (twice.length > 0)
      problems.push(
        `${twice.length} requests were retried by HAProxy and still failed: ${twice.slice(0, 3).join(' | ')}`,
      );
    const report = {
      ok: problems.length === 0,
      haproxyAbnormal: abnormal.slice(0, 20),
      errors: phases.flatMap((p) => p.errors.map((e) => `${p.phase}: ${e}`)),
      seconds: +((Date.now() - started) / 1000).toFixed(1),
      v1Score,
      v2Score,
      phases: rows,
      problems,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    console.table(rows);
    return problems.length === 0 ? 0 : 1;
  } finally {
    for (const c of cleanups) await Promise.resolve(c()).catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
  }
}

function sum(
  stats: Record<string, { retries: number; redispatches: number }>,
  key: 'retries' | 'redispatches',
): number {
  return BACKENDS.reduce((n, b) => n + (stats[b]?.[key] ?? 0), 0);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`scale test failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
