/**
 * @tachyon-serve/dashboard — the web UI the deployment daemon serves at `/ui/` (docs/dashboard.md). The page itself is in
 * `ui/` (Vite, no framework, uPlot charts) and is built into `dist/ui/`; this module only says where that is.
 *
 * ```ts
 * import { DASHBOARD_ASSETS_DIR, dashboardBuilt } from '@tachyon-serve/dashboard';
 * if (!dashboardBuilt()) throw new Error('run `npm run build` first');
 * // the daemon serves DASHBOARD_ASSETS_DIR (or $TACHYON_DASHBOARD_DIR) at /ui/
 * ```
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built dashboard: index.html and hashed assets/ (this file is dist/src/index.js). */
export const DASHBOARD_ASSETS_DIR = fileURLToPath(new URL('../ui/', import.meta.url));

/** Whether `npm run build` has produced the dashboard (its index.html exists). */
export function dashboardBuilt(dir: string = DASHBOARD_ASSETS_DIR): boolean {
  return existsSync(join(dir, 'index.html'));
}
