import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, totalmem, type as osType, release, arch } from 'node:os';
import { dirname, join } from 'node:path';

export interface Environment {
  gitSha: string;
  /** Uncommitted changes in the working tree when the run started. */
  gitDirty: boolean;
  date: string;
  node: string;
  onnxruntimeNode: string;
  sharp: string;
  libvips: string;
  cpuModel: string;
  /** Logical CPUs (os.cpus().length). */
  cores: number;
  availableParallelism: number;
  memoryGiB: number;
  os: string;
  arch: string;
  /** 1-minute load average when the run started: a busy machine makes every number slower. */
  loadAverage1m: number;
  /** 1-minute load average when the measurements ended (the benchmark itself adds about 1 to it). */
  loadAverage1mEnd?: number;
}

const require = createRequire(import.meta.url);

/** The version in the package.json of `name` as this process resolves it (works for packages without an exports entry for package.json). */
export function packageVersion(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    } catch {
      // no package.json at this level
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

function git(repoRoot: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export async function collectEnvironment(repoRoot: string): Promise<Environment> {
  const sharp = (await import('sharp')).default;
  const cpuList = cpus();
  return {
    gitSha: git(repoRoot, ['rev-parse', 'HEAD']) ?? 'unknown',
    gitDirty: (git(repoRoot, ['status', '--porcelain']) ?? '') !== '',
    date: new Date().toISOString(),
    node: process.version,
    onnxruntimeNode: packageVersion('onnxruntime-node'),
    sharp: packageVersion('sharp'),
    libvips: sharp.versions.vips,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    availableParallelism: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    arch: arch(),
    loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
  };
}
