// Crashes and a full disk while registering: `tachyon model register` is SIGKILLed at points spread over a
// registration (and once at the worst instant, between the blob commit and the row insert, with the registry's
// test-only hook); a registration onto a size-limited tmpfs runs out of space. After each, the registry is opened
// the normal way (recovery) and must hold no half-registered version, no orphan blob, no journal row, no staging file.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createWorkspace, openRegistry, locateWorkspaceConfig } from '@tachyon-serve/core';
import type { CheckList } from './check.js';
import { CLI_BIN, sharedModels } from './paths.js';
import { checkRegistry } from './registry-consistency.js';

const FP32 = () => join(sharedModels(), 'mobilenetv2-fp32.onnx');
const INT8 = () => join(sharedModels(), 'mobilenetv2-int8-qdq.onnx');

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `tachyon model register FILE --name NAME --json` in `root`; SIGKILLed after `killAfterMs` when given. */
export function cliRegister(
  root: string,
  file: string,
  name: string,
  options: { killAfterMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [CLI_BIN, '--workspace', root, 'model', 'register', file, '--name', name, '--json'],
    {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer =
    options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
  // 'close', not 'exit': only then has everything the child wrote been read.
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    }),
  );
}

/**
 * A valid ONNX model of about 13 MiB + `padMiB`, unique per `tag`: the real MobileNetV2 fp32 with a doc_string
 * (ModelProto field 6) appended; a protobuf field given twice keeps the last, so the model stays valid. Unique bytes
 * mean a unique blob, so a crash after its commit leaves a blob that recovery must remove; the padding makes the
 * registration itself (staging, hashing, validation) last long enough to be hit.
 */
export function writeVictimModel(path: string, tag: string, padMiB = 96): string {
  const doc = Buffer.alloc(padMiB * 1024 * 1024, 0x20);
  doc.write(`reliability victim ${tag} `);
  const length: number[] = [];
  for (let n = doc.length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      length.push(n);
      break;
    }
    length.push((n % 128) | 0x80);
  }
  writeFileSync(path, Buffer.concat([readFileSync(FP32()), Buffer.from([(6 << 3) | 2, ...length]), doc]));
  return path;
}

export async function runKillDuringRegister(workDir: string, checks: CheckList, trials: number): Promise<void> {
  const root = join(workDir, 'ws-register');
  await createWorkspace(root);
  const title = 'kill -9 of `tachyon model register` at points spread over the registration';
  const expected = 'after the next open: no half-registered version, no orphan blob, no journal row, no staging file';
  await checks.guard('kill-during-register', title, expected, async () => {
    const baseline = await cliRegister(root, INT8(), 'baseline');
    if (baseline.code !== 0) throw new Error(`baseline registration failed: ${baseline.stderr.trim()}`);
    // An undisturbed registration tells how long one takes, and a CLI call that registers nothing how long the
    // process takes to get there; the kills are spread over the span in between.
    const victim = join(workDir, 'victim.onnx');
    const full = await cliRegister(root, writeVictimModel(victim, 'timing'), 'timing');
    if (full.code !== 0) throw new Error(`timing registration failed: ${full.stderr.trim()}`);
    const startup = (await cliRegister(root, join(workDir, 'missing.onnx'), 'none')).ms;
    const outcomes: string[] = [];
    const problems: string[] = [];
    for (let i = 0; i < trials; i++) {
      const at = Math.round(startup + ((full.ms - startup) * (i + 0.5)) / trials);
      const run = await cliRegister(root, writeVictimModel(victim, `trial ${i}`), 'victim', { killAfterMs: at });
      const state = await checkRegistry(root);
      const r = state.recovered;
      const left =
        r.stagingRemoved + r.pendingCleared + r.blobsRemoved.length === 0
          ? 'nothing to undo'
          : `undid ${r.stagingRemoved} staging, ${r.pendingCleared} journal, ${r.blobsRemoved.length} blobs`;
      outcomes.push(`${at} ms: ${run.signal === 'SIGKILL' ? `killed, ${left}` : `finished (${run.code})`}`);
      if (!state.consistent) problems.push(`after a kill at ${at} ms: ${state.problems.join(', ')}`);
    }
    // The worst instant: the blob is committed and journaled, the version row not yet written.
    const hooked = await cliRegister(root, writeVictimModel(victim, 'hooked'), 'victim', {
      env: { TACHYON_TEST_CRASH_AFTER_BLOB: '1' },
    });
    const afterHook = await checkRegistry(root);
    if (!afterHook.consistent) problems.push(`after the crash between blob and row: ${afterHook.problems.join(', ')}`);
    const again = await cliRegister(root, writeVictimModel(victim, 'clean'), 'victim');
    const final = await checkRegistry(root);
    if (!final.consistent) problems.push(`after a clean registration: ${final.problems.join(', ')}`);
    checks.check(
      'kill-during-register',
      title,
      expected,
      `${trials} kills (${outcomes.join('; ')}) + 1 at the blob/row boundary (${hooked.signal ?? hooked.code}, recovery cleared ${afterHook.recovered.pendingCleared} journal rows and ${afterHook.recovered.blobsRemoved.length} blobs); ` +
        `then a clean registration ${again.code === 0 ? 'succeeds' : 'fails'}; ${problems.length === 0 ? 'registry consistent every time' : problems.join(' | ')}`,
      problems.length === 0 && hooked.signal === 'SIGKILL' && again.code === 0,
      {
        registrationMs: Math.round(full.ms),
        cliStartupMs: Math.round(startup),
        versions: final.versions,
        blobs: final.blobs,
      },
    );
  });
}

