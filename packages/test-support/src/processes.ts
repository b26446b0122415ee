import { readdirSync, readFileSync } from 'node:fs';

/** SIGKILLs every process whose command line names a path under `dir` (the daemon and services of a test workspace). */
export function killProcessesUnder(dir: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(dir)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
