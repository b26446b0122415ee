import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

/** Schemas of the fixtures folder (see its README), keyed by `apiVersion/kind`. */
const SCHEMA_FILES: Readonly<Record<string, { file: string; crd: boolean }>> = {
  'v1/Secret': { file: 'secret-v1.json', crd: false },
  'v1/Service': { file: 'service-v1.json', crd: false },
  'apps/v1/Deployment': { file: 'deployment-apps-v1.json', crd: false },
  'autoscaling/v2/HorizontalPodAutoscaler': { file: 'horizontalpodautoscaler-autoscaling-v2.json', crd: false },
  'serving.kserve.io/v1beta1/InferenceService': { file: 'inferenceservice-serving.kserve.io-v1beta1.json', crd: true },
  'cert-manager.io/v1/Certificate': { file: 'certificate-cert-manager.io-v1.json', crd: true },
};

// Fixtures are read from the source tree: tests run from packages/core/dist/test/controller/k8s/.
const FIXTURES = new URL('../../../../test/controller/fixtures/', import.meta.url);

/** kubectl's strict field validation for CRDs: an unknown field is an error, not silently pruned. */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, closeObjects(v)])) : closeObjects(value);
  if ('properties' in out && !('additionalProperties' in out) && out['x-kubernetes-preserve-unknown-fields'] !== true) out['additionalProperties'] = false;
  return out;
}

const INT32 = 2 ** 31;
export function createSchemaValidator(): (doc: { apiVersion?: unknown; kind?: unknown }) => string[] {
  const ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -INT32 && n < INT32 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  const compiled = new Map<string, ValidateFunction>();
  return (doc) => {
    const key = `${String(doc.apiVersion)}/${String(doc.kind)}`;
    const entry = SCHEMA_FILES[key];
    if (!entry) return [`no schema for ${key}`];
    let validate = compiled.get(key);
    if (!validate) {
      const schema = JSON.parse(readFileSync(new URL(entry.file, FIXTURES), 'utf8')) as unknown;
      validate = ajv.compile((entry.crd ? closeObjects(schema) : schema) as object);
      compiled.set(key, validate);
    }
    if (validate(doc)) return [];
    return (validate.errors ?? []).map((e) => `${key} ${e.instancePath || '/'} ${e.message ?? ''} ${e.params ? JSON.stringify(e.params) : ''}`);
  };
}
