// HAProxy for the scale test: started from Debian's package (scripts/ci-deps.sh), driven through its runtime API.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export class Haproxy {
  private constructor(
    readonly child: ChildProcess,
    readonly socket: string,
    readonly log: string[],
  ) {}

  static async start(dir: string, config: string): Promise<Haproxy> {
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, config);
    const log: string[] = [];
    const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => log.push(d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => log.push(d));
    const h = new Haproxy(child, join(dir, 'admin.sock'), log);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`haproxy exited: ${log.join('')}`);
      try {
        await h.command('show info');
        return h;
      } catch {
        if (Date.now() > deadline) throw new Error(`haproxy did not open its socket: ${log.join('')}`);
        await sleep(50);
      }
    }
  }

  /** One runtime API command; resolves with its output. */
  command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(this.socket);
      let out = '';
      s.setEncoding('utf8');
      s.on('connect', () => s.write(`${line}\n`));
      s.on('data', (d: string) => (out += d));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
  }

  /** Sets every backend's server `name` to ready, drain or maint. */
  async setState(server: string, state: 'ready' | 'drain' | 'maint', backends: readonly string[]): Promise<void> {
    for (const b of backends) await this.command(`set server ${b}/${server} state ${state}`);
  }

  /** Per backend: retries (wretr) and redispatches (wredis), from `show stat`. */
  async retries(): Promise<Record<string, { retries: number; redispatches: number }>> {
    const csv = await this.command('show stat');
    const [header, ...rows] = csv.trim().split('\n');
    const cols = header!.replace(/^# /, '').split(',');
    const at = (row: string[], c: string) => Number(row[cols.indexOf(c)] ?? 0) || 0;
    const out: Record<string, { retries: number; redispatches: number }> = {};
    for (const line of rows) {
      const row = line.split(',');
      if (row[1] !== 'BACKEND') continue;
      out[row[0]!] = { retries: at(row, 'wretr'), redispatches: at(row, 'wredis') };
    }
    return out;
  }

  /** Whether HAProxy's health check sees `server` UP in every backend. */
  async isUp(server: string, backends: readonly string[]): Promise<boolean> {
    const csv = await this.command('show stat');
    const rows = csv.split('\n').map((l) => l.split(','));
    return backends.every((b) => rows.some((r) => r[0] === b && r[1] === server && r[17] === 'UP'));
  }

  /** `backend/server status check_status` of every server, for error messages. */
  async describe(): Promise<string> {
    const csv = await this.command('show stat');
    return csv
      .split('\n')
      .map((l) => l.split(','))
      .filter((r) => r[1] !== undefined && !['FRONTEND', 'BACKEND', 'svname'].includes(r[1]))
      .map((r) => `${r[0]}/${r[1]} ${r[17]} ${r[36]}`)
      .join('; ');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
