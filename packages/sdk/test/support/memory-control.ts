import {
  TachyonError,
  type DeployResponse,
  type ServiceKeysBody,
  type ServiceSpec,
  type ServiceStatus,
} from '@tachyon-serve/protocol';
import type { DeploymentControl } from '../../src/index.js';

/**
 * The daemon contract (packages/protocol/src/deployments.ts) kept in memory, for the SDK's own logic. A test sets
 * what a deployed service looks like with `onDeploy` (e.g. the address of a real server it started). The real daemon
 * is exercised in test/e2e.
 */
export class MemoryControl implements DeploymentControl {
  readonly services = new Map<string, ServiceStatus>();
  readonly keysByName = new Map<string, ServiceKeysBody>();
  readonly calls: string[] = [];
  /** Statuses `get` returns, in order, before the stored one (to script a deployment's progress). */
  readonly script: Partial<ServiceStatus>[] = [];
  logLines: string[] = ['line 1', 'line 2'];
  shutdowns = 0;

  constructor(private readonly onDeploy: (name: string, spec: ServiceSpec) => Partial<ServiceStatus> = () => ({})) {}

  async list(): Promise<ServiceStatus[]> {
    this.calls.push('list');
    return [...this.services.values()];
  }

  async get(name: string): Promise<ServiceStatus> {
    this.calls.push(`get ${name}`);
    const status = this.#status(name);
    const next = this.script.shift();
    return next === undefined ? status : { ...status, ...next };
  }

  async deploy(name: string, spec: ServiceSpec): Promise<DeployResponse> {
    this.calls.push(`deploy ${name}`);
    const old = this.services.get(name);
    if (old && JSON.stringify(old.spec) === JSON.stringify(spec)) return { status: old, changed: false };
    const now = new Date().toISOString();
    const status: ServiceStatus = {
      name,
      state: 'Healthy',
      spec,
      generation: (old?.generation ?? 0) + 1,
      restarts: 0,
      createdAt: old?.createdAt ?? now,
      updatedAt: now,
      ...this.onDeploy(name, spec),
    };
    this.services.set(name, status);
    if (!this.keysByName.has(name))
      this.keysByName.set(name, { primary: `${name}-primary-key-1`, secondary: `${name}-secondary-key-1` });
    return { status, changed: true };
  }

  async delete(name: string): Promise<string[]> {
    this.calls.push(`delete ${name}`);
    this.#status(name);
    this.services.delete(name);
    return ['process', 'files', 'row'];
  }

  async logs(name: string, tail?: number): Promise<string[]> {
    this.#status(name);
    return tail === undefined ? this.logLines : this.logLines.slice(-tail);
  }

  async keys(name: string): Promise<ServiceKeysBody> {
    this.#status(name);
    return this.keysByName.get(name)!;
  }

  async regenerateKey(name: string, key: 'primary' | 'secondary'): Promise<ServiceKeysBody> {
    const keys = { ...(await this.keys(name)), [key]: `${name}-${key}-key-2` };
    this.keysByName.set(name, keys);
    return keys;
  }

  async shutdown(): Promise<void> {
    this.shutdowns++;
  }

  #status(name: string): ServiceStatus {
    const status = this.services.get(name);
    if (!status)
      throw new TachyonError('TCH_ERR_SERVICE_NOT_FOUND', `No service "${name}".`, { details: { service: name } });
    return status;
  }
}
