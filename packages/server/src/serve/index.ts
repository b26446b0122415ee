export { checkSecurity, formatHostPort, isLoopbackHost, type SecurityChoice } from './address-policy.js';
export { ReloadableIdentityProvider, createGrpcCredentials } from './grpc-credentials.js';
export { KeyStore, readKeysFile, type KeysFile, type ServerKeys } from './key-store.js';
export { handleProcessSignals, type SignalHandling, type SignalTarget } from './process-signals.js';
export { createServeLogger, redact, redactingLogger, type ServeLogger } from './serve-logger.js';
export {
  SERVE_DEFAULTS,
  compileServeOptions,
  type ServeConfig,
  type ServeOptions,
  type ServedModelOptions,
} from './serve-options.js';
export { startServer, type RunningServer } from './start-server.js';
export { readTlsMaterial, type TlsFiles, type TlsMaterial } from './tls-material.js';
export * from './serve-config-schema.js';
export * from './serve-config-file.js';
export * from './serve-config-env.js';
export * from './serve-config-merge.js';
