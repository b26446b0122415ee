// Throwaway check: load each exported random-weight model in onnxruntime-node and run one
// random batch-1 input. Usage: node bench/setup/check-models.mjs [modelsDir]
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2] ?? path.resolve(here, '..', 'models');
const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
const results = [];
for (const [name, m] of Object.entries(manifest.models)) {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(path.join(dir, m.file));
  const loadMs = performance.now() - t0;
  const data = new Float32Array(3 * 224 * 224);
  for (let i = 0; i < data.length; i++) data[i] = Math.random() * 2 - 1;
  const feeds = { [m.input]: new ort.Tensor('float32', data, [1, 3, 224, 224]) };
  const t1 = performance.now();
  const out = await session.run(feeds);
  const runMs = performance.now() - t1;
  const logits = out[m.output];
  const row = {
    name,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    dims: logits.dims,
    finite: logits.data.every(Number.isFinite),
    loadMs: Math.round(loadMs),
    runMs: Math.round(runMs),
  };
  results.push(row);
  console.error(`${name}: out ${JSON.stringify(logits.dims)} load ${row.loadMs} ms, run ${row.runMs} ms`);
  await session.release();
}
console.log(JSON.stringify(results, null, 2));
