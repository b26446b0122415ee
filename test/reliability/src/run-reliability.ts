#!/usr/bin/env node
// `npm run reliability [-- --quick] [--overload-seconds N] [--only overload,faults,corpus]`: the reliability suite.
// Writes test/reliability/results/<mode>.json and docs/reliability.md; exits 1 when a check fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { CheckList } from './check.js';
import { runDaemonFaults } from './daemon-faults.js';
import { describeEnvironment } from './environment.js';
import { runOverload, type OverloadSummary } from './overload.js';
import { repoPath } from './paths.js';
import { runDiskFull, runKillDuringRegister } from './registry-faults.js';
import { writeJson, writeMarkdown, type ReliabilityReport } from './report.js';
import { runCorpus, type CorpusResult } from './run-corpus.js';
import { runWorkerFaults } from './worker-faults.js';

const PHASES = ['overload', 'faults', 'corpus'] as const;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'overload-seconds': { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
    docs: { type: 'string' },
  },
});
const mode = values.quick ? 'quick' : 'full';
const overloadSeconds =
  values['overload-seconds'] === undefined ? (values.quick ? 10 : 60) : Number(values['overload-seconds']);
if (!Number.isFinite(overloadSeconds) || overloadSeconds <= 0)
  throw new RangeError('--overload-seconds: expected a positive number.');
const only = values.only === undefined ? [...PHASES] : values.only.split(',');
for (const p of only)
  if (!(PHASES as readonly string[]).includes(p))
    throw new RangeError(`--only: unknown phase "${p}" (${PHASES.join(', ')}).`);

const log = (line: string) => process.stderr.write(`${line}\n`);
const checks = new CheckList((c) => log(`${c.pass ? 'ok  ' : 'FAIL'} ${c.id}: ${c.observed}`));
const work = mkdtempSync(join(tmpdir(), 'tachyon-reliability-'));
const started = performance.now();
const environment = describeEnvironment();
let overload: OverloadSummary | undefined;
let corpus: CorpusResult | undefined;
try {
  if (only.includes('overload')) {
    log(`overload: measuring capacity, then 2x for ${overloadSeconds} s`);
    await checks.guard('overload', 'overload', 'the overload run completes', async () => {
      overload = await runOverload(
        { workDir: join(work, 'overload'), seconds: overloadSeconds, measureSeconds: values.quick ? 4 : 15 },
        checks,
      );
    });
  }
  if (only.includes('faults')) {
    log('faults: worker, registry, daemon');
    // Each group records its own checks; a group that cannot even start (e.g. no server) is one failed check.
    await checks.guard('worker-faults', 'worker faults', 'the worker-fault server starts', () =>
      runWorkerFaults(join(work, 'worker'), checks),
    );
    await checks.guard('register-faults', 'kill during register', 'the register runs complete', () =>
      runKillDuringRegister(join(work, 'register'), checks, values.quick ? 4 : 10),
    );
    await checks.guard('disk-full', 'disk full', 'the disk-full run completes', () =>
      runDiskFull(join(work, 'disk'), checks),
    );
    await checks.guard('daemon-faults', 'daemon faults', 'the daemon starts', () =>
      runDaemonFaults(join(work, 'daemon'), checks),
    );
  }
  if (only.includes('corpus')) {
    log(`corpus: bad inputs${values.quick ? ' (no slowloris in --quick)' : ' (slowloris included: up to 90 s)'}`);
    await checks.guard('corpus', 'bad-input corpus', 'the corpus run completes', async () => {
      corpus = await runCorpus({
        workDir: join(work, 'corpus'),
        includeSlow: !values.quick,
        onKind: (k) => log(`${k.answered && k.servingAfter ? 'ok  ' : 'FAIL'} corpus ${k.id}`),
      });
      const kinds = corpus.kinds;
      const answered = kinds.filter((k) => k.answered).length;
      const serving = kinds.filter((k) => k.servingAfter).length;
      checks.check(
        'corpus',
        `bad-input corpus: ${kinds.length} kinds against one HTTPS server`,
        'each answered with its documented code and status; the server serves a good request after each; no crash',
        `${answered}/${kinds.length} answered as documented, serving after ${serving}/${kinds.length}, crashes ${corpus.crashes}` +
          (answered < kinds.length
            ? `; wrong: ${kinds
                .filter((k) => !k.answered)
                .map((k) => `${k.id} got ${JSON.stringify(k.observed)}`)
                .join(', ')}`
            : ''),
        answered === kinds.length && serving === kinds.length && corpus.crashes === 0 && kinds.length >= 20,
      );
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const failed = checks.checks.filter((c) => !c.pass).length;
const report: ReliabilityReport = {
  mode,
  environment,
  durationS: Math.round((performance.now() - started) / 1000),
  passed: checks.checks.length - failed,
  failed,
  checks: checks.checks,
  overload,
  corpus,
};
const jsonPath = values.out ?? repoPath('test', 'reliability', 'results', `${mode}.json`);
writeJson(jsonPath, report);
const docs = values.docs ?? repoPath('docs', 'reliability.md');
writeMarkdown(docs, report, relative(repoPath(), jsonPath));
log(`${report.passed} passed, ${failed} failed in ${report.durationS} s; wrote ${jsonPath} and ${docs}`);
process.exitCode = failed === 0 ? 0 : 1;