function jsonErrorCode(stdout: string): string | undefined {
  try {
    const last = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { code?: unknown };
    return typeof last.code === 'string' ? last.code : undefined;
  } catch {
    return undefined;
  }
}

/** Whether this process may mount a tmpfs (root on Linux). */
export function canMount(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

export async function runDiskFull(workDir: string, checks: CheckList): Promise<void> {
  const title = 'disk full while registering (artifacts on an 8 MiB tmpfs, a 13.3 MiB model)';
  const expected = 'TCH_ERR_REGISTRY_STORAGE_FAILED, nothing half-written, the store works again for what fits';
  if (!canMount()) {
    checks.check(
      'disk-full',
      title,
      expected,
      'skipped: mounting a tmpfs needs root; run the command as root to cover it',
      true,
      { skipped: true },
    );
    return;
  }
  const root = join(workDir, 'ws-diskfull');
  const artifacts = join(root, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', artifacts]);
  try {
    await checks.guard('disk-full', title, expected, async () => {
      await createWorkspace(root);
      const full = await cliRegister(root, FP32(), 'big');
      // With --json the error is JSON on stdout ({error, code, details}).
      const code = jsonErrorCode(full.stdout) ?? /error (TCH_ERR_[A-Z_]+):/.exec(full.stderr)?.[1];
      const after = await checkRegistry(root);
      const used = execFileSync('df', ['--output=used', '-B1', artifacts], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .at(-1)!
        .trim();
      const fits = await cliRegister(root, INT8(), 'small');
      const final = await checkRegistry(root);
      const registry = await openRegistry(locateWorkspaceConfig(root));
      const names = (await registry.list()).map((v) => `${v.name}:${v.version}`);
      await registry.close();
      checks.check(
        'disk-full',
        title,
        expected,
        `${code ?? `exit ${full.code}`} (${full.stderr.trim().split('\n').at(-1)}); then ${after.versions} versions, ${after.blobs} blobs, ${Number(used)} bytes used on the tmpfs` +
          `${after.consistent ? '' : `, ${after.problems.join(', ')}`}; a 3.4 MiB model then registers: ${fits.code === 0 ? 'yes' : 'no'} (${names.join(', ')})`,
        full.code === 1 &&
          code === 'TCH_ERR_REGISTRY_STORAGE_FAILED' &&
          after.consistent &&
          after.versions === 0 &&
          after.blobs === 0 &&
          fits.code === 0 &&
          final.consistent &&
          names.join() === 'small:1',
      );
    });
  } finally {
    for (let i = 0; i < 10; i++) {
      try {
        execFileSync('umount', [artifacts]);
        break;
      } catch {
        await sleep(200);
      }
    }
  }
}
