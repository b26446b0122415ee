import type { DeploymentSpec } from '../deployment-spec.js';
import { GRPC_PORT, HTTP_PORT } from './k8s-names.js';

/** Where things live inside the pod. */
export const POD_PATHS = Object.freeze({
  /** In-memory emptyDir the init container fills: workspace/tachyon.json, keys.json, serve.json (all mode 0600). */
  runtime: '/run/tachyon',
  workspace: '/run/tachyon/workspace',
  keysFile: '/run/tachyon/keys.json',
  serveConfig: '/run/tachyon/serve.json',
  /** The workspace's content-addressed artifact folder: a ReadWriteMany volume shared with whoever registers models. */
  artifacts: '/var/lib/tachyon/artifacts',
  cache: '/var/cache/tachyon',
  tls: '/etc/tachyon/tls',
});

/** `artifacts` of the pod's tachyon.json meaning "the registry's own URL" (large objects): the init script fills it in. */
export const ARTIFACTS_IN_REGISTRY = '@registry';

/** Values that stand in for secrets nobody passed; the init container refuses to start while any is left. */
export const PLACEHOLDER_PREFIX = 'REPLACE-ME';

/**
 * The init container's program (`node -e`): writes the workspace config with the registry URL from the Secret, the
 * keys file and the serve config into the runtime folder, and refuses placeholder values. Plain CommonJS so it runs
 * on the image's node without any package.
 */
export const INIT_SCRIPT = `const fs = require('node:fs');
const path = require('node:path');
const fail = (message) => { console.error('tachyon-init: ' + message); process.exit(1); };
const env = (name) => process.env[name] || fail(name + ' is not set');
const secret = (name) => { const v = env(name); if (v.startsWith('${PLACEHOLDER_PREFIX}')) fail(name + ' still holds the placeholder of the Secret: set the real value'); return v; };
const dir = env('TACHYON_RUNTIME_DIR');
const workspace = JSON.parse(env('TACHYON_WORKSPACE_JSON'));
workspace.registry = secret('TACHYON_REGISTRY_URL');
if (!/^postgres(ql)?:\\/\\//.test(workspace.registry)) fail('TACHYON_REGISTRY_URL must be a postgres:// URL');
if (workspace.artifacts === '${ARTIFACTS_IN_REGISTRY}') workspace.artifacts = workspace.registry;
const write = (file, value) => fs.writeFileSync(path.join(dir, file), JSON.stringify(value, null, 2) + '\\n', { mode: 0o600 });
fs.mkdirSync(path.join(dir, 'workspace'), { recursive: true, mode: 0o700 });
write('workspace/tachyon.json', workspace);
write('keys.json', { primary: secret('TACHYON_PRIMARY_KEY'), secondary: secret('TACHYON_SECONDARY_KEY') });
write('serve.json', JSON.parse(env('TACHYON_SERVE_JSON')));
console.error('tachyon-init: wrote ' + dir);
`;

/** tachyon.json of the pod's workspace, without the registry (the init container adds it from the Secret). */
export function podWorkspaceConfig(name: string, artifactsInRegistry = false): Record<string, unknown> {
  return { name, artifacts: artifactsInRegistry ? ARTIFACTS_IN_REGISTRY : POD_PATHS.artifacts, modelPath: [] };
}

/**
 * The served model of a rendered replica (pod or Swarm task): the deployment's one registered version, pinned
 * (`versionPolicy.specific`), with the deployment's scheduler when it has one.
 */
export function pinnedRegistryModel(spec: DeploymentSpec): Record<string, unknown> {
  const { name, version } = spec.model;
  return {
    name,
    source: `registry:${name}`,
    versionPolicy: { specific: [String(version)] },
    ...(spec.scheduler
      ? { scheduler: { ...spec.scheduler, preferredBatchSizes: [...spec.scheduler.preferredBatchSizes] } }
      : {}),
  };
}

/**
 * The `tachyon serve --config` file of the pod: the one registered version, pinned (`versionPolicy.specific`), on
 * all interfaces with the keys file; TLS from the mounted certificate, else plaintext (`insecure`). Model control is
 * off: the deployment's desired state changes by rendering and applying again.
 */
export function podServeConfig(spec: DeploymentSpec): Record<string, unknown> {
  return {
    models: [pinnedRegistryModel(spec)],
    workspace: POD_PATHS.workspace,
    host: '0.0.0.0',
    httpPort: HTTP_PORT,
    grpcPort: GRPC_PORT,
    workers: spec.workers,
    keysFile: POD_PATHS.keysFile,
    ...(spec.tls
      ? { tls: { certFile: `${POD_PATHS.tls}/tls.crt`, keyFile: `${POD_PATHS.tls}/tls.key` } }
      : { insecure: true }),
    modelControl: { enabled: false },
  };
}
