import { findDaemonAt, type DaemonClient } from '@tachyon-serve/client';
import { locateWorkspaceConfig } from '@tachyon-serve/core';
import { TachyonError } from '@tachyon-serve/protocol';
import type { DeploymentControl } from './deployment-control.js';

/**
 * The workspace's local daemon as a DeploymentControl: a running one is found through the workspace
 * (`.tachyon/daemon.json`, @tachyon-serve/client); when none runs, `ensureDaemon` of @tachyon-serve/server starts one. That is the
 * only place the SDK loads @tachyon-serve/server (fastify, grpc-js, OpenTelemetry), lazily. With `start: false` a daemon
 * that is not running is TCH_ERR_DAEMON_UNAVAILABLE instead.
 */
export async function connectDaemon(root: string, options: { start?: boolean } = {}): Promise<DeploymentControl> {
  const workspaceRoot = locateWorkspaceConfig(root).root;
  const running = await findDaemonAt(workspaceRoot);
  if (running !== undefined) return fromDaemonClient(running);
  if (options.start === false) {
    throw new TachyonError('TCH_ERR_DAEMON_UNAVAILABLE', `No deployment daemon runs for "${root}".`, {
      details: { workspace: root },
    });
  }
  const { ensureDaemon } = await import('@tachyon-serve/server');
  return fromDaemonClient(await ensureDaemon(workspaceRoot));
}

/** Adapts DaemonClient's method names to DeploymentControl. */
export function fromDaemonClient(client: DaemonClient): DeploymentControl {
  return Object.freeze({
    list: () => client.listServices(),
    get: (name: string) => client.getService(name),
    deploy: (name: string, spec: Parameters<DaemonClient['deploy']>[1]) => client.deploy(name, spec),
    delete: (name: string) => client.deleteService(name),
    logs: (name: string, tail?: number) => (tail === undefined ? client.logs(name) : client.logs(name, tail)),
    keys: (name: string) => client.getKeys(name),
    regenerateKey: (name: string, key: 'primary' | 'secondary') => client.regenerateKey(name, key),
    shutdown: () => client.shutdown(),
  });
}
