import type { ServeLogger } from './serve-logger.js';

/** The part of a running server the signal handlers drive. */
export interface SignalTarget {
  reload(): Promise<unknown>;
  close(): Promise<void>;
}

export interface SignalHandling {
  /** Settles when a SIGTERM/SIGINT drain has finished (rejects if closing failed). */
  readonly closed: Promise<void>;
  /** Removes the handlers (the server keeps running). */
  dispose(): void;
}

/**
 * SIGHUP re-reads the TLS certificate and the keys file (errors keep the old ones and are logged); SIGTERM and
 * SIGINT drain and close the server. A second SIGTERM while draining is logged and ignored (the drain is already
 * bounded by drainTimeoutMs); a second SIGINT (Ctrl-C twice) exits at once with 130, in-flight requests abandoned.
 * Other exit codes are the CLI's business: it awaits `closed`.
 */
export function handleProcessSignals(
  server: SignalTarget,
  logger: ServeLogger,
  exit: (code: number) => void = (code) => process.exit(code),
): SignalHandling {
  let resolveClosed!: () => void;
  let rejectClosed!: (error: unknown) => void;
  const closed = new Promise<void>((resolve, reject) => {
    resolveClosed = resolve;
    rejectClosed = reject;
  });
  let closing = false;
  let reloading: Promise<unknown> | undefined;

  const onHup = () => {
    if (closing) return;
    // Reloads do not overlap: a SIGHUP during a reload runs one more after it.
    const run = (): Promise<unknown> =>
      server.reload().catch((error: unknown) => {
        const e = error as { code?: string; message?: string };
        logger.error('reload failed; the previous certificate and keys stay in force', {
          code: e.code,
          error: e.message,
        });
      });
    reloading = (reloading ?? Promise.resolve()).then(run);
  };
  const onStop = (signal: NodeJS.Signals) => {
    if (closing && signal === 'SIGINT') {
      logger.warn('SIGINT received again while draining: exiting now, in-flight requests abandoned');
      exit(130);
      return;
    }
    if (closing) {
      logger.warn(`${signal} received while draining; still waiting for in-flight requests`);
      return;
    }
    closing = true;
    logger.info(`${signal} received: draining`);
    server.close().then(resolveClosed, rejectClosed);
  };

  process.on('SIGHUP', onHup);
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  const dispose = () => {
    process.off('SIGHUP', onHup);
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
  };
  closed.then(dispose, dispose);
  return { closed, dispose };
}
