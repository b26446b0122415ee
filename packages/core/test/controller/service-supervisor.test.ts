// ServiceSupervisor with real child processes (small node scripts standing in for `tachyon serve`): ready line,
// health checks, crash restarts with backoff, Failed after N crashes in a row or at once on a permanent failure.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { RotatingLog } from '../../src/controller/rotating-log.js';
import { servicePaths } from '../../src/controller/service-files.js';
import { ServiceSupervisor, type SupervisorEvent } from '../../src/controller/service-supervisor.js';
import { backoffDelay, compileSupervisorOptions } from '../../src/controller/supervisor-options.js';
import { isProcessAlive as isAlive } from '../../src/registry/process-owner.js';

// A stand-in server: listens, prints the ready line, answers /v2/health/ready with READY_STATUS (a file's content).
const SERVER = `
const http = require('node:http'); const fs = require('node:fs');
const statusFile = process.env.STATUS_FILE;
const server = http.createServer((req, res) => { res.statusCode = Number(fs.readFileSync(statusFile, 'utf8')); res.end('{}'); });
server.listen(Number(process.argv[process.argv.indexOf('--http-port') + 1]), '127.0.0.1', () => {
  const port = server.address().port;
  process.stdout.write(JSON.stringify({ http: 'http://127.0.0.1:' + port, grpc: '127.0.0.1:' + (port + 1), models: ['m'] }) + '\\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));`;

function setup(t: TestContext, script: string, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-supervisor-'));
  const events: SupervisorEvent[] = [];
  const paths = servicePaths(dir, 'svc');
  const log = new RotatingLog(paths.log);
  const statusFile = join(dir, 'status');
  writeFileSync(statusFile, '200');
  const supervisor = new ServiceSupervisor({
    name: 'svc',
    paths,
    log,
    specPorts: { httpPort: 0, grpcPort: 0 },
    launcher: {
      command: process.execPath,
      args: (_file, ports) => ['-e', script, '--', '--http-port', String(ports.httpPort)],
      env: { ...process.env, STATUS_FILE: statusFile },
    },
    config: compileSupervisorOptions({
      healthIntervalMs: 50,
      backoffInitialMs: 20,
      maxCrashes: 3,
      unhealthyAfter: 2,
      stopTimeoutMs: 5000,
      ...options,
    }),
    onEvent: (e) => void events.push(e),
  });
  t.after(async () => {
    await supervisor.stop();
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const next = async (type: SupervisorEvent['type'], from = 0): Promise<SupervisorEvent> => {
    for (let i = 0; i < 2000; i++) {
      const found = events.slice(from).find((e) => e.type === type);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${type} event; saw ${events.map((e) => e.type).join(', ')}`);
  };
  return { supervisor, events, next, statusFile, log };
}

test('ready -> health checks -> unhealthy -> healthy; a crash restarts it with a new pid on the same port', async (t) => {
  const { supervisor, events, next, statusFile } = setup(t, SERVER);
  supervisor.start();
  const ready = (await next('ready')) as Extract<SupervisorEvent, { type: 'ready' }>;
  assert.match(ready.httpUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(supervisor.pid, ready.pid);
  writeFileSync(statusFile, '503');
  assert.match(((await next('unhealthy')) as { reason: string }).reason, /HTTP 503/);
  writeFileSync(statusFile, '200');
  await next('healthy');

  const mark = events.length;
  process.kill(ready.pid, 'SIGKILL');
  const crashed = (await next('crashed', mark)) as Extract<SupervisorEvent, { type: 'crashed' }>;
  assert.match(crashed.reason, /killed by SIGKILL; restarting in 20 ms/);
  const again = (await next('ready', mark)) as Extract<SupervisorEvent, { type: 'ready' }>;
  assert.notEqual(again.pid, ready.pid);
  assert.equal(again.httpPort, ready.httpPort, 'the port it picked is reused');
  assert.equal(supervisor.restarts, 1);
  await supervisor.stop();
  assert.equal(isAlive(again.pid), false, 'stop ends the process');
});

test('crashing at start: restarted with doubling backoff, then failed after maxCrashes in a row', async (t) => {
  const { supervisor, events, next } = setup(t, 'process.exit(1)');
  supervisor.start();
  const failed = (await next('failed')) as { reason: string };
  assert.match(failed.reason, /exited with code 1; gave up after 3 crashes in a row/);
  const crashes = events.filter((e) => e.type === 'crashed') as Extract<SupervisorEvent, { type: 'crashed' }>[];
  assert.deepEqual(
    crashes.map((c) => c.restartInMs),
    [20, 40],
  );
  assert.equal(events.filter((e) => e.type === 'starting').length, 3);
});

test('a permanent start failure (exit 2 with a startupError line) fails at once with its message', async (t) => {
  const script = `process.stderr.write(JSON.stringify({ startupError: { code: 'TCH_ERR_REGISTRY_MODEL_NOT_FOUND', message: 'No registered model "m:1".' } }) + '\\n'); process.exit(2);`;
  const { supervisor, events, next } = setup(t, script);
  supervisor.start();
  const failed = (await next('failed')) as { reason: string };
  assert.equal(failed.reason, 'TCH_ERR_REGISTRY_MODEL_NOT_FOUND: No registered model "m:1".');
  assert.equal(events.filter((e) => e.type === 'starting').length, 1, 'not restarted');
});

test('backoff doubles from the initial delay up to the cap', () => {
  const config = compileSupervisorOptions({ backoffInitialMs: 500, backoffMaxMs: 30_000 });
  assert.deepEqual(
    [1, 2, 3, 4, 7, 20].map((n) => backoffDelay(config, n)),
    [500, 1000, 2000, 4000, 30_000, 30_000],
  );
  assert.throws(() => compileSupervisorOptions({ maxCrashes: 0 }), /maxCrashes/);
});
