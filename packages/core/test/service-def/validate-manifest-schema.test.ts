import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { isTachyonError } from '@tachyon-serve/protocol';
import {
  findSchemaIssues,
  SERVICE_MANIFEST_SCHEMA,
  validateManifestSchema,
  validateServiceManifest,
  type ServiceManifest,
} from '../../src/service-def/index.js';
import { REPO_ROOT } from '@tachyon-serve/test-support';
import { exampleManifest } from '@tachyon-serve/test-support/service-zip';

/** The issues pass 1 finds after `edit`, as 'path: message' lines. */
function issuesAfter(edit: (m: Record<string, any>) => void): string[] {
  const m = exampleManifest() as unknown as Record<string, any>;
  edit(m);
  return findSchemaIssues(m).map((i) => `${i.path}: ${i.message}`);
}

test('the example manifest passes and comes back as is', () => {
  const m = exampleManifest();
  assert.equal(validateManifestSchema(m), m);
  assert.deepEqual(findSchemaIssues(m), []);
});

test('the exported schema is plain JSON that a strict ajv compiles', () => {
  const copy = JSON.parse(JSON.stringify(SERVICE_MANIFEST_SCHEMA));
  assert.deepEqual(copy, SERVICE_MANIFEST_SCHEMA);
  const validate = new Ajv({ strict: true, discriminator: true }).compile(copy);
  assert.equal(validate(exampleManifest()), true);
});

test('a schemaVersion other than 1 is TCH_ERR_SVCDEF_UNSUPPORTED_VERSION before any other check', () => {
  for (const version of [2, 0, '1', null]) {
    assert.throws(
      () => validateManifestSchema({ schemaVersion: version, stages: 'garbage' }),
      (err: unknown) => isTachyonError(err, 'TCH_ERR_SVCDEF_UNSUPPORTED_VERSION') && err.kind === 'UNSUPPORTED',
    );
  }
  assert.deepEqual(
    issuesAfter((m) => delete m['schemaVersion']),
    ['schemaVersion: is required'],
  );
});

test('a document that is not an object is one issue at the root', () => {
  for (const json of [null, [], 'x', 3]) {
    assert.throws(
      () => validateManifestSchema(json),
      (err: unknown) => {
        assert.ok(isTachyonError(err, 'TCH_ERR_SVCDEF_INVALID'));
        assert.deepEqual(err.details?.['issues'], [{ path: '', message: 'must be object' }]);
        return true;
      },
    );
  }
});

test("a featurizer's optional quantization record: absent (older zips) or complete and known", () => {
  assert.deepEqual(
    issuesAfter(() => {}),
    [],
  );
  const quantization = {
    tool: 'tachyon',
    method: 'percentile',
    samples: 16,
    perChannel: true,
    activationType: 'uint8',
    percentile: 99.99,
  };
  assert.deepEqual(
    issuesAfter((m) => (m['stages'][1].quantization = quantization)),
    [],
  );
  const issues = issuesAfter((m) => {
    m['stages'][1].quantization = {
      tool: 'onnxruntime',
      method: 'kl',
      samples: 0,
      perChannel: 'yes',
      percentile: 20,
      extra: 1,
    };
  });
  assert.deepEqual(issues.sort(), [
    'stages[1].quantization.activationType: is required',
    'stages[1].quantization.extra: is not a known field',
    "stages[1].quantization.method: must be one of 'minmax', 'entropy', 'percentile'",
    'stages[1].quantization.perChannel: must be boolean',
    'stages[1].quantization.percentile: must be > 50',
    'stages[1].quantization.samples: must be >= 1',
    'stages[1].quantization.tool: must be "tachyon"',
  ]);
});

test('each stage kind has its own required fields', () => {
  const issues = issuesAfter((m) => {
    m['stages'] = [
      { kind: 'image', name: 'a', inputs: { images: 'images' }, outputs: { tensor: 't' } },
      { kind: 'onnx', name: 'b', inputs: { x: 't' }, outputs: { y: 'u' } },
      { kind: 'featurizer', name: 'c', inputs: { x: 'u' }, outputs: { y: 'v' }, file: 'f.onnx' },
      { kind: 'keras', name: 'd', inputs: { input: 'v' }, outputs: { output: 'w' } },
      { kind: 'classifier', name: 'e', inputs: { scores: 'w' }, outputs: {} },
    ];
  });
  assert.deepEqual(issues.sort(), [
    'stages[0].preprocess: is required',
    'stages[1].file: is required',
    'stages[2].featureTensor: is required',
    'stages[2].model: is required',
    'stages[3].file: is required',
    'stages[4].labels: is required',
    'stages[4].outputKind: is required',
    'stages[4].topK: is required',
  ]);
});

test('fixed ports: image images->tensor, keras input->output, classifier scores and no outputs', () => {
  const issues = issuesAfter((m) => {
    m['stages'][0].inputs = { img: 'images' };
    m['stages'][3].outputs = { top: 'labels' };
  });
  assert.deepEqual(issues.sort(), [
    'stages[0].inputs.images: is required',
    'stages[0].inputs.img: is not a known field',
    'stages[3].outputs: must be empty: a classifier produces the result, not tensors',
  ]);
  assert.deepEqual(
    issuesAfter((m) => (m['stages'][2].inputs = {})),
    ['stages[2].inputs: must map at least 1 port'],
  );
});

