import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProgressPrinter } from '../src/output.js';

const bin = fileURLToPath(new URL('../../bin/tachyon.js', import.meta.url));
const tachyon = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmpdir() });

test('usage errors exit 2; with --json they are one JSON object on stdout and nothing on stderr', () => {
  const plain = tachyon('bogus');
  assert.equal(plain.status, 2);
  assert.match(plain.stderr, /unknown command 'bogus'/);
  const missing = tachyon('classify');
  assert.equal(missing.status, 2);
  const json = tachyon('quickstart', '--json', '--no-such-flag');
  assert.equal(json.status, 2);
  assert.equal(json.stderr, '');
  assert.deepEqual(JSON.parse(json.stdout), {
    error: "unknown option '--no-such-flag'",
    code: 'TCH_ERR_USAGE',
    details: {},
  });
});

test('with --json a rejected value and a reported error are JSON on stdout: {"error", "code", "details"}', () => {
  const value = tachyon('quickstart', '--json', '--calls', '0');
  assert.equal(value.status, 1);
  assert.equal(value.stderr, '');
  const parsed = JSON.parse(value.stdout) as { error: string; code: string; details: object };
  assert.equal(parsed.code, 'TCH_ERR_INVALID_ARGUMENT');
  assert.match(parsed.error, /--calls/);
  assert.deepEqual(parsed.details, {});
  const offline = tachyon(
    '--offline',
    '--cache-dir',
    join(tmpdir(), 'tachyon-none'),
    'quickstart',
    '--model',
    'resnet50-int8',
    '--json',
  );
  assert.equal(offline.status, 1);
  const reported = JSON.parse(offline.stdout) as { code: string };
  assert.equal(reported.code, 'TCH_ERR_ZOO_FETCH_FAILED');
  assert.equal(offline.stdout.trim().split('\n').length, 1);
});

test('tachyon completion bash|zsh prints a script bash accepts; another shell is a usage error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-completion-'));
  try {
    for (const shell of ['bash', 'zsh']) {
      const r = tachyon('completion', shell);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /complete -o default -F _tachyon tachyon/);
      writeFileSync(join(dir, shell), r.stdout);
    }
    const syntax = spawnSync('bash', ['-n', join(dir, 'bash')], { encoding: 'utf8' });
    assert.equal(syntax.status, 0, syntax.stderr);
    const words = spawnSync(
      'bash',
      [
        '-c',
        `source ${join(dir, 'bash')}; COMP_WORDS=(tachyon zoo ""); COMP_CWORD=2; _tachyon; echo "\${COMPREPLY[@]}"`,
      ],
      { encoding: 'utf8' },
    );
    assert.match(words.stdout, /\blist\b/);
    assert.match(words.stdout, /\bpull\b/);
    assert.equal(tachyon('completion', 'fish').status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('download progress is line-based when stderr is not a TTY: one line per 10 %', () => {
  const lines: string[] = [];
  const print = createProgressPrinter({ isTTY: false, write: (s: string) => lines.push(s) })!;
  for (let received = 0; received <= 1000; received += 50) print({ id: 'm', received, total: 1000 });
  assert.equal(lines.length, 11);
  assert.ok(lines.every((l) => l.endsWith('\n') && !l.includes('\r')));
  assert.equal(lines.at(-1), 'm: 100% 0.0/0.0 MB\n');
});
