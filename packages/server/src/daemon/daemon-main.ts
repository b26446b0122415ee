#!/usr/bin/env node
// The deployment daemon of one workspace (`tachyon daemon`, or spawned by ensureDaemon): serves the daemon API on
// 127.0.0.1 until SIGTERM/SIGINT or POST /v1/shutdown, which stop its service processes (the desired state stays).
// Exit codes: 0 stopped, 3 another daemon already runs for the workspace, 1 any other start failure.
import { parseArgs } from 'node:util';
import { isTachyonError } from '@tachyon/protocol';
import { daemonOptionsFromEnv } from './daemon-env.js';
import { startDaemon } from './start-daemon.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { workspace: { type: 'string' } }, strict: true });
  const daemon = await startDaemon({ workspace: values.workspace ?? process.cwd(), ...daemonOptionsFromEnv(process.env) });
  const stop = () => void daemon.close();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => undefined);
  await daemon.closed;
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg: 'daemon failed to start', code: (error as { code?: string }).code, error: (error as Error).message })}\n`);
    process.exit(isTachyonError(error, 'TCH_ERR_DAEMON_UNAVAILABLE') && error.details?.['running'] === true ? 3 : 1);
  },
);