test('file paths must be relative POSIX paths of portable segments', () => {
  for (const bad of [
    '../x.onnx',
    '/x.onnx',
    'C:/x.onnx',
    'C:x.onnx',
    'a\\b.onnx',
    'a//b.onnx',
    './a.onnx',
    'a/',
    '.hidden',
    '',
    'a b.onnx',
    'models/../x',
  ]) {
    const issues = issuesAfter((m) => (m['stages'][1].file = bad));
    assert.equal(issues.length, 1, `${JSON.stringify(bad)}: ${issues.join('; ')}`);
    assert.match(issues[0]!, /^stages\[1\]\.file: must be a relative POSIX path/);
  }
  for (const good of [
    'x.onnx',
    'models/resnet50-int8.featurizer.onnx',
    'keras/group1-shard1of1.bin',
    'a/b/c/d_e+f.json',
  ]) {
    assert.deepEqual(
      issuesAfter((m) => (m['stages'][1].file = good)),
      [],
    );
  }
});

test('names, sha256, sizes, topK, outputKind, executionProviders and zoo ids are checked', () => {
  const issues = issuesAfter((m) => {
    m['stages'][1].name = '1st';
    m['stages'][1].model = 'ResNet50';
    m['stages'][1].executionProviders = ['cpu', 'cpu'];
    m['stages'][2].executionProviders = ['rocm'];
    m['stages'][3].topK = 1001;
    m['stages'][3].outputKind = 'softmax';
    m['files'][0].sha256 = 'A'.repeat(64);
    m['files'][1].size = -1;
    m['createdAt'] = '2026-01-31';
  });
  assert.deepEqual(issues.sort(), [
    "createdAt: must be an ISO 8601 timestamp with a time zone, e.g. '2026-01-31T12:00:00Z'",
    'files[0].sha256: must be a sha256 of 64 lower-case hex digits',
    'files[1].size: must be >= 0',
    'stages[1].executionProviders: must not list the same item twice (items 0 and 1)',
    "stages[1].model: must be a zoo id '<family>-<dtype>' such as 'resnet50-int8'",
    "stages[1].name: must be a stage name (a letter, then letters, digits, '_', '-' or '.'; at most 64 characters)",
    "stages[2].executionProviders[0]: must be one of 'tensorrt', 'cuda', 'cpu'",
    "stages[3].outputKind: must be one of 'logits', 'probabilities'",
    'stages[3].topK: must be <= 1000',
  ]);
  assert.deepEqual(
    issuesAfter((m) => (m['stages'][3].topK = 2.5)),
    ['stages[3].topK: must be integer'],
  );
  assert.deepEqual(
    issuesAfter((m) => (m['stages'][3].topK = 1)),
    [],
  );
  assert.deepEqual(
    issuesAfter((m) => (m['stages'][3].topK = 1000)),
    [],
  );
});

test('preprocess is checked by the schema, then by compilePreprocess, without reporting a field twice', () => {
  assert.deepEqual(
    issuesAfter((m) => (m['stages'][0].preprocess = { size: [224, 300] })),
    [
      'stages[0].preprocess.resizeShortSide: preprocess.resizeShortSide (256) must be at least the larger side of preprocess.size (300)',
    ],
  );
  assert.deepEqual(
    issuesAfter((m) => (m['stages'][0].preprocess = { std: [1, 0, 1] })),
    ['stages[0].preprocess.std[1]: preprocess.std[1] must be finite non-zero numbers, not 0'],
  );
  assert.deepEqual(
    issuesAfter((m) => (m['stages'][0].preprocess = { size: [20000, 20000], resize: 'stretch' })),
    ['stages[0].preprocess.size[0]: preprocess.size[0] must be at most 16384, not 20000'],
  );
  assert.deepEqual(
    issuesAfter((m) => (m['stages'][0].preprocess = { size: [224], gamma: 2 })),
    ['stages[0].preprocess.gamma: is not a known field', 'stages[0].preprocess.size: must NOT have fewer than 2 items'],
  );
});

test('odd port names are quoted in issue paths', () => {
  const issues = issuesAfter((m) => (m['stages'][2].inputs = { 'input:0': '', 'a.b': 'features' }));
  assert.deepEqual(issues, ['stages[2].inputs["input:0"]: must not be empty']);
});

test('all issues are reported at once; the message gives the count and the first three', () => {
  const m = exampleManifest() as unknown as Record<string, any>;
  m['name'] = '';
  m['extra'] = true;
  m['stages'][3].topK = 0;
  m['files'][2].path = '/abs';
  m['files'][2].size = 'big';
  assert.throws(
    () => validateManifestSchema(m as ServiceManifest),
    (err: unknown) => {
      assert.ok(isTachyonError(err, 'TCH_ERR_SVCDEF_INVALID'));
      const issues = err.details?.['issues'] as { path: string; message: string }[];
      assert.equal(issues.length, 5);
      assert.match(err.message, /^The service definition service\.json has 5 issues: .+; and 2 more\.$/);
      assert.equal(err.message.split('; ').length, 4);
      return true;
    },
  );
});

test('the example manifest of docs/service-definition.md passes both passes', async () => {
  const doc = await readFile(join(REPO_ROOT, 'docs', 'service-definition.md'), 'utf8');
  const block = /```json\n([\s\S]*?)\n```/.exec(doc);
  assert.ok(block, 'no json block in docs/service-definition.md');
  const manifest = validateServiceManifest(JSON.parse(block[1]!));
  assert.deepEqual(
    manifest.stages.map((s) => s.kind),
    ['image', 'featurizer', 'onnx', 'classifier'],
  );
});
