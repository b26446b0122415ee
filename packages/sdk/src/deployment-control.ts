import type { DeployResponse, ServiceKeysBody, ServiceSpec, ServiceStatus } from '@tachyon-serve/protocol';

/**
 * What `Webservice` needs from the workspace's deployment daemon (packages/protocol/src/deployments.ts). The
 * workspace connects to the daemon (starting it on first use) and hands out one of these; tests may give their own.
 */
export interface DeploymentControl {
  list(): Promise<ServiceStatus[]>;
  /** TCH_ERR_SERVICE_NOT_FOUND when there is no service of that name. */
  get(name: string): Promise<ServiceStatus>;
  /** Idempotent: the same spec again answers `changed: false` and restarts nothing. */
  deploy(name: string, spec: ServiceSpec): Promise<DeployResponse>;
  /** Drains and removes the service's process, files and row; the names of what went. */
  delete(name: string): Promise<string[]>;
  logs(name: string, tail?: number): Promise<string[]>;
  keys(name: string): Promise<ServiceKeysBody>;
  regenerateKey(name: string, key: 'primary' | 'secondary'): Promise<ServiceKeysBody>;
  /** Stops the daemon and its service processes (desired state stays in the registry). */
  shutdown(): Promise<void>;
  /** Releases this connection (keep-alive sockets); the daemon keeps running. */
  close?(): Promise<void>;
}
