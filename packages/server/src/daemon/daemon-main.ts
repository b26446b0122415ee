#!/usr/bin/env node
// The deployment daemon of one workspace (`tachyon daemon`, or spawned by ensureDaemon): serves the daemon API on
// 127.0.0.1 until SIGTERM/SIGINT or POST /v1/shutdown, which stop its service processes (the desired state stays).
// Exit codes: 0 stopped, 3 another daemon already runs for the workspace, 4 another daemon holds the registry's
// controller lease (TCH_ERR_DAEMON_LEASE_HELD: at start, or taken while the registry was unreachable), 1 any other
// start failure.
import { parseArgs } from 'node:util';
import { isTachyonError } from '@tachyon-serve/protocol';
import { daemonOptionsFromEnv } from './daemon-env.js';
import { startDaemon } from './start-daemon.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { workspace: { type: 'string' } }, strict: true });
  const daemon = await startDaemon({
    workspace: values.workspace ?? process.cwd(),
    ...daemonOptionsFromEnv(process.env),
  });
  const stop = () => void daemon.close();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => undefined);
  await daemon.closed;
  if (daemon.failure !== undefined) {
    const error = daemon.failure as Error & { code?: string };
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), msg: 'daemon stopped', code: error.code, error: error.message })}\n`,
    );
    return 4;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), msg: 'daemon failed to start', code: (error as { code?: string }).code, error: (error as Error).message })}\n`,
    );
    if (isTachyonError(error, 'TCH_ERR_DAEMON_LEASE_HELD')) process.exit(4);
    process.exit(isTachyonError(error, 'TCH_ERR_DAEMON_UNAVAILABLE') && error.details?.['running'] === true ? 3 : 1);
  },
);
