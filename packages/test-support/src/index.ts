/**
 * Shared test helpers, dev only (no package's src may import this). The root entry has no tachyon dependency;
 * fixtures that need the engine or the server are subpaths:
 *
 * ```ts
 * import { sharedModel, tempDir, waitUntil } from '@tachyon-serve/test-support';
 * import { usePostgresServer } from '@tachyon-serve/test-support/postgres';
 * import { buildRawZip, exampleManifest } from '@tachyon-serve/test-support/service-zip';
 * import { writeIdentityModel, createSlowService } from '@tachyon-serve/test-support/models';   // needs @tachyon-serve/core
 * import { daemonWorkspace, startTestDaemon } from '@tachyon-serve/test-support/daemon';      // needs @tachyon-serve/server
 *
 * test('x', (t) => { const dir = tempDir(t); ... });
 * ```
 */
export { tempDir } from './temp-dir.js';
export * from './shared-data.js';
export { waitUntil } from './wait.js';
export { killProcessesUnder } from './processes.js';
