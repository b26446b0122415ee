import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import {
  OnnxRuntimeBackend,
  compilePreprocess,
  computeResizeGeometry,
  presetByName,
  zooEntry,
  type PreprocessConfig,
  type TensorData,
} from '../../src/index.js';
import { buildNormalizer, writeTensor } from '../../src/image/to-tensor.js';
import {
  NORMALIZATION_INPUT,
  NORMALIZATION_OUTPUT,
  buildNormalizationModel,
  fuseModels,
  readOnnxModel,
} from '../../src/graph/index.js';
import { maxAbsDiff, readSampleImages, runModel, sampleBatch, topIndexes } from './graph-fixtures.js';
import { sharedModel } from '@tachyon-serve/test-support';

/** Resized and cropped uint8 RGB pixels, made with the same sharp calls as preprocessImage (shrinking path). */
async function resizedPixels(bytes: Uint8Array, config: PreprocessConfig): Promise<Uint8Array> {
  const meta = await sharp(bytes, { autoOrient: true }).metadata();
  const g = computeResizeGeometry(meta.autoOrient?.width ?? meta.width, meta.autoOrient?.height ?? meta.height, config);
  const { data, info } = await sharp(bytes, {
    failOn: 'error',
    autoOrient: true,
    ignoreIcc: true,
    sequentialRead: true,
  })
    .flatten({ background: { r: 0, g: 0, b: 0 } })
    .resize({ width: g.resizedWidth, height: g.resizedHeight, fit: 'fill', kernel: 'linear', fastShrinkOnLoad: true })
    .extract({ left: g.left, top: g.top, width: g.width, height: g.height })
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [config.size[1], config.size[0], 3]);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function pixelBatch(images: readonly Uint8Array[], height: number, width: number): TensorData {
  const data = new Uint8Array(images.length * height * width * 3);
  images.forEach((p, i) => data.set(p, i * p.length));
  return { dtype: 'uint8', dims: [images.length, height, width, 3], data };
}

test('normalization fused in front of mobilenetv2-fp32: uint8 pixels in gives the scores of the JS-preprocessed tensor', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const entry = zooEntry('mobilenetv2-fp32');
  const config = presetByName(entry.preset);
  const model = await readOnnxModel(sharedModel(entry.fileName));
  const normalization = buildNormalizationModel(config, entry.opset);
  const fused = fuseModels(
    [
      {
        model: normalization,
        prefix: 'normalize',
        inputs: { [NORMALIZATION_INPUT]: 'pixels' },
        outputs: { [NORMALIZATION_OUTPUT]: 'image' },
      },
      { model, prefix: 'mobilenetv2', inputs: { [entry.input]: 'image' }, outputs: { [entry.output]: 'scores' } },
    ],
    { inputs: ['pixels'], outputs: ['scores'] },
  );
  assert.deepEqual(
    fused.graph!.input!.map((i) => i.name),
    ['pixels'],
  );

  const [h, w] = config.size;
  const pixels = pixelBatch(await Promise.all((await readSampleImages()).map((b) => resizedPixels(b, config))), h, w);
  // resizedPixels decodes with libvips, so the reference must too (preprocessImage would take libjpeg-turbo's pixels).
  process.env['TACHYON_JPEG_DECODER'] = 'libvips';
  const reference = await sampleBatch(entry.preset).finally(() => delete process.env['TACHYON_JPEG_DECODER']);
  // Guard: the pixels are the ones preprocessImage normalized (so the comparison below is about the graph only).
  const jsFromPixels = new Float32Array(reference.data.length);
  const perImage = h * w;
  for (let i = 0; i < pixels.dims[0]!; i++) {
    writeTensor(
      (pixels.data as Uint8Array).subarray(i * perImage * 3),
      perImage,
      buildNormalizer(config, 3),
      jsFromPixels,
      i * perImage * 3,
    );
  }
  assert.ok(
    maxAbsDiff(reference, { ...reference, data: jsFromPixels }) <= 1e-6,
    'pixels differ from those of preprocessImage',
  );

  const expected = (await runModel(t, backend, model, { [entry.input]: reference }))[entry.output]!;
  const scores = (await runModel(t, backend, fused, { pixels }))['scores']!;
  const diff = maxAbsDiff(expected, scores);
  t.diagnostic(`normalization + mobilenetv2-fp32: max |diff| on logits = ${diff}`);
  assert.ok(diff <= 1e-4, `max |diff| ${diff} > 1e-4`);
  for (let row = 0; row < pixels.dims[0]!; row++)
    assert.deepEqual(topIndexes(scores, row, 5), topIndexes(expected, row, 5));
});

for (const [name, config] of [
  ['caffe227 (BGR, no scaling, NCHW)', presetByName('caffe227')],
  ['torchvision224 as NHWC', compilePreprocess({ layout: 'NHWC' })],
  [
    'BGR NHWC with scale and std',
    compilePreprocess({
      size: [5, 7],
      channelOrder: 'BGR',
      layout: 'NHWC',
      scale: 0.017,
      mean: [1, 2, 3],
      std: [0.5, 2, 4],
    }),
  ],
] as const) {
  test(`normalization model equals the JS normalizer: ${name}`, async (t) => {
    const backend = new OnnxRuntimeBackend();
    t.after(() => backend.close());
    const [h, w] = config.size;
    const count = 2;
    const data = new Uint8Array(count * h * w * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 97 + 13) % 256;
    const expected = new Float32Array(data.length);
    for (let i = 0; i < count; i++)
      writeTensor(data.subarray(i * h * w * 3), h * w, buildNormalizer(config, 3), expected, i * h * w * 3);
    const out = (
      await runModel(t, backend, buildNormalizationModel(config, 13), {
        [NORMALIZATION_INPUT]: { dtype: 'uint8', dims: [count, h, w, 3], data },
      })
    )[NORMALIZATION_OUTPUT]!;
    assert.deepEqual(out.dims, config.layout === 'NCHW' ? [count, 3, h, w] : [count, h, w, 3]);
    assert.ok(maxAbsDiff(out, { dtype: 'float32', dims: out.dims, data: expected }) <= 1e-4);
  });
}

test('buildNormalizationModel imports the requested opset and refuses bad arguments with TypeError/RangeError', () => {
  const config = presetByName('torchvision224');
  const model = buildNormalizationModel(config, 17);
  assert.deepEqual(
    model.opsetImport!.map((o) => [o.domain, Number(o.version)]),
    [['', 17]],
  );
  assert.throws(() => buildNormalizationModel(config, 6), RangeError);
  assert.throws(() => buildNormalizationModel(config, 13.5), TypeError);
  assert.throws(() => buildNormalizationModel({ ...config, std: [1, 0, 1] }, 13), /config\.std/);
  assert.throws(() => buildNormalizationModel({ ...config, channelOrder: 'GBR' as 'RGB' }, 13), TypeError);
});
