import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import type { TensorInfo } from '../../src/graph/tensor-info.js';
import {
  findSemanticIssues,
  imageStageOutput,
  validateManifestSemantics,
  validateServiceManifest,
  type ServiceManifest,
  type StageIo,
} from '../../src/service-def/index.js';
import { exampleManifest, fileEntry } from '@tachyon-serve/test-support/service-zip';

const t = (name: string, dtype: TensorInfo['dtype'], dims: number[]): TensorInfo => ({ name, dtype, dims });

/** The real ports of the example's models, as the loader would read them from onnxruntime. */
function exampleIo(): Record<string, StageIo> {
  return {
    featurizer: {
      inputs: [t('data', 'float32', [-1, 3, 224, 224])],
      outputs: [t('resnetv17_pool1_fwd', 'float32', [-1, 2048, 1, 1])],
    },
    head: {
      inputs: [t('resnetv17_pool1_fwd', 'float32', [-1, 2048, 1, 1])],
      outputs: [t('resnetv17_dense0_fwd', 'float32', [-1, 1000])],
    },
  };
}

function issues(manifest: ServiceManifest, io?: Record<string, StageIo>, labels?: number): string[] {
  return findSemanticIssues(manifest, {
    ...(io === undefined ? {} : { io: (stage) => io[stage.name] }),
    ...(labels === undefined ? {} : { labelCounts: new Map([['labels.txt', labels]]) }),
  }).map((i) => `${i.path}: ${i.message}`);
}

test('the example passes both passes, with and without model io', () => {
  const m = exampleManifest();
  assert.equal(validateManifestSemantics(m), m);
  assert.equal(
    validateServiceManifest(m, { io: (s) => exampleIo()[s.name], labelCounts: new Map([['labels.txt', 1000]]) }),
    m,
  );
});

test('dynamic dims on either side are compatible; fixed ones must agree', () => {
  const io = exampleIo();
  io['head'] = {
    inputs: [t('resnetv17_pool1_fwd', 'float32', [-1, -1, 1, 1])],
    outputs: [t('resnetv17_dense0_fwd', 'float32', [-1, -1])],
  };
  assert.deepEqual(issues(exampleManifest(), io, 3), []); // classes unknown: the labels check is skipped
  io['head'] = {
    inputs: [t('resnetv17_pool1_fwd', 'float32', [-1, 2048])],
    outputs: [t('resnetv17_dense0_fwd', 'float32', [1, 1000, 1, 1])],
  };
  assert.deepEqual(issues(exampleManifest(), io, 1000), [
    "stages[2].inputs.resnetv17_pool1_fwd: dims mismatch: tensor 'features' from stage 'featurizer' (output 'resnetv17_pool1_fwd') is [?, 2048, 1, 1] but input 'resnetv17_pool1_fwd' of stage 'head' expects [?, 2048]",
  ]);
});

test('the classifier: [N, C] or [N, C, 1, 1] float scores, one label per class', () => {
  const io = exampleIo();
  assert.deepEqual(issues(exampleManifest(), io, 999), [
    "stages[3].labels: labels count vs classes: 'labels.txt' has 999 labels but tensor 'scores' from stage 'head' has 1000 classes",
  ]);
  io['head'] = { ...io['head']!, outputs: [t('resnetv17_dense0_fwd', 'uint8', [-1])] };
  assert.deepEqual(issues(exampleManifest(), io, 1000), [
    "stages[3].inputs.scores: dtype mismatch: a classifier reads float scores but tensor 'scores' from stage 'head' is uint8",
    "stages[3].inputs.scores: dims mismatch: a classifier reads [batch, classes] but tensor 'scores' from stage 'head' is [?]",
  ]);
});

test('model ports must match the stage maps: unknown ports, unmapped inputs, unknown outputs', () => {
  const io = exampleIo();
  io['head'] = {
    inputs: [t('pooled', 'float32', [-1, 2048, 1, 1]), t('temperature', 'float32', [1])],
    outputs: [t('logits', 'float32', [-1, 1000])],
  };
  assert.deepEqual(issues(exampleManifest(), io), [
    "stages[2].inputs.resnetv17_pool1_fwd: the model of stage 'head' has no input 'resnetv17_pool1_fwd' (its inputs: 'pooled', 'temperature')",
    "stages[2].inputs: input 'pooled' of the model of stage 'head' is not mapped to a tensor",
    "stages[2].inputs: input 'temperature' of the model of stage 'head' is not mapped to a tensor",
    "stages[2].outputs.resnetv17_dense0_fwd: the model of stage 'head' has no output 'resnetv17_dense0_fwd' (its outputs: 'logits')",
  ]);
});

