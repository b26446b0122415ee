/**
 * The local deployment daemon (docs/deployments.md): one per workspace, found through `.tachyon/daemon.json`.
 *
 * ```ts
 * import { ensureDaemon } from '@tachyon-serve/server';
 * const daemon = await ensureDaemon('./ws');                        // finds the running daemon or starts one
 * await daemon.deploy('vision', { model: { name: 'resnet', version: 1 }, tls: 'self-signed' });
 * const status = await daemon.waitForService('vision');             // Healthy: status.scoringUri, status.caFile
 * const { primary } = await daemon.getKeys('vision');
 * await daemon.deleteService('vision');
 * ```
 */
// The daemon's HTTP client lives in @tachyon-serve/client (a caller needs no server code); re-exported for convenience.
export { DaemonClient, type DaemonClientOptions, type WaitForServiceOptions } from '@tachyon-serve/client';
export { DAEMON_MAIN, ensureDaemon, findDaemon, type EnsureDaemonOptions } from './ensure-daemon.js';
export { SERVICE_MAIN, startDaemon, type DaemonOptions, type RunningDaemon } from './start-daemon.js';
export { daemonPaths, readDaemonInfo, type DaemonInfo, type DaemonPaths } from './daemon-files.js';
export { buildDaemonApp, toDaemonError, type DaemonAppOptions } from './daemon-app.js';
export { daemonOptionsFromEnv } from './daemon-env.js';
export {
  DASHBOARD_DEFAULTS,
  compileDashboardOptions,
  registerDashboard,
  type DashboardConfig,
  type DashboardOptions,
} from './ui-dashboard.js';
export {
  ServiceStateHistory,
  STATE_HISTORY_DEFAULTS,
  type StateChange,
  type StateHistoryOptions,
} from './ui-state-history.js';
