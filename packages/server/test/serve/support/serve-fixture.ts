import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { compileModelSources } from '@tachyon-serve/core';
import { startServer, type RunningServer } from '../../../src/serve/start-server.js';
import type { ServeOptions } from '../../../src/serve/serve-options.js';
import { createServeLogger } from '../../../src/serve/serve-logger.js';
import { CLI_BIN, sharedDir, tempDir } from '@tachyon-serve/test-support';

export const MODEL_NAME = 'mnv2';
/** mobilenetv2-int8 puts 0.997 on goldfish for this image: a top-1 no protocol can get wrong by rounding. */
export const GOLDFISH = { file: 'n01443537_goldfish.JPEG', index: 1, label: 'goldfish' };

export interface TestServer {
  server: RunningServer;
  /** Every log line the server wrote (fastify's and the serve helper's). */
  logs: string[];
}

/** startServer on 127.0.0.1 with free ports and mobilenetv2-int8 from ../shared/models as MODEL_NAME; closed after the test. */
export async function startTestServer(t: TestContext, options: Partial<ServeOptions> = {}): Promise<TestServer> {
  const logs: string[] = [];
  const cacheDir = tempDir(t, 'tachyon-serve-cache-');
  const server = await startServer({
    models: [{ name: MODEL_NAME, source: 'mobilenetv2-int8' }],
    host: '127.0.0.1',
    httpPort: 0,
    grpcPort: 0,
    sources: compileModelSources({ cacheDir, modelPath: [join(sharedDir(), 'models')], allowDownload: false, env: {} }),
    logger: createServeLogger({ write: (line) => void logs.push(line) }),
    ...options,
  });
  t.after(() => server.close());
  return { server, logs };
}

export interface ServeChild {
  child: ChildProcess;
  /** The JSON line `tachyon serve` prints when ready. */
  ready: { http: string; grpc: string; models: string[]; keys?: { primary: string; secondary: string } };
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the `count`-th stderr line that matches (lines already written count too). */
  waitForLog: (pattern: RegExp, options?: { count?: number; timeoutMs?: number }) => Promise<string>;
}

/**
 * Spawns `tachyon --model-path ../shared/models serve ARGS` (killed after the test if still running) and resolves
 * on its ready line; rejects with its stderr if it exits first.
 */
export async function spawnServe(
  t: TestContext,
  args: readonly string[],
  cwd: string,
  timeoutMs = 60_000,
): Promise<ServeChild> {
  const env: NodeJS.ProcessEnv = { ...process.env, TACHYON_CACHE_DIR: join(cwd, 'cache') };
  delete env['TACHYON_MODEL_PATH'];
  const child = spawn(process.execPath, [CLI_BIN, '--model-path', join(sharedDir(), 'models'), 'serve', ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of waiters) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const waitFor = <T>(check: () => T | undefined, what: string, ms: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        waiters.delete(poll);
        clearTimeout(timer);
        fn();
      };
      const poll = () => {
        const value = check();
        if (value !== undefined) done(() => resolve(value));
        else if (child.exitCode !== null || child.signalCode !== null)
          done(() =>
            reject(new Error(`tachyon serve exited (${child.exitCode ?? child.signalCode}) before ${what}:\n${err}`)),
          );
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out waiting for ${what}; stderr:\n${err}`))),
        ms,
      );
      waiters.add(poll);
      child.once('exit', poll);
      poll();
    });
  const line = await waitFor(
    () => (out.includes('\n') ? out.slice(0, out.indexOf('\n')) : undefined),
    'the ready line',
    timeoutMs,
  );
  return {
    child,
    ready: JSON.parse(line) as ServeChild['ready'],
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog: (pattern, { count = 1, timeoutMs: ms = 20_000 } = {}) =>
      waitFor(
        () => err.split('\n').filter((l) => pattern.test(l))[count - 1],
        `log line #${count} matching ${pattern}`,
        ms,
      ),
  };
}
