import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { CLI_BIN, REPO_ROOT, sampleImagePath, sharedDir } from '@tachyon-serve/test-support';

export { CLI_BIN, REPO_ROOT };
/** ../shared beside the repository, or $TACHYON_SHARED_DIR. */
export const SHARED = sharedDir();
export const SHARED_MODELS = join(SHARED, 'models');
export const sample = sampleImagePath;
/** Known images and their ImageNet labels (clear top-1 with mobilenetv2-int8). */
export const KNOWN = Object.freeze([
  { file: 'n01440764_tench.JPEG', label: 'tench', index: 0 },
  { file: 'n01443537_goldfish.JPEG', label: 'goldfish', index: 1 },
  { file: 'n07747607_orange.JPEG', label: 'orange', index: 950 },
]);

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a node script (the CLI or a compiled example) in `cwd` with a cache of its own and no TACHYON_MODEL_PATH. */
export function runNode(
  script: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  const full: NodeJS.ProcessEnv = { ...process.env, TACHYON_CACHE_DIR: join(cwd, 'cache'), ...env };
  if (env['TACHYON_MODEL_PATH'] === undefined) delete full['TACHYON_MODEL_PATH'];
  return new Promise((done) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd, env: full, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        done({ code, stdout, stderr });
      },
    );
  });
}

export const runCli = (args: readonly string[], cwd: string): Promise<Run> => runNode(CLI_BIN, args, cwd);

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits (bounded) until `pid` has exited; returns whether it did. */
export async function exited(pid: number, limitMs = 30_000): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < limitMs; await sleep(50)) if (!alive(pid)) return true;
  return !alive(pid);
}

/** Processes whose command line or working directory mentions `path` (Linux /proc), other than this one. */
export function processesUsing(path: string): number[] {
  if (!existsSync('/proc/self/cmdline')) throw new Error('these checks read /proc (Linux)');
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        // another user's process
      }
      if (cmdline.includes(path) || cwd.startsWith(path)) found.push(Number(entry));
    } catch {
      // it exited while we looked
    }
  }
  return found;
}

/** Waits (bounded) until no process uses `path`; returns those still there. */
export async function noProcessesUsing(path: string, limitMs = 30_000): Promise<number[]> {
  let left = processesUsing(path);
  for (const started = Date.now(); left.length > 0 && Date.now() - started < limitMs; left = processesUsing(path))
    await sleep(100);
  return left;
}

/**
 * A fresh workspace in a temporary folder. One after-hook stops its daemon (and so every service process), waits for
 * them to go, then removes the folder: in this order, also when the test failed half-way.
 */
export async function tempWorkspace(
  t: TestContext,
  name: string,
): Promise<{ ws: import('tachyon-serve').Workspace; dir: string }> {
  const { Workspace } = await import('tachyon-serve');
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-e2e-'));
  const ws = await Workspace.create(join(dir, 'ws'), { name });
  t.after(async () => {
    await ws.stopDaemon().catch(() => undefined);
    await ws.close();
    await noProcessesUsing(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return { ws, dir };
}
