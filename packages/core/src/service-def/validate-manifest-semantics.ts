import { PIPELINE_INPUT, type ServiceManifest, type StageManifest } from './manifest.js';
import type { StageIoResolver } from './stage-io.js';
import { findIoIssues } from './validate-stage-io.js';
import { buildInvalidError, toIssuePath, type ValidationIssue } from './validation-issue.js';

/** What the loader knows beyond service.json; each part enables more checks. */
export interface SemanticContext {
  /** The real ports of model stages: enables port-name, dtype and dims checks between adjacent stages. */
  io?: StageIoResolver;
  /**
   * Labels file (path as in service.json) -> its number of labels (`parseLabels(text).length`): with `io`, enables
   * the check that a classifier has one label per class.
   */
  labelCounts?: ReadonlyMap<string, number>;
}

/**
 * Pass 2, on a manifest that passed pass 1: stage names unique; the first stage is an 'image' stage reading
 * 'images' and only image stages read it; every input tensor is produced by an earlier stage; no tensor is produced
 * twice; one 'classifier', last; every file a stage names is listed in `files`, and `files` has no duplicates.
 * With `context.io` (and `labelCounts`), also ports, dtypes, dims and labels against the real models.
 * Returns the manifest, or throws one TCH_ERR_SVCDEF_INVALID with every issue.
 */
export function validateManifestSemantics(manifest: ServiceManifest, context: SemanticContext = {}): ServiceManifest {
  const issues = findSemanticIssues(manifest, context);
  if (issues.length > 0) throw buildInvalidError(issues);
  return manifest;
}

/** Pass 2 without throwing: every issue, in stage order. */
export function findSemanticIssues(manifest: ServiceManifest, context: SemanticContext = {}): ValidationIssue[] {
  if (typeof context !== 'object' || context === null) throw new TypeError('context must be an object.');
  if (context.io !== undefined && typeof context.io !== 'function')
    throw new TypeError('context.io must be a function.');
  if (context.labelCounts !== undefined && !(context.labelCounts instanceof Map)) {
    throw new TypeError('context.labelCounts must be a Map.');
  }
  return [
    ...stageNameIssues(manifest.stages),
    ...orderIssues(manifest.stages),
    ...tensorIssues(manifest.stages),
    ...fileIssues(manifest),
    ...findIoIssues(manifest, context.io, context.labelCounts),
  ];
}

function stageNameIssues(stages: readonly StageManifest[]): ValidationIssue[] {
  const seen = new Map<string, number>();
  const issues: ValidationIssue[] = [];
  stages.forEach((stage, i) => {
    const first = seen.get(stage.name);
    if (first === undefined) seen.set(stage.name, i);
    else
      issues.push({
        path: toIssuePath(['stages', i, 'name']),
        message: `duplicate stage name '${stage.name}' (also stages[${first}])`,
      });
  });
  return issues;
}

function orderIssues(stages: readonly StageManifest[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const last = stages.length - 1;
  const first = stages[0];
  if (first !== undefined && first.kind !== 'image') {
    issues.push({ path: 'stages[0].kind', message: `the first stage must be an 'image' stage, not '${first.kind}'` });
  }
  stages.forEach((stage, i) => {
    if (stage.kind === 'classifier' && i !== last) {
      issues.push({
        path: toIssuePath(['stages', i, 'kind']),
        message: `a 'classifier' stage must be the last stage; '${stage.name}' is followed by '${stages[i + 1]!.name}'`,
      });
    }
  });
  const final = stages[last];
  if (final !== undefined && final.kind !== 'classifier' && last > 0) {
    issues.push({
      path: toIssuePath(['stages', last, 'kind']),
      message: `the last stage must be a 'classifier' stage, not '${final.kind}'`,
    });
  }
  return issues;
}

function tensorIssues(stages: readonly StageManifest[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const producers = new Map<string, string>();
  stages.forEach((stage, i) => {
    for (const [port, tensor] of Object.entries(stage.inputs)) {
      const path = toIssuePath(['stages', i, 'inputs', port]);
      if (tensor === PIPELINE_INPUT) {
        if (stage.kind !== 'image') {
          issues.push({
            path,
            message: `'${PIPELINE_INPUT}' holds the encoded image bytes; only an 'image' stage can read it`,
          });
        }
      } else if (stage.kind === 'image') {
        issues.push({
          path,
          message: `an 'image' stage reads the pipeline input '${PIPELINE_INPUT}', not '${tensor}'`,
        });
      } else if (!producers.has(tensor)) {
        const later = stages.slice(i).find((s) => Object.values(s.outputs).includes(tensor));
        const why =
          later === undefined
            ? 'no earlier stage produces it'
            : later === stage
              ? `it is an output of stage '${stage.name}' itself`
              : `it is produced only by the later stage '${later.name}'`;
        issues.push({ path, message: `unknown tensor '${tensor}': ${why}` });
      }
    }
    for (const [port, tensor] of Object.entries(stage.outputs)) {
      const path = toIssuePath(['stages', i, 'outputs', port]);
      const earlier = producers.get(tensor);
      if (tensor === PIPELINE_INPUT) {
        issues.push({ path, message: `duplicate producer: '${PIPELINE_INPUT}' is the pipeline input` });
      } else if (earlier !== undefined) {
        issues.push({
          path,
          message: `duplicate producer: tensor '${tensor}' is already produced by stage '${earlier}'`,
        });
      } else {
        producers.set(tensor, stage.name);
      }
    }
  });
  return issues;
}

function fileIssues(manifest: ServiceManifest): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const byFoldedPath = new Map<string, number>();
  manifest.files.forEach((file, i) => {
    const path = toIssuePath(['files', i, 'path']);
    if (file.path === 'service.json') {
      issues.push({ path, message: "'service.json' is the manifest itself and cannot be listed" });
      return;
    }
    // Case-insensitive file systems (macOS, Windows) would extract both names to one file.
    const folded = file.path.toLowerCase();
    const first = byFoldedPath.get(folded);
    if (first === undefined) byFoldedPath.set(folded, i);
    else if (manifest.files[first]!.path === file.path)
      issues.push({ path, message: `duplicate file '${file.path}' (also files[${first}])` });
    else
      issues.push({
        path,
        message: `'${file.path}' differs from files[${first}] '${manifest.files[first]!.path}' only in case`,
      });
  });
  const listed = new Set(manifest.files.map((f) => f.path));
  manifest.files.forEach((file, i) => {
    // 'a' and 'a/b' cannot both be files once extracted.
    const segments = file.path.split('/');
    for (let n = 1; n < segments.length; n++) {
      const parent = segments.slice(0, n).join('/');
      if (listed.has(parent))
        issues.push({
          path: toIssuePath(['files', i, 'path']),
          message: `'${file.path}' lies under '${parent}', which is a file`,
        });
    }
  });
  manifest.stages.forEach((stage, i) => {
    for (const [field, file] of referencedFiles(stage)) {
      if (!listed.has(file)) {
        issues.push({
          path: toIssuePath(['stages', i, field]),
          message: `missing file '${file}': it is not listed in files`,
        });
      }
    }
  });
  return issues;
}

/** [field, path] of every file a stage names (a Keras stage names its model.json; its shards are listed in files). */
export function referencedFiles(stage: StageManifest): [string, string][] {
  switch (stage.kind) {
    case 'onnx':
    case 'featurizer':
    case 'keras':
      return [['file', stage.file]];
    case 'classifier':
      return [['labels', stage.labels]];
    case 'image':
      return [];
  }
}
