// Accuracy and latency check of core/image against the real models (a script, not a unit test).
//
//   npx tsc -b packages/core && node packages/core/test/image/accuracy-check.mjs [--shared DIR] [--limit N]
//
// DIR (default $TACHYON_SHARED_DIR, else ../shared next to the repository) holds models/ and
// images/imagenet-sample/. Prints top-1/top-5 per model next to the numbers of models/README.md, and the
// p50/p90 preprocessing time of one 500x375 JPEG per preset. Exits 1 when a model is more than 1 point of
// top-1 away from the README.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { PRESETS, preprocessImage, tensorElementsPerImage } from '../../dist/src/image/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { shared: { type: 'string' }, limit: { type: 'string' }, batch: { type: 'string' } },
});
const shared = resolve(values.shared ?? process.env.TACHYON_SHARED_DIR ?? join(here, '../../../../../shared'));
const limit = values.limit === undefined ? Infinity : Number(values.limit);
const batch = Number(values.batch ?? 8);

const MODELS = [
  { file: 'mobilenetv2-fp32.onnx', input: 'input', output: 'logits', preset: 'torchvision224', readme: [83.8, 97.0] },
  {
    file: 'mobilenetv2-int8-qdq.onnx',
    input: 'input',
    output: 'logits',
    preset: 'torchvision224',
    readme: [84.4, 96.9],
  },
  { file: 'squeezenet1.1-fp32.onnx', input: 'input', output: 'prob', preset: 'caffe227', readme: [68.0, 87.1] },
];

const imageDir = join(shared, 'images/imagenet-sample');
const rows = readFileSync(join(imageDir, 'labels.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t'))
  .map(([file, cls]) => ({ file, label: Number(cls) }))
  .slice(0, limit);
const images = rows.map((r) => ({ ...r, bytes: readFileSync(join(imageDir, r.file)) }));

let failed = false;
const tensors = new Map(); // preset -> Float32Array of all images
for (const name of new Set(MODELS.map((m) => m.preset))) {
  const config = PRESETS[name];
  const per = tensorElementsPerImage(config);
  const all = new Float32Array(per * images.length);
  const t0 = performance.now();
  for (let i = 0; i < images.length; i++)
    await preprocessImage(images[i].bytes, config, { data: all, offset: i * per });
  console.log(`${name}: preprocessed ${images.length} images in ${(performance.now() - t0).toFixed(0)} ms`);
  tensors.set(name, all);
}

for (const model of MODELS) {
  const session = await ort.InferenceSession.create(join(shared, 'models', model.file), { intraOpNumThreads: 2 });
  const config = PRESETS[model.preset];
  const per = tensorElementsPerImage(config);
  const [h, w] = config.size;
  const all = tensors.get(model.preset);
  let top1 = 0,
    top5 = 0;
  for (let start = 0; start < images.length; start += batch) {
    const n = Math.min(batch, images.length - start);
    const data = all.subarray(start * per, (start + n) * per);
    const out = await session.run({ [model.input]: new ort.Tensor('float32', data, [n, 3, h, w]) });
    const scores = out[model.output].data;
    const classes = scores.length / n;
    for (let k = 0; k < n; k++) {
      const row = scores.subarray(k * classes, (k + 1) * classes);
      const label = images[start + k].label;
      const better = row.reduce(
        (count, v, j) => count + (v > row[label] || (v === row[label] && j < label) ? 1 : 0),
        0,
      );
      if (better === 0) top1++;
      if (better < 5) top5++;
    }
  }
  await session.release();
  const [r1, r5] = model.readme;
  const p1 = (100 * top1) / images.length,
    p5 = (100 * top5) / images.length;
  const ok = images.length < 1000 || Math.abs(p1 - r1) <= 1;
  if (!ok) failed = true;
  console.log(
    `${model.file} (${model.preset}): top-1 ${p1.toFixed(1)} % top-5 ${p5.toFixed(1)} %` +
      ` | README ${r1} / ${r5} | ${ok ? 'OK' : 'MORE THAN 1 POINT OFF'}`,
  );
}

// Latency of one 500x375 JPEG, batch size 1, sequential calls; sharp's bare decode of the same bytes alongside
// as the floor (the machine may be shared, so compare within one run only).
let jpeg;
for (const img of images) {
  const meta = await sharp(img.bytes).metadata();
  if (meta.width === 500 && meta.height === 375 && !meta.orientation) {
    jpeg = img;
    break;
  }
}
async function p50(fn) {
  for (let i = 0; i < 50; i++) await fn();
  const times = [];
  for (let i = 0; i < 500; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.floor(p * (times.length - 1))].toFixed(2);
  return `p50 ${q(0.5)} ms p90 ${q(0.9)} ms p99 ${q(0.99)} ms`;
}
if (jpeg) {
  console.log(`latency on ${jpeg.file} (500x375, ${jpeg.bytes.length} bytes):`);
  console.log(`  sharp decode only:  ${await p50(() => sharp(jpeg.bytes).raw().toBuffer())}`);
  for (const [name, config] of Object.entries(PRESETS)) {
    const out = { data: new Float32Array(tensorElementsPerImage(config)), offset: 0 };
    console.log(`  ${name.padEnd(18)}: ${await p50(() => preprocessImage(jpeg.bytes, config, out))}`);
  }
}
process.exitCode = failed ? 1 : 0;