test('a stage the resolver knows nothing about is skipped, and so are the checks that need it', () => {
  const io = exampleIo();
  delete io['featurizer'];
  io['head'] = { ...io['head']!, inputs: [t('resnetv17_pool1_fwd', 'int8', [7])] };
  assert.deepEqual(issues(exampleManifest(), io, 1000), []);
});

test('a keras head: ports input/output checked like any model', () => {
  const m = exampleManifest();
  m.stages[2] = {
    kind: 'keras',
    name: 'head',
    file: 'keras/model.json',
    inputs: { input: 'features' },
    outputs: { output: 'scores' },
  };
  m.files.push(fileEntry('keras/model.json', '{}'), fileEntry('keras/group1-shard1of1.bin', 'w'));
  const io = exampleIo();
  io['head'] = { inputs: [t('input', 'float32', [-1, 2048])], outputs: [t('output', 'float32', [-1, 3])] };
  assert.deepEqual(issues(m, io, 3), [
    "stages[2].inputs.input: dims mismatch: tensor 'features' from stage 'featurizer' (output 'resnetv17_pool1_fwd') is [?, 2048, 1, 1] but input 'input' of stage 'head' expects [?, 2048]",
  ]);
  m.stages[1]!.outputs = { resnetv17_pool1_fwd: 'features' };
  io['featurizer'] = { ...io['featurizer']!, outputs: [t('resnetv17_pool1_fwd', 'float32', [-1, 2048])] };
  assert.deepEqual(issues(m, io, 3), []);
  m.files = m.files.filter((f) => f.path !== 'keras/model.json');
  assert.deepEqual(issues(m), ["stages[2].file: missing file 'keras/model.json': it is not listed in files"]);
});

test("an image stage's output follows its preprocess layout and size", () => {
  const m = exampleManifest();
  const image = m.stages[0]!;
  assert.equal(image.kind, 'image');
  if (image.kind !== 'image') return;
  assert.deepEqual(imageStageOutput(image), { name: 'tensor', dtype: 'float32', dims: [-1, 3, 224, 224] });
  assert.deepEqual(
    imageStageOutput({ ...image, preprocess: { layout: 'NHWC', size: [227, 227], resize: 'stretch' } }).dims,
    [-1, 227, 227, 3],
  );
});

test("an image stage must read 'images', and 'images' cannot be produced", () => {
  const m = exampleManifest();
  m.stages[0]!.inputs = { images: 'pictures' };
  m.stages[2]!.outputs = { resnetv17_dense0_fwd: 'images' };
  assert.deepEqual(issues(m), [
    "stages[0].inputs.images: an 'image' stage reads the pipeline input 'images', not 'pictures'",
    "stages[2].outputs.resnetv17_dense0_fwd: duplicate producer: 'images' is the pipeline input",
    "stages[3].inputs.scores: unknown tensor 'scores': no earlier stage produces it",
  ]);
});

test("'service.json' cannot be listed as a file, nor a file under another file", () => {
  const m = exampleManifest();
  m.files.push(fileEntry('service.json', '{}'), fileEntry('labels.txt/more.txt', 'x'));
  assert.deepEqual(issues(m), [
    "files[3].path: 'service.json' is the manifest itself and cannot be listed",
    "files[4].path: 'labels.txt/more.txt' lies under 'labels.txt', which is a file",
  ]);
});

test('misuse of the context throws TypeError', () => {
  const m = exampleManifest();
  assert.throws(() => validateManifestSemantics(m, { io: 3 as never }), TypeError);
  assert.throws(() => validateManifestSemantics(m, { labelCounts: {} as never }), TypeError);
  assert.throws(
    () => validateManifestSemantics(m, { io: () => ({ inputs: 'x' }) as never }),
    /context\.io must return/,
  );
});

test('semantic issues throw one TCH_ERR_SVCDEF_INVALID with all of them', () => {
  const m = exampleManifest();
  m.stages[2]!.name = 'featurizer';
  m.stages[3]!.inputs = { scores: 'nope' };
  assert.throws(
    () => validateManifestSemantics(m),
    (err: unknown) => {
      assert.ok(isTachyonError(err, 'TCH_ERR_SVCDEF_INVALID'));
      assert.equal((err.details?.['issues'] as unknown[]).length, 2);
      assert.match(
        err.message,
        /2 issues: stages\[2\]\.name: duplicate stage name 'featurizer' \(also stages\[1\]\); stages\[3\]\.inputs\.scores: unknown tensor 'nope'/,
      );
      return true;
    },
  );
});
