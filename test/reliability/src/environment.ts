// The facts every report carries: when, on what machine, with which versions.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { repoPath } from './paths.js';

export interface RunEnvironment {
  date: string;
  gitSha: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  onnxruntime: string;
  root: boolean;
}

export function describeEnvironment(): RunEnvironment {
  let gitSha = 'unknown';
  try {
    gitSha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoPath(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // not a git checkout
  }
  const ort = JSON.parse(readFileSync(repoPath('node_modules', 'onnxruntime-node', 'package.json'), 'utf8')) as {
    version: string;
  };
  return {
    date: new Date().toISOString(),
    gitSha,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
    onnxruntime: ort.version,
    root: process.getuid?.() === 0,
  };
}
