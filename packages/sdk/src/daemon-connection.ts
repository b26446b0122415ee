import { TachyonError } from '@tachyon/protocol';
import type { DaemonClient } from '@tachyon/server';
import type { DeploymentControl } from './deployment-control.js';

/**
 * The workspace's local daemon as a DeploymentControl: `ensureDaemon(root)` of @tachyon/server finds the running
 * daemon through the workspace (`.tachyon/daemon.json`), or starts it. With `start: false` a daemon that is not
 * running is TCH_ERR_DAEMON_UNAVAILABLE instead. @tachyon/server is loaded only here, on first use.
 */
export async function connectDaemon(root: string, options: { start?: boolean } = {}): Promise<DeploymentControl> {
  const { ensureDaemon, findDaemon } = await import('@tachyon/server');
  let client: DaemonClient | undefined;
  if (options.start === false) {
    client = await findDaemon(root);
    if (client === undefined) throw new TachyonError('TCH_ERR_DAEMON_UNAVAILABLE', `No deployment daemon runs for "${root}".`, { details: { workspace: root } });
  } else {
    client = await ensureDaemon(root);
  }
  return fromDaemonClient(client);
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
