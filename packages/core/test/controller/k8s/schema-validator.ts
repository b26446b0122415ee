import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import ts from 'typescript';

/**
 * Validation of rendered manifests against REAL schemas (no excerpts written by hand):
 * - built-in kinds: the validators of the `kubernetes-models` package, generated from the Kubernetes OpenAPI
 *   document; they accept unknown keys (as the OpenAPI schema does), so a STRICT pass follows: every key of the
 *   document must be a property of the package's generated type for that position (its .d.ts, read with the
 *   TypeScript compiler), which is what `kubectl apply --validate=strict` refuses;
 * - CRDs: the openAPIV3Schema of KServe's and cert-manager's own CRDs (fixtures/kserve, fixtures/cert-manager; source
 *   and version in each folder's SOURCE.md), with unknown fields refused (structural schemas prune them; kubectl's
 *   strict field validation reports them).
 */
const BUILTIN: Readonly<Record<string, { module: string; type: string }>> = {
  'v1/Secret': { module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'v1/Service': { module: 'kubernetes-models/v1/Service', type: 'IService' },
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    type: 'IHorizontalPodAutoscaler',
  },
  'policy/v1/PodDisruptionBudget': {
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget',
  },
};

const CRDS: Readonly<Record<string, string>> = {
  'serving.kserve.io/v1beta1/InferenceService': 'kserve/inferenceservice-v1beta1.schema.json',
  'serving.kserve.io/v1alpha1/ServingRuntime': 'kserve/servingruntime-v1alpha1.schema.json',
  'cert-manager.io/v1/Certificate': 'cert-manager/certificate-v1.schema.json',
};

// Fixtures are read from the source tree: tests run from packages/core/dist/test/controller/k8s/.
const FIXTURES = new URL('../../../../test/controller/fixtures/', import.meta.url);
const require = createRequire(import.meta.url);

/** kubectl's strict field validation for CRDs: an unknown field is an error, not silently pruned. */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema))
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, closeObjects(v)]))
        : closeObjects(value);
  if ('properties' in out && !('additionalProperties' in out) && out['x-kubernetes-preserve-unknown-fields'] !== true)
    out['additionalProperties'] = false;
  return out;
}

/** The .d.ts of a kubernetes-models module, for the strict pass. */
function declarationFile(module: string): string {
  const js = fileURLToPath(import.meta.resolve(module)).replace(/\.js$/, '');
  return `${js}.d.ts`;
}

/** Walks `value` along the generated TypeScript type and reports every key the type does not have. */
function unknownKeys(checker: ts.TypeChecker, value: unknown, type: ts.Type, path: string, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const t = checker.getNonNullableType(type);
  if (Array.isArray(value)) {
    const element =
      t.getNumberIndexType() ??
      (t.isUnion() ? t.types.map((u) => u.getNumberIndexType()).find((e) => e !== undefined) : undefined);
    if (element !== undefined) value.forEach((v, i) => unknownKeys(checker, v, element, `${path}/${i}`, out));
    return;
  }
  const candidates = t.isUnion() ? t.types.filter((u) => (u.flags & ts.TypeFlags.Object) !== 0) : [t];
  const objectType = candidates[0];
  if (objectType === undefined) return;
  const index = objectType.getStringIndexType();
  for (const [key, child] of Object.entries(value)) {
    const prop = objectType.getProperty(key);
    if (prop === undefined) {
      if (index !== undefined) unknownKeys(checker, child, index, `${path}/${key}`, out);
      else out.push(`${path}/${key}: unknown field "${key}"`);
      continue;
    }
    const decl = prop.valueDeclaration ?? prop.declarations?.[0];
    if (decl !== undefined)
      unknownKeys(checker, child, checker.getTypeOfSymbolAtLocation(prop, decl), `${path}/${key}`, out);
  }
}

export type ManifestValidator = (doc: { apiVersion?: unknown; kind?: unknown }) => Promise<string[]>;

export function createSchemaValidator(): ManifestValidator {
  const ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true });
  const INT32 = 2 ** 31;
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -INT32 && n < INT32 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T/);
  const crdValidators = new Map<string, ValidateFunction>();
  let program: { checker: ts.TypeChecker; types: Map<string, ts.Type> } | undefined;
  const strictTypes = () => {
    if (program !== undefined) return program;
    const files = Object.values(BUILTIN).map((b) => declarationFile(b.module));
    const p = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
    });
    const checker = p.getTypeChecker();
    const types = new Map<string, ts.Type>();
    for (const [key, b] of Object.entries(BUILTIN)) {
      const source = p.getSourceFile(declarationFile(b.module));
      const symbol = source && checker.getSymbolAtLocation(source);
      const iface = symbol && checker.getExportsOfModule(symbol).find((s) => s.name === b.type);
      if (iface === undefined) throw new Error(`kubernetes-models: no ${b.type} in ${b.module}`);
      types.set(key, checker.getDeclaredTypeOfSymbol(iface));
    }
    program = { checker, types };
    return program;
  };
  void require;

  return async (doc) => {
    const key = `${String(doc.apiVersion)}/${String(doc.kind)}`;
    const builtin = BUILTIN[key];
    if (builtin !== undefined) {
      const issues: string[] = [];
      const mod = (await import(builtin.module)) as Record<string, new (data: unknown) => { validate(): void }>;
      const Model = mod[String(doc.kind)]!;
      try {
        new Model(doc).validate();
      } catch (error) {
        const errors = (error as { errors?: Array<{ instancePath?: string; message?: string; params?: unknown }> })
          .errors;
        if (errors)
          for (const e of errors)
            issues.push(`${key} ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params ?? {})}`);
        else issues.push(`${key} ${(error as Error).message}`);
      }
      const { checker, types } = strictTypes();
      const strict: string[] = [];
      unknownKeys(checker, doc, types.get(key)!, '', strict);
      return [...issues, ...strict.map((s) => `${key} ${s}`)];
    }
    const crd = CRDS[key];
    if (crd === undefined) return [`no schema for ${key}`];
    let validate = crdValidators.get(key);
    if (validate === undefined) {
      const schema = JSON.parse(readFileSync(new URL(crd, FIXTURES), 'utf8')) as unknown;
      validate = ajv.compile(closeObjects(schema) as object);
      crdValidators.set(key, validate);
    }
    if (validate(doc)) return [];
    return (validate.errors ?? []).map(
      (e) => `${key} ${e.instancePath || '/'} ${e.message ?? ''} ${e.params ? JSON.stringify(e.params) : ''}`,
    );
  };
}
