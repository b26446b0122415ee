// Starts and stops the PyTorch + FastAPI peer (bench/peers/pytorch_server.py) as a child process on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

export const PYTHON = process.env['TACHYON_BENCH_PYTHON'] ?? '/usr/bin/python3';

export interface PythonPeerOptions {
  benchDir: string;
  arch: string;
  dtype: 'fp32' | 'int8';
  threads: number;
  calibration: readonly string[];
  /** Model build + quantization + warm-up can take minutes for VGG-16 on 2 cores. @default 600000 */
  startTimeoutMs?: number;
}

/** What the server printed once it listened (versions, threads, quantized engine...). */
export type PythonPeerInfo = Record<string, unknown> & { port: number };

export interface PythonPeer {
  readonly url: string;
  readonly pid: number;
  readonly info: PythonPeerInfo;
  close(): Promise<void>;
}

/** Whether the peer can run here: python3 with torch, torchvision, fastapi and uvicorn (bench/setup/install-peers.sh). */
export function pythonPeerMissing(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  return undefined;
}

export async function startPythonPeer(options: PythonPeerOptions): Promise<PythonPeer> {
  const script = join(options.benchDir, 'peers', 'pytorch_server.py');
  const args = [
    script,
    '--arch',
    options.arch,
    '--dtype',
    options.dtype,
    '--threads',
    String(options.threads),
    '--calibration',
    options.calibration.join(','),
  ];
  const child: ChildProcess = spawn(PYTHON, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const info = await new Promise<PythonPeerInfo>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the PyTorch peer did not start within ${options.startTimeoutMs ?? 600_000} ms`));
    }, options.startTimeoutMs ?? 600_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as PythonPeerInfo & { ready?: boolean };
        if (parsed.ready) {
          clearTimeout(timer);
          resolve(parsed);
        }
      } catch {
        // not the ready line
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `the PyTorch peer exited (code ${code}, signal ${signal}) before it was ready; run \`bash bench/setup/install-peers.sh\``,
        ),
      );
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${info.port}`,
    pid: child.pid!,
    info,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
