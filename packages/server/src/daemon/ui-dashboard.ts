import type { FastifyInstance } from 'fastify';
import {
  createBlobStore,
  type DeploymentController,
  type RegistryStore,
  type WorkspaceConfig,
} from '@tachyon-serve/core';
import { TachyonError } from '@tachyon-serve/protocol';
import { registerUiApi } from './ui-api.js';
import { createAdminKeyCheck } from './ui-auth.js';
import { ModelDescriber } from './ui-models.js';
import { UI_SECURITY_HEADERS, defaultDashboardDir, registerUiStatic } from './ui-static.js';
import type { ServiceStateHistory } from './ui-state-history.js';

export interface DashboardOptions {
  /** The workspace (its admin key guards the dashboard; its artifacts folder holds the model blobs). */
  config: WorkspaceConfig;
  controller: DeploymentController;
  /** The registry store the controller uses (models, versions, deployments). */
  store: RegistryStore;
  /** State changes the dashboard shows; the controller's store must be wrapped by it. */
  history: ServiceStateHistory;
  /** The built dashboard (index.html and assets/). @default defaultDashboardDir() */
  assetsDir?: string;
  /** Largest image "Try it" forwards to a service, in bytes. @default 16 MiB */
  maxImageBytes?: number;
}

export interface DashboardConfig {
  readonly config: WorkspaceConfig;
  readonly controller: DeploymentController;
  readonly store: RegistryStore;
  readonly history: ServiceStateHistory;
  readonly assetsDir: string;
  readonly maxImageBytes: number;
}

export const DASHBOARD_DEFAULTS = Object.freeze({ maxImageBytes: 16 * 1024 * 1024 });

export function compileDashboardOptions(options: DashboardOptions): DashboardConfig {
  if (typeof options !== 'object' || options === null) throw new TypeError('options: expected DashboardOptions.');
  if (typeof options.config?.root !== 'string') throw new TypeError('options.config: expected a WorkspaceConfig.');
  if (typeof options.controller !== 'object' || options.controller === null)
    throw new TypeError('options.controller: expected a DeploymentController.');
  if (typeof options.store !== 'object' || options.store === null)
    throw new TypeError('options.store: expected a RegistryStore.');
  if (typeof options.history?.wrapStore !== 'function')
    throw new TypeError('options.history: expected a ServiceStateHistory.');
  if (options.assetsDir !== undefined && (typeof options.assetsDir !== 'string' || options.assetsDir === ''))
    throw new TypeError('options.assetsDir: expected a folder.');
  const maxImageBytes = options.maxImageBytes ?? DASHBOARD_DEFAULTS.maxImageBytes;
  if (!Number.isSafeInteger(maxImageBytes) || maxImageBytes < 1024)
    throw new RangeError('options.maxImageBytes: expected an integer of at least 1024.');
  return Object.freeze({
    config: options.config,
    controller: options.controller,
    store: options.store,
    history: options.history,
    assetsDir: options.assetsDir ?? defaultDashboardDir(),
    maxImageBytes,
  });
}

/** True for the paths the dashboard owns (the daemon token does not guard them: the static page, and the admin-key API). */
export function isDashboardPath(url: string): boolean {
  return url === '/ui' || url.startsWith('/ui/') || url.startsWith('/ui?');
}

/**
 * Serves the web dashboard from the daemon (docs/dashboard.md): the static page under `/ui/` (no secret needed to
 * load it) and its JSON API under `/ui/api/` behind the workspace admin key. The API only aggregates what the daemon
 * already does (controller, registry) and proxies to service processes with their own keys, so the browser never
 * holds a service key it did not ask to see, nor the services' self-signed CA.
 */
export function registerDashboard(
  app: FastifyInstance,
  options: DashboardOptions,
  version: string,
  log?: (message: string) => void,
): void {
  const config = compileDashboardOptions(options);
  registerUiStatic(app, config.assetsDir);
  const models = new ModelDescriber(config.store, () => createBlobStore(config.config.artifacts));
  const check = createAdminKeyCheck(config.config);
  void app.register(
    async (api) => {
      api.addHook('onRequest', check);
      api.addHook('onSend', async (_request, reply) => {
        reply.headers({ ...UI_SECURITY_HEADERS, 'cache-control': 'no-store' });
      });
      // Images for "Try it": forwarded as they came; the service checks the format.
      api.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.maxImageBytes }, (_request, body, done) =>
        done(null, body),
      );
      api.setErrorHandler((error, _request, reply) => {
        const e = error as { code?: string };
        const mapped =
          e.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
            ? new TachyonError(
                'TCH_ERR_LIMIT_BODY_TOO_LARGE',
                `The image is larger than the dashboard's limit of ${config.maxImageBytes} bytes.`,
                { details: { limit: config.maxImageBytes } },
              )
            : error;
        throw mapped;
      });
      registerUiApi(api, {
        config: config.config,
        controller: config.controller,
        store: config.store,
        history: config.history,
        models,
        version,
      });
    },
    { prefix: '/ui/api' },
  );
  log?.(`dashboard at /ui/ (assets ${config.assetsDir})`);
}
