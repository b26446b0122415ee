import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Script } from 'node:vm';
import { POD_UID } from '../../src/controller/k8s/pod-template.js';
import { POD_PATHS } from '../../src/controller/k8s/workspace-init.js';
import { REPO_ROOT } from '@tachyon-serve/test-support';

// No container runtime here: the image is never built in tests. This checks the Dockerfile's essentials as text.

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of logical) {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    assert.ok(op && args !== undefined, `unparsable line: ${line}`);
    if (op.toUpperCase() === 'FROM') stage += 1;
    out.push({ op: op.toUpperCase(), args: args.trim(), stage });
  }
  return out;
}

const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, 'deploy', 'docker', 'Dockerfile'), 'utf8'));
const finalStage = Math.max(...dockerfile.map((i) => i.stage));
const final = dockerfile.filter((i) => i.stage === finalStage);
const all = (op: string, list = dockerfile) => list.filter((i) => i.op === op);

test('every stage is based on node:20-bookworm-slim', () => {
  const froms = all('FROM');
  assert.ok(froms.length >= 1);
  for (const from of froms) assert.match(from.args, /^node:20-bookworm-slim(\s+AS\s+\w+)?$/i);
});

test('the runtime stage installs production dependencies only, with the onnxruntime download skipped first', () => {
  const install = final.findIndex((i) => i.op === 'RUN' && /\bnpm ci\b[^&]*--omit=dev/.test(i.args));
  assert.ok(install >= 0, 'npm ci --omit=dev in the final stage');
  const skip = final.findIndex((i) => i.op === 'ENV' && /ONNXRUNTIME_NODE_INSTALL=skip/.test(i.args));
  assert.ok(skip >= 0 && skip < install, 'ONNXRUNTIME_NODE_INSTALL=skip is set before npm ci');
  for (const run of all('RUN'))
    if (/\bnpm (ci|install)\b/.test(run.args))
      assert.ok(
        dockerfile.some((i) => i.stage === run.stage && i.op === 'ENV' && /ONNXRUNTIME_NODE_INSTALL=skip/.test(i.args)),
      );
});

test('the server runs as the non-root uid the manifests expect, exposes 8000 and 8001 and runs tachyon serve', () => {
  const users = all('USER', final);
  assert.equal(users.length, 1);
  assert.equal(users[0]!.args, `${POD_UID}:${POD_UID}`, 'numeric uid:gid, so runAsNonRoot can verify it');
  assert.ok(final.some((i) => i.op === 'RUN' && i.args.includes(`--uid ${POD_UID}`)));
  assert.deepEqual(
    all('EXPOSE', final)
      .flatMap((i) => i.args.split(/\s+/))
      .sort(),
    ['8000', '8001'],
  );
  const entrypoint = JSON.parse(all('ENTRYPOINT', final).at(-1)!.args) as string[];
  assert.deepEqual(entrypoint, ['node', '/app/packages/cli/bin/tachyon.js']);
  assert.equal((JSON.parse(all('CMD', final).at(-1)!.args) as string[])[0], 'serve');
  for (const dir of [POD_PATHS.cache, POD_PATHS.artifacts, POD_PATHS.runtime])
    assert.ok(
      final.some((i) => i.op === 'RUN' && i.args.includes(`chown tachyon:tachyon`) && i.args.includes(dir)),
      dir,
    );
});

test('the HEALTHCHECK probes /v2/health/live with a script node can compile', () => {
  const health = all('HEALTHCHECK', final);
  assert.equal(health.length, 1);
  const exec = JSON.parse(health[0]!.args.slice(health[0]!.args.indexOf('CMD') + 3).trim()) as string[];
  assert.deepEqual(exec.slice(0, 2), ['node', '-e']);
  assert.match(exec[2]!, /\/v2\/health\/live/);
  assert.doesNotThrow(() => new Script(exec[2]!));
});

test('every COPY from the build context names a file or folder of the repository', () => {
  for (const copy of all('COPY').filter((i) => !i.args.startsWith('--from'))) {
    const parts = copy.args.split(/\s+/);
    for (const source of parts.slice(0, -1)) assert.ok(existsSync(join(REPO_ROOT, source)), `COPY source ${source}`);
  }
  const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8');
  for (const entry of ['**/node_modules', '**/dist', '**/.tachyon'])
    assert.ok(ignore.split('\n').includes(entry), entry);
});
