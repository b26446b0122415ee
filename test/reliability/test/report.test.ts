import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEnvironment } from '../src/environment.js';
import { renderMarkdown, type ReliabilityReport } from '../src/report.js';

test('the markdown report carries the date, the machine and every check, failures marked', () => {
  const environment = describeEnvironment();
  const report: ReliabilityReport = {
    mode: 'quick',
    environment,
    durationS: 12,
    passed: 1,
    failed: 1,
    checks: [
      { id: 'a', title: 'first | check', expected: 'x', observed: 'x', pass: true },
      { id: 'b', title: 'second check', expected: 'y', observed: 'z', pass: false },
    ],
    overload: undefined,
    corpus: undefined,
  };
  const md = renderMarkdown(report, 'test/reliability/results/quick.json');
  assert.ok(md.includes(environment.date));
  assert.ok(md.includes(`${environment.cores} cores`));
  assert.ok(md.includes(environment.cpu));
  assert.match(md, /\*\*1 checks passed, 1 failed\.\*\*/);
  assert.match(md, /\| first \\\| check \| x \| x \| pass \|/);
  assert.match(md, /\| second check \| y \| z \| \*\*FAIL\*\* \|/);
});
