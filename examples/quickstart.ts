// The original Brainwave quickstart notebook, cell by cell, with the public SDK (`tachyon`). `npm run build` compiles
// it to examples/dist/quickstart.js; run it in a workspace:
//   npx tachyon workspace create /tmp/ws
//   TACHYON_WORKSPACE=/tmp/ws TACHYON_MODEL_PATH=../shared/models TACHYON_FEATURIZER=mobilenetv2 node examples/dist/quickstart.js
// TACHYON_FEATURIZER is a zoo family (default resnet50, int8 as in the original: downloaded unless a mirror has it);
// TACHYON_IMAGE the image to classify (default the sample tench). It deletes what it made; the workspace's daemon
// keeps running (`Workspace.stopDaemon()` or `tachyon` stops it).
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  Model,
  ServiceDefinition,
  Webservice,
  Workspace,
  defaultClassifier,
  featurizerStage,
  imageStage,
  isTachyonError,
} from 'tachyon-serve';

const env = process.env;
const family = env['TACHYON_FEATURIZER'] ?? 'resnet50';
const imagePath = env['TACHYON_IMAGE'] ?? '../shared/images/imagenet-sample/n01440764_tench.JPEG';

// Cell 1 — define the pipeline: image preprocessing -> quantized featurizer -> the default ImageNet classifier.
const modelDef = new ServiceDefinition(`${family}-imagenet`);
modelDef.pipeline.push(
  imageStage('torchvision224'),
  featurizerStage(family, { dtype: 'int8' }),
  defaultClassifier({ topK: 5 }),
);

// Cell 2 — save the service definition as one zip (model_def.zip in the original).
const modelDefPath = join(mkdtempSync(join(tmpdir(), 'tachyon-example-')), 'model_def.zip');
await modelDef.save(modelDefPath);

// Cell 3 — the workspace, from tachyon.json ($TACHYON_WORKSPACE, else searched from the working directory upward).
const ws = await Workspace.fromConfig(env['TACHYON_WORKSPACE']);

// Cell 4 — register the definition as a model version.
const model = await Model.register(ws, modelDefPath, `${family}-quickstart`);
console.log(`registered ${model.id}`);

// Cell 5 — get the service if it exists, else deploy it (TLS with a self-signed certificate for localhost, and keys).
const serviceName = `${family}-quickstart`;
let service: Webservice;
try {
  service = await Webservice.get(ws, serviceName);
  console.log(`found service ${service.name}`);
} catch (error) {
  if (!isTachyonError(error, 'TCH_ERR_SERVICE_NOT_FOUND')) throw error;
  service = await Webservice.deployFromModel(ws, serviceName, [model], undefined, { tls: 'self-signed' });
}

// Cell 6 — wait until it serves (progress on stderr).
await service.waitForDeployment({ showOutput: true });
console.log(`scoring uri: ${service.scoringUri}`);

// Cell 7 — run an image: every class confidence, then the top 5 with their names.
const scores = await service.run(imagePath);
const { top } = await service.classify(imagePath, { top: 5 });
console.log(`${scores.length} class confidences; top 5:`);
for (const c of top) console.log(`  ${c.label}  ${(c.score * 100).toFixed(2)}%  (class ${c.index})`);

// Cell 8 — clean up: the service, then the model (and the zip).
await service.delete();
await model.delete();
await ws.close();
await rm(dirname(modelDefPath), { recursive: true, force: true });
console.log('deleted the service and the model');
