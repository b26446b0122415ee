import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { TachyonError } from '@tachyon-serve/protocol';
import { compilePreprocess } from '../image/preprocess-options.js';
import { SERVICE_SCHEMA_VERSION, type ServiceManifest } from './manifest.js';
import { PATTERN_DESCRIPTIONS, SERVICE_MANIFEST_SCHEMA } from './manifest-schema.js';
import { buildInvalidError, childPath, toIssuePath, type ValidationIssue } from './validation-issue.js';

let validator: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, strict: true, discriminator: true, verbose: true }).compile(
    SERVICE_MANIFEST_SCHEMA,
  );
  return validator;
}

/**
 * Pass 1: checks service.json against SERVICE_MANIFEST_SCHEMA and returns it typed, or throws one
 * TCH_ERR_SVCDEF_INVALID with every issue. A `schemaVersion` other than 1 throws TCH_ERR_SVCDEF_UNSUPPORTED_VERSION
 * before anything else is looked at. Image stages' `preprocess` is also run through `compilePreprocess`.
 */
export function validateManifestSchema(json: unknown): ServiceManifest {
  const issues = findSchemaIssues(json);
  if (issues.length > 0) throw buildInvalidError(issues);
  return json as ServiceManifest;
}

/** Pass 1 without throwing for ordinary issues (an unsupported version still throws). */
export function findSchemaIssues(json: unknown): ValidationIssue[] {
  checkSchemaVersion(json);
  const validate = schemaValidator();
  if (validate(json)) return preprocessIssues(json, []);
  // The discriminator's own errors repeat the `kind` enum/required ones.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'discriminator');
  const issues = dedupe(errors.map((e) => toIssue(e, json)));
  return [...issues, ...preprocessIssues(json, issues)];
}

function checkSchemaVersion(json: unknown): void {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !('schemaVersion' in json)) return;
  const version = (json as { schemaVersion: unknown }).schemaVersion;
  if (version === SERVICE_SCHEMA_VERSION) return;
  const shown = typeof version === 'number' ? String(version) : `a ${version === null ? 'null' : typeof version}`;
  throw new TachyonError(
    'TCH_ERR_SVCDEF_UNSUPPORTED_VERSION',
    `service.json has schemaVersion ${shown}; this tachyon reads schemaVersion ${SERVICE_SCHEMA_VERSION} only.`,
    { details: { schemaVersion: typeof version === 'number' ? version : null, supported: [SERVICE_SCHEMA_VERSION] } },
  );
}

function toIssue(error: ErrorObject, json: unknown): ValidationIssue {
  const path = toIssuePath(pointerSegments(error.instancePath, json));
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: childPath(path, String(params['missingProperty'])), message: 'is required' };
    case 'additionalProperties':
      return { path: childPath(path, String(params['additionalProperty'])), message: 'is not a known field' };
    case 'pattern': {
      const words = PATTERN_DESCRIPTIONS[String(params['pattern'])];
      return { path, message: words === undefined ? `must match ${String(params['pattern'])}` : `must be ${words}` };
    }
    case 'enum':
      return { path, message: `must be one of ${quoteAll(params['allowedValues'] as unknown[])}` };
    case 'const':
      return { path, message: `must be ${JSON.stringify(params['allowedValue'])}` };
    case 'minLength':
      return params['limit'] === 1
        ? { path, message: 'must not be empty' }
        : { path, message: error.message ?? 'is invalid' };
    case 'uniqueItems':
      return {
        path,
        message: `must not list the same item twice (items ${String(params['j'])} and ${String(params['i'])})`,
      };
    case 'minProperties':
      return { path, message: `must map at least ${String(params['limit'])} port` };
    case 'maxProperties':
      return params['limit'] === 0
        ? { path, message: 'must be empty: a classifier produces the result, not tensors' }
        : { path, message: error.message ?? 'is invalid' };
    case 'propertyNames':
      return { path: childPath(path, String(params['propertyName'])), message: 'is not a valid port name' };
    default:
      return { path, message: error.message ?? 'is invalid' };
  }
}

/** Runs compilePreprocess on every image stage whose `preprocess` has no schema issue yet. */
function preprocessIssues(json: unknown, known: readonly ValidationIssue[]): ValidationIssue[] {
  const stages = (json as { stages?: unknown } | null)?.stages;
  if (!Array.isArray(stages)) return [];
  const out: ValidationIssue[] = [];
  stages.forEach((stage: unknown, i) => {
    if (typeof stage !== 'object' || stage === null) return;
    const { kind, preprocess } = stage as { kind?: unknown; preprocess?: unknown };
    if (kind !== 'image' || typeof preprocess !== 'object' || preprocess === null) return;
    const path = toIssuePath(['stages', i, 'preprocess']);
    if (known.some((k) => k.path === path || k.path.startsWith(`${path}.`) || k.path.startsWith(`${path}[`))) return;
    try {
      compilePreprocess(preprocess);
    } catch (err) {
      if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
      // compilePreprocess names the field as `options.<field> ...`; re-anchor that at the stage's preprocess.
      const match = /^options\.([A-Za-z]+)(\[\d+\])?/.exec(err.message);
      const message = err.message.replace(/\boptions\./g, 'preprocess.').replace(/\.$/, '');
      out.push({ path: match === null ? path : `${childPath(path, match[1]!)}${match[2] ?? ''}`, message });
    }
  });
  return out;
}

/** JSON pointer -> path segments; an index only where the document holds an array there. */
function pointerSegments(pointer: string, json: unknown): (string | number)[] {
  if (pointer === '') return [];
  let node = json;
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      const segment = Array.isArray(node) ? Number(key) : key;
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
      return segment;
    });
}

function quoteAll(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v))).join(', ');
}

function dedupe(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
