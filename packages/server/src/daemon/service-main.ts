#!/usr/bin/env node
// One deployed service's server process, started by the deployment daemon: `tachyon serve --config FILE` without
// the CLI. It prints ONE JSON line on stdout when ready ({"http", "grpc", "models"}), logs JSON lines on stderr,
// reloads its keys file and certificate on SIGHUP, drains on SIGTERM, and also drains when its stdin closes (the
// daemon that started it is gone). A start failure is one {"startupError": {code, message}} line on stderr and
// exit code 2 when a restart cannot fix it (bad model or config), 1 otherwise.
import { parseArgs } from 'node:util';
import { EXIT_PERMANENT_FAILURE, compileModelSources } from '@tachyon-serve/core';
import { isTachyonError, type ErrorKind } from '@tachyon-serve/protocol';
import { handleProcessSignals } from '../serve/process-signals.js';
import { loadServeConfigFile } from '../serve/serve-config-file.js';
import { createServeLogger } from '../serve/serve-logger.js';
import { startServer } from '../serve/start-server.js';

/** Kinds of startup errors that a restart may fix (a busy port, a slow disk); anything else is permanent. */
const TRANSIENT_KINDS: ReadonlySet<ErrorKind> = new Set([
  'UNAVAILABLE',
  'INTERNAL',
  'DEADLINE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
]);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { config: { type: 'string' }, 'http-port': { type: 'string' }, 'grpc-port': { type: 'string' } },
    strict: true,
  });
  if (values.config === undefined) throw new TypeError('--config FILE is required.');
  const { modelPath, ...file } = loadServeConfigFile(values.config);
  const port = (flag: string | undefined, fallback: number | undefined) =>
    flag === undefined ? fallback : Number(flag);
  const logger = createServeLogger({ ...(file.logLevel === undefined ? {} : { level: file.logLevel }) });
  const hupDuringStartup = () => logger.warn('SIGHUP during startup ignored');
  process.on('SIGHUP', hupDuringStartup);
  const running = await startServer({
    ...file,
    models: file.models ?? [],
    httpPort: port(values['http-port'], file.httpPort),
    grpcPort: port(values['grpc-port'], file.grpcPort),
    sources: compileModelSources({ ...(modelPath === undefined ? {} : { modelPath }), allowDownload: false }),
    logger,
  }).finally(() => process.off('SIGHUP', hupDuringStartup));
  const signals = handleProcessSignals(running, logger);
  process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
  process.stdout.write(
    `${JSON.stringify({ http: running.httpUrl, grpc: running.grpcAddress, models: running.models })}\n`,
  );
  await signals.closed;
  logger.info('stopped');
  setTimeout(() => process.exit(0), 2000).unref();
}

main().catch((error: unknown) => {
  const code = isTachyonError(error)
    ? error.code
    : error instanceof TypeError || error instanceof RangeError
      ? 'TCH_ERR_CONFIG_INVALID'
      : 'TCH_ERR_SERVER_INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `${JSON.stringify({ level: 60, time: Date.now(), msg: 'startup failed', startupError: { code, message } })}\n`,
  );
  const transient = isTachyonError(error)
    ? TRANSIENT_KINDS.has(error.kind)
    : !(error instanceof TypeError || error instanceof RangeError);
  process.exit(transient ? 1 : EXIT_PERMANENT_FAILURE);
});
