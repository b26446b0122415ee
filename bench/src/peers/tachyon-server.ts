// Forks tachyon-child.js (tachyon's server for one model) and waits until it is ready.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TachyonChildConfig, TachyonChildReady } from './tachyon-protocol.js';

export interface TachyonServer {
  readonly ready: TachyonChildReady;
  readonly pid: number;
  close(): Promise<void>;
}

export function startTachyonServer(config: TachyonChildConfig): Promise<TachyonServer> {
  const child = fork(fileURLToPath(new URL('./tachyon-child.js', import.meta.url)), [JSON.stringify(config)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('message', (m: TachyonChildReady | { type: 'error'; message: string }) => {
      if (m.type !== 'ready') return reject(new Error(`the tachyon server child failed: ${m.message}`));
      resolve({
        ready: m,
        pid: child.pid!,
        async close() {
          if (child.connected) child.send({ type: 'close' });
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
    child.once('exit', (code) =>
      reject(new Error(`the tachyon server child exited with code ${code} before it was ready`)),
    );
  });
}
