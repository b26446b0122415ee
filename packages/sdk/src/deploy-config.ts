import { compileSchedulerOptions, type SchedulerOptions } from '@tachyon-serve/core';
import type { ModelVersionRef, ServiceSpec } from '@tachyon-serve/protocol';

/** A registered model version: a `Model`, `{ name, version }`, or `'name:version'`. */
export type ModelLike = { readonly name: string; readonly version: number } | string;

/**
 * How `Webservice.deployFromModel` / `service.update` deploy a service on this machine (the original's
 * `deployment_config`). Every field is optional; the same options always give the same spec, so deploying twice
 * changes nothing.
 */
export interface WebserviceDeployOptions {
  /** Backend worker threads (session copies) of the service process. @default 1 */
  workers?: number;
  /** Dynamic batching and queue bound (core `SchedulerOptions`: batching, maxBatchSize, maxQueueDelayMs...). @default the server's */
  scheduler?: SchedulerOptions;
  /**
   * TLS on the service's HTTP and gRPC ports. 'self-signed': a certificate for localhost/127.0.0.1 made by the
   * daemon, whose file the SDK trusts by itself (`service.caFile`); 'none': plaintext (loopback only); or your own
   * PEM files. Safer than the original, whose deployments were plaintext unless asked.
   * @default 'self-signed'
   */
  tls?: 'none' | 'self-signed' | { certFile: string; keyFile: string };
  /** A second version taking `percent` (1..99) of the requests. @default none */
  canary?: { model: ModelLike; percent: number };
  /** Fixed ports; 0 lets the daemon pick free ones. @default 0 */
  httpPort?: number;
  /** @default 0 */
  grpcPort?: number;
}

export const WEBSERVICE_DEPLOY_DEFAULTS = Object.freeze({ tls: 'self-signed' as const });

/** `'name:version'`, `{ name, version }` or a Model -> `{ name, version }` (misuse -> TypeError naming `argument`). */
export function toModelRef(model: ModelLike, argument = 'model'): ModelVersionRef {
  if (typeof model === 'string') {
    const match = /^([a-z0-9][a-z0-9._-]*):([1-9][0-9]*)$/.exec(model);
    if (!match)
      throw new TypeError(`${argument}: expected "name:version" (e.g. "resnet50:1"), got ${JSON.stringify(model)}.`);
    return { name: match[1]!, version: Number(match[2]) };
  }
  if (
    typeof model !== 'object' ||
    model === null ||
    typeof model.name !== 'string' ||
    !Number.isInteger(model.version) ||
    model.version < 1
  ) {
    throw new TypeError(`${argument}: expected a Model, { name, version } or "name:version".`);
  }
  return { name: model.name, version: model.version };
}

/** Options -> the daemon's `ServiceSpec` (frozen). Only given fields are set, so equal options give equal specs. */
export function compileDeployConfig(model: ModelLike, options: WebserviceDeployOptions = {}): Readonly<ServiceSpec> {
  if (typeof options !== 'object' || options === null) throw new TypeError('deployConfig: expected an object.');
  const spec: ServiceSpec = { model: toModelRef(model) };
  if (options.workers !== undefined) {
    if (!Number.isInteger(options.workers) || options.workers < 1 || options.workers > 64) {
      throw new RangeError(`deployConfig.workers: expected an integer in [1, 64], got ${String(options.workers)}.`);
    }
    spec.workers = options.workers;
  }
  if (options.scheduler !== undefined) {
    compileSchedulerOptions(options.scheduler); // throws TypeError/RangeError naming the field
    spec.scheduler = { ...options.scheduler } as Record<string, unknown>;
  }
  const tls = options.tls ?? WEBSERVICE_DEPLOY_DEFAULTS.tls;
  if (typeof tls === 'object' && tls !== null) {
    if (typeof tls.certFile !== 'string' || typeof tls.keyFile !== 'string')
      throw new TypeError('deployConfig.tls: expected { certFile, keyFile } paths.');
    spec.tls = { certFile: tls.certFile, keyFile: tls.keyFile };
  } else if (tls === 'none' || tls === 'self-signed') {
    spec.tls = tls;
  } else {
    throw new TypeError(
      `deployConfig.tls: expected "none", "self-signed" or { certFile, keyFile }, got ${JSON.stringify(tls)}.`,
    );
  }
  if (options.canary !== undefined) {
    const { percent } = options.canary ?? {};
    if (!Number.isInteger(percent) || percent < 1 || percent > 99)
      throw new RangeError(`deployConfig.canary.percent: expected an integer in [1, 99], got ${String(percent)}.`);
    spec.canary = { model: toModelRef(options.canary.model, 'deployConfig.canary.model'), percent };
  }
  for (const name of ['httpPort', 'grpcPort'] as const) {
    const port = options[name];
    if (port === undefined) continue;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new RangeError(`deployConfig.${name}: expected an integer in [0, 65535], got ${String(port)}.`);
    spec[name] = port;
  }
  return deepFreeze(spec);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
