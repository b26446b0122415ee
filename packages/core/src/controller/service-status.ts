import { readFileSync } from 'node:fs';
import type { ServiceSpec, ServiceState, ServiceStatus } from '@tachyon-serve/protocol';
import type { DeploymentRecord } from '../registry/registry-store.js';
import type { ServicePaths } from './service-files.js';
import type { ReadyInfo } from './service-supervisor.js';
import { isProcessAlive } from '../registry/process-owner.js';

/** The wire status of a service: its row, plus where its process listens when it does. */
export function buildServiceStatus(
  record: DeploymentRecord,
  paths: ServicePaths,
  live: { ready: ReadyInfo | undefined; restarts: number } | undefined,
): ServiceStatus {
  const spec = record.spec as unknown as ServiceSpec;
  const ready = live?.ready;
  return {
    name: record.name,
    state: record.state as ServiceState,
    ...(record.reason === null ? {} : { reason: record.reason }),
    spec,
    generation: record.generation,
    ...(ready === undefined
      ? {}
      : {
          scoringUri: `${ready.httpUrl}/v1/services/${record.name}/classify`,
          httpUrl: ready.httpUrl,
          grpcAddress: ready.grpcAddress,
          pid: ready.pid,
        }),
    ...(spec.tls === 'self-signed' ? { caFile: paths.tlsCert } : {}),
    restarts: live?.restarts ?? 0,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * Ends a service process left running by a daemon that died (its pid is in the row): only when that pid still runs
 * a process started with this service's serve config, so a recycled pid is never touched.
 */
export async function stopOrphanProcess(pid: unknown, paths: ServicePaths): Promise<boolean> {
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 1) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false;
  }
  if (!cmdline.split('\0').includes(paths.serveConfig)) return false;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return false;
  }
  for (let i = 0; i < 100 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return true;
}
