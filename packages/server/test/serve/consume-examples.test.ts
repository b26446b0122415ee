// Executes every example of docs/consume.md (examples/consume/*) against a real server, over HTTP and HTTPS with a
// test CA, and checks that each protocol returns the same top-1 class for the same image.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { GOLDFISH, MODEL_NAME, startTestServer } from './support/serve-fixture.js';
import { createTestCa, issueServerCert } from './support/test-ca.js';
import { REPO_ROOT, sampleImagePath, tempDir } from '@tachyon-serve/test-support';

const run = promisify(execFile);
const EXAMPLES = join(REPO_ROOT, 'examples', 'consume');
const CLIENT_JS = join(REPO_ROOT, 'examples', 'dist', 'consume', 'client.js');
const PYTHON = process.env['TACHYON_PYTHON'] ?? '/usr/bin/python3';
const CI_DEPS_HINT =
  'run scripts/ci-deps.sh (it installs curl, openssl, python3-requests, python3-grpcio and python3-grpc-tools)';

interface Endpoint {
  url: string;
  grpc: string;
  key: string;
  ca?: string;
}

interface Top1 {
  via: string;
  index: number;
  label?: string;
}

/** Fails (never skips) with the fix when a tool the examples need is missing. */
async function checkTools(): Promise<void> {
  for (const [tool, arg] of [
    ['curl', '--version'],
    ['openssl', 'version'],
  ] as const) {
    await run(tool, [arg]).catch(() => assert.fail(`"${tool}" is not installed: ${CI_DEPS_HINT}`));
  }
  if (!existsSync(PYTHON))
    assert.fail(`${PYTHON} does not exist (set TACHYON_PYTHON to another python3): ${CI_DEPS_HINT}`);
  try {
    await run(PYTHON, ['-c', 'import requests, grpc, grpc_tools.protoc']);
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error)
      .trim()
      .split('\n')
      .pop();
    assert.fail(`the Python modules of the consume examples are missing for ${PYTHON} (${stderr}): ${CI_DEPS_HINT}`);
  }
  if (!existsSync(CLIENT_JS))
    assert.fail(`${CLIENT_JS} is missing: run \`npx tsc -b\` (examples/tsconfig.json builds it)`);
}

function exampleEnv(endpoint: Endpoint): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TACHYON_URL: endpoint.url,
    TACHYON_GRPC: endpoint.grpc,
    TACHYON_KEY: endpoint.key,
    TACHYON_MODEL: MODEL_NAME,
    TACHYON_IMAGE: sampleImagePath(GOLDFISH.file),
  };
  if (endpoint.ca === undefined) delete env['TACHYON_CA'];
  else env['TACHYON_CA'] = endpoint.ca;
  return env;
}

const jsonLines = (stdout: string): unknown[] =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);

/** Runs the four examples; each answer reduced to {via, index, label?}. */
async function runExamples(endpoint: Endpoint): Promise<Top1[]> {
  const env = exampleEnv(endpoint);
  const options = { env, cwd: REPO_ROOT, timeout: 60_000 };
  const results: Top1[] = [];

  const curl = jsonLines((await run('bash', [join(EXAMPLES, 'curl.sh')], options)).stdout);
  assert.equal(curl.length, 2, 'curl.sh prints the raw and the KServe v2 answers');
  const raw = curl[0] as { results: { file: null; top: { index: number; label: string }[] }[] };
  results.push({ via: 'curl raw', index: raw.results[0]!.top[0]!.index, label: raw.results[0]!.top[0]!.label });
  const kserve = curl[1] as { model_name: string; outputs: { name: string; datatype: string; data: string[] }[] };
  assert.equal(kserve.model_name, MODEL_NAME);
  const [, index, label] = kserve.outputs[0]!.data[0]!.split(':');
  results.push({ via: 'curl kserve-json', index: Number(index), label: label! });

  for (const script of ['python_requests.py', 'python_grpc.py']) {
    for (const line of jsonLines((await run(PYTHON, [join(EXAMPLES, script)], options)).stdout) as Top1[]) {
      results.push({ ...line, via: `${script} ${line.via}` });
    }
  }
  for (const line of jsonLines((await run(process.execPath, [CLIENT_JS], options)).stdout) as Top1[]) {
    results.push({ ...line, via: `client.ts ${line.via}` });
  }
  return results;
}

function assertSameTop1(results: Top1[]): void {
  const vias = results.map((r) => r.via.split(' ')[0]);
  for (const example of ['curl', 'python_requests.py', 'python_grpc.py', 'client.ts'])
    assert.ok(vias.includes(example), `${example} ran`);
  assert.equal(results.length, 8, JSON.stringify(results));
  for (const r of results) {
    assert.equal(r.index, GOLDFISH.index, `${r.via}: top-1 index`);
    if (r.label !== undefined) assert.equal(r.label, GOLDFISH.label, `${r.via}: top-1 label`);
  }
}

describe('docs/consume.md examples, executed', () => {
  test('curl, Python requests, Python grpcio and the TypeScript client agree over plain HTTP and gRPC', async (t: TestContext) => {
    await checkTools();
    const { server } = await startTestServer(t);
    assert.ok(server.keysGenerated && server.keys);
    assert.match(server.httpUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assertSameTop1(await runExamples({ url: server.httpUrl, grpc: server.grpcAddress, key: server.keys.primary }));
  });

  test('the same over HTTPS and gRPC TLS with a test CA; without the CA the examples fail', async (t: TestContext) => {
    await checkTools();
    const dir = tempDir(t, 'tachyon-serve-test-');
    const ca = createTestCa(dir);
    const cert = issueServerCert(ca, dir);
    const { server, logs } = await startTestServer(t, { tls: { certFile: cert.cert, keyFile: cert.key } });
    assert.match(server.httpUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    const endpoint = { url: server.httpUrl, grpc: server.grpcAddress, key: server.keys!.secondary, ca: ca.caCert };
    assertSameTop1(await runExamples(endpoint));

    const untrusted = { ...endpoint, ca: undefined };
    const options = { env: exampleEnv(untrusted), cwd: REPO_ROOT, timeout: 60_000 };
    await assert.rejects(run('bash', [join(EXAMPLES, 'curl.sh')], options), /certificate/i, 'curl without --cacert');
    await assert.rejects(
      run(PYTHON, [join(EXAMPLES, 'python_requests.py')], options),
      /CERTIFICATE_VERIFY_FAILED|SSLError/,
      'requests without verify=CA',
    );
    await assert.rejects(run(process.execPath, [CLIENT_JS], options), /TCH_ERR_CLIENT_TLS_FAILED/, 'client without ca');
    // gRPC without the CA: the handshake fails and the call ends UNAVAILABLE within its timeout.
    await assert.rejects(
      run(PYTHON, [join(EXAMPLES, 'python_grpc.py')], options),
      /UNAVAILABLE/,
      'grpcio without root certificates',
    );

    const keys = server.keys!;
    const text = logs.join('');
    assert.ok(!text.includes(keys.primary) && !text.includes(keys.secondary), 'no key in the logs');
    assert.ok(
      !readFileSync(cert.key, 'utf8')
        .split('\n')
        .slice(1, -2)
        .some((l) => l.length > 20 && text.includes(l)),
      'no key material in the logs',
    );
  });
});
