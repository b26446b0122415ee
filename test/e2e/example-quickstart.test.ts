// CI runs examples/quickstart.ts (the original notebook in TypeScript, compiled to examples/dist/quickstart.js) as a
// user would, in a fresh workspace, and checks its output and that it leaves nothing registered or running.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Model, Webservice } from 'tachyon-serve';
import { REPO_ROOT, SHARED_MODELS, noProcessesUsing, runNode, sample, tempWorkspace } from './support/e2e-support.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'dist', 'quickstart.js');

test('examples/quickstart.ts runs the notebook end to end: top-5 of the tench, then deletes service and model', async (t) => {
  assert.ok(existsSync(EXAMPLE), `${EXAMPLE} is missing: run \`npx tsc -b\``);
  const { ws, dir } = await tempWorkspace(t, 'e2e-example');
  const r = await runNode(EXAMPLE, [], REPO_ROOT, {
    TACHYON_WORKSPACE: ws.root,
    TACHYON_MODEL_PATH: SHARED_MODELS,
    TACHYON_FEATURIZER: 'mobilenetv2',
    TACHYON_IMAGE: sample('n01440764_tench.JPEG'),
    TACHYON_CACHE_DIR: join(dir, 'cache'),
  });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'registered mobilenetv2-quickstart:1');
  assert.match(r.stdout, /scoring uri: https:\/\/127\.0\.0\.1:\d+\/v1\/services\/mobilenetv2-quickstart\/classify/);
  assert.match(
    r.stdout,
    /1000 class confidences; top 5:\n {2}tench {2}\d+\.\d\d% {2}\(class 0\)\n( {2}.+\n){4}deleted the service and the model\n$/,
  );
  assert.match(r.stderr, /service "mobilenetv2-quickstart" is Healthy/);

  assert.deepEqual(await Webservice.list(ws), [], 'no service is left');
  assert.deepEqual(await Model.list(ws), [], 'no model is left');
  await ws.stopDaemon();
  assert.deepEqual(await noProcessesUsing(ws.root), []);
});
