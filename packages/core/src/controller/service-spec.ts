import { isAbsolute } from 'node:path';
import { TachyonError, type ServiceSpec } from '@tachyon-serve/protocol';
import { MODEL_NAME_PATTERN } from '../registry/model-ref.js';
import { compileSchedulerOptions } from '../scheduler/scheduler-options.js';
import { SERVICE_NAME_MAX_LENGTH, isDns1035Label } from './deployment-spec.js';

/** The defaults of a local deployment's `ServiceSpec` (packages/protocol/src/deployments.ts). */
export const SERVICE_SPEC_DEFAULTS = Object.freeze({ workers: 1, tls: 'none' as const, httpPort: 0, grpcPort: 0 });

const SCHEDULER_KEYS = new Set([
  'batching',
  'maxBatchSize',
  'preferredBatchSizes',
  'maxQueueDelayMs',
  'maxQueueSize',
  'concurrency',
]);
const SPEC_KEYS = new Set(['model', 'canary', 'workers', 'scheduler', 'tls', 'httpPort', 'grpcPort']);

/** A compiled spec: every default filled in, frozen; two specs meaning the same thing are deep-equal. */
export type CompiledServiceSpec = Readonly<{
  model: Readonly<{ name: string; version: number }>;
  workers: number;
  scheduler: Readonly<Record<string, unknown>>;
  tls: 'none' | 'self-signed' | Readonly<{ certFile: string; keyFile: string }>;
  httpPort: number;
  grpcPort: number;
}>;

/** Throws TCH_ERR_CONFIG_INVALID unless `name` is a DNS-1035 label of at most 50 characters (also a Kubernetes name). */
export function validateServiceName(name: unknown): string {
  if (typeof name !== 'string' || !isDns1035Label(name) || name.length > SERVICE_NAME_MAX_LENGTH) {
    throw new TachyonError(
      'TCH_ERR_CONFIG_INVALID',
      `Service name "${String(name).slice(0, 80)}" must be lowercase letters, digits and '-', start with a letter and have at most ${SERVICE_NAME_MAX_LENGTH} characters.`,
      { details: { name: String(name).slice(0, 80) } },
    );
  }
  return name;
}

/**
 * Validates a spec as it arrives over the wire (every issue at once, TCH_ERR_CONFIG_INVALID with `details.issues`)
 * and returns it with defaults applied and frozen. A canary split is refused: the local daemon does not route one yet.
 */
export function compileServiceSpec(spec: ServiceSpec): CompiledServiceSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw new TypeError('spec: expected a ServiceSpec object.');
  const issues: string[] = [];
  for (const key of Object.keys(spec)) if (!SPEC_KEYS.has(key)) issues.push(`"${key}" is not a spec field`);
  const model = spec.model as { name?: unknown; version?: unknown } | undefined;
  if (typeof model !== 'object' || model === null) issues.push('model must be { name, version }');
  else {
    if (typeof model.name !== 'string' || !MODEL_NAME_PATTERN.test(model.name))
      issues.push(`model.name must be a registered model name, got ${JSON.stringify(model.name)}`);
    if (!Number.isSafeInteger(model.version) || (model.version as number) < 1)
      issues.push(`model.version must be an integer >= 1, got ${JSON.stringify(model.version)}`);
  }
  if (spec.canary !== undefined)
    issues.push('canary is not supported by the local daemon (one version serves at a time; updates roll)');
  const int = (value: unknown, field: string, min: number, max: number, fallback: number): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
      issues.push(`${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
    return v as number;
  };
  const workers = int(spec.workers, 'workers', 1, 256, SERVICE_SPEC_DEFAULTS.workers);
  const httpPort = int(spec.httpPort, 'httpPort', 0, 65535, SERVICE_SPEC_DEFAULTS.httpPort);
  const grpcPort = int(spec.grpcPort, 'grpcPort', 0, 65535, SERVICE_SPEC_DEFAULTS.grpcPort);
  if (httpPort !== 0 && httpPort === grpcPort) issues.push('httpPort and grpcPort must differ');
  const scheduler = compileScheduler(spec.scheduler, issues);
  const tls = compileTls(spec.tls, issues);
  if (issues.length > 0) {
    throw new TachyonError('TCH_ERR_CONFIG_INVALID', `The service spec is invalid: ${issues.join('; ')}.`, {
      details: { issues },
    });
  }
  return Object.freeze({
    model: Object.freeze({ name: model!.name as string, version: model!.version as number }),
    workers,
    scheduler,
    tls,
    httpPort,
    grpcPort,
  });
}

function compileScheduler(value: unknown, issues: string[]): Readonly<Record<string, unknown>> {
  if (value === undefined) return Object.freeze({});
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push('scheduler must be an object');
    return Object.freeze({});
  }
  const unknown = Object.keys(value).filter((k) => !SCHEDULER_KEYS.has(k));
  for (const key of unknown) issues.push(`scheduler.${key} is not a scheduler option`);
  try {
    if (unknown.length === 0) compileSchedulerOptions(value);
  } catch (error) {
    issues.push((error as Error).message.replace(/\.$/, ''));
  }
  return Object.freeze(structuredClone(value) as Record<string, unknown>);
}

function compileTls(value: unknown, issues: string[]): CompiledServiceSpec['tls'] {
  if (value === undefined || value === 'none') return 'none';
  if (value === 'self-signed') return 'self-signed';
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { certFile, keyFile } = value as { certFile?: unknown; keyFile?: unknown };
    if (
      typeof certFile === 'string' &&
      typeof keyFile === 'string' &&
      isAbsolute(certFile) &&
      isAbsolute(keyFile) &&
      Object.keys(value).length === 2
    ) {
      return Object.freeze({ certFile, keyFile });
    }
  }
  issues.push('tls must be "none", "self-signed" or { certFile, keyFile } with absolute paths');
  return 'none';
}

/** Whether two compiled specs differ only in the model version (same model name): a rolling update, no restart. */
export function isVersionOnlyChange(a: CompiledServiceSpec, b: CompiledServiceSpec): boolean {
  const strip = (s: CompiledServiceSpec) => JSON.stringify({ ...s, model: { name: s.model.name } });
  return a.model.version !== b.model.version && strip(a) === strip(b);
}
