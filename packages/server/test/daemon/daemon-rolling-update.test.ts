// update = a rolling update on the running process: version 2 loads and warms while version 1 serves, then traffic
// switches; two clients calling in a loop the whole time see zero failed requests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ORANGE, sampleImage } from '@tachyon-serve/test-support';
import { daemonWorkspace, FP32_FILE, INT8_FILE, MODEL, startTestDaemon } from '@tachyon-serve/test-support/daemon';

const body = JSON.stringify({
  inputs: [
    { name: 'images', datatype: 'BYTES', shape: [1], data: [{ b64: sampleImage(ORANGE.file).toString('base64') }] },
  ],
  outputs: [{ name: 'scores', parameters: { classification: 1 } }],
});

interface Answer {
  status: number;
  version?: string;
  code?: string;
}

async function inferOnce(url: string, key: string): Promise<Answer> {
  try {
    const res = await fetch(`${url}/v2/models/vision/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
    });
    const json = (await res.json()) as { model_version?: string; code?: string };
    return {
      status: res.status,
      ...(json.model_version === undefined ? {} : { version: json.model_version }),
      ...(json.code === undefined ? {} : { code: json.code }),
    };
  } catch (error) {
    return { status: 0, code: (error as Error).message };
  }
}

test('rolling update under load: zero failed requests, answers switch from version 1 to 2, same process', async (t) => {
  const root = await daemonWorkspace(t, [INT8_FILE, FP32_FILE]);
  const daemon = await startTestDaemon(root);
  await daemon.deploy('vision', { model: { name: MODEL, version: 1 } });
  const v1 = await daemon.waitForService('vision', { timeoutMs: 120_000 });
  const { primary } = await daemon.getKeys('vision');
  assert.equal((await inferOnce(v1.httpUrl!, primary)).version, '1');

  // Two clients call back to back until the switch is done and each has seen version 2 a few times (bounded).
  let switched = false;
  const client = async (): Promise<Answer[]> => {
    const answers: Answer[] = [];
    while (answers.length < 5000) {
      answers.push(await inferOnce(v1.httpUrl!, primary));
      if (switched && answers.filter((a) => a.version === '2').length >= 3) break;
    }
    return answers;
  };
  const loops = [client(), client()];
  const update = await daemon.deploy('vision', { model: { name: MODEL, version: 2 } });
  assert.equal(update.changed, true);
  assert.equal(update.status.generation, 2);
  assert.notEqual(update.status.state, 'Healthy', 'Transitioning while version 2 loads');
  const v2 = await daemon
    .waitForService('vision', { generation: 2, timeoutMs: 120_000 })
    .finally(() => (switched = true));
  const results = await Promise.all(loops);

  assert.equal(v2.pid, v1.pid, 'no restart: the same process loaded version 2');
  assert.equal(v2.httpUrl, v1.httpUrl);
  for (const answers of results) {
    const failed = answers.filter((a) => a.status !== 200);
    assert.deepEqual(failed, [], `${failed.length} of ${answers.length} requests failed`);
    const versions = answers.map((a) => a.version);
    assert.equal(versions[0], '1', 'version 1 served while version 2 loaded');
    assert.equal(versions.at(-1), '2');
    const firstTwo = versions.indexOf('2');
    assert.ok(
      versions.slice(firstTwo).every((v) => v === '2'),
      'once switched, every answer is version 2',
    );
  }
  assert.equal((await inferOnce(v1.httpUrl!, primary)).version, '2');
});
