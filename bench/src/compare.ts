// `node bench/dist/src/compare.js A.json B.json [--threshold 0.05] [--all] [--fail-on-worse]` (npm run bench:compare):
// every metric of the rows both reports have, flagged when B differs from A by more than the threshold.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compareReports, renderComparison, unmatchedKeys } from './compare-reports.js';

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { threshold: { type: 'string' }, all: { type: 'boolean' }, 'fail-on-worse': { type: 'boolean' } },
  });
  if (positionals.length !== 2)
    throw new RangeError('usage: compare.js A.json B.json [--threshold 0.05] [--all] [--fail-on-worse]');
  const threshold = values.threshold === undefined ? 0.05 : Number(values.threshold);
  if (!(threshold >= 0))
    throw new RangeError(`--threshold: expected a number >= 0, got ${JSON.stringify(values.threshold)}`);
  const [a, b] = positionals.map(
    (p) => JSON.parse(readFileSync(p, 'utf8')) as { environment?: Record<string, unknown> },
  );
  const ea = a!.environment ?? {};
  const eb = b!.environment ?? {};
  const lines = [
    `A: ${positionals[0]} (${String(ea['date'] ?? '?')}, git ${String(ea['gitSha'] ?? '?').slice(0, 7)}, load ${String(ea['loadAverage1m'] ?? '?')})`,
    `B: ${positionals[1]} (${String(eb['date'] ?? '?')}, git ${String(eb['gitSha'] ?? '?').slice(0, 7)}, load ${String(eb['loadAverage1m'] ?? '?')})`,
  ];
  for (const f of ['cpuModel', 'cores', 'node', 'onnxruntimeNode']) {
    if (ea[f] !== eb[f])
      lines.push(`Warning: ${f} differs (${String(ea[f])} vs ${String(eb[f])}): the runs are not on the same setup.`);
  }
  const changes = compareReports(a, b, threshold);
  const { onlyA, onlyB } = unmatchedKeys(a, b);
  lines.push('', renderComparison(changes, threshold, values.all === true));
  if (onlyA.length + onlyB.length > 0)
    lines.push('', `Rows only in A: ${onlyA.join(', ') || 'none'}. Rows only in B: ${onlyB.join(', ') || 'none'}.`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values['fail-on-worse'] && changes.some((c) => c.verdict === 'worse')) process.exitCode = 1;
}

try {
  main();
} catch (error) {
  process.stderr.write(`[bench:compare] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
