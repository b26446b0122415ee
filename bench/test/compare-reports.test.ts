import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareReports, keyedRows, renderComparison, unmatchedKeys } from '../src/compare-reports.js';

const peerReport = (p50: number, throughput: number, extra: object[] = []) => ({
  rows: [
    { model: 'm', peer: 'tachyon-http', concurrency: 1, p50, p90: 10, p99: 20, max: 30, throughput, errors: 0 },
    ...extra,
  ],
});

test('rows are keyed by model, peer and concurrency, or by scenario name', () => {
  assert.deepEqual([...keyedRows(peerReport(5, 100)).keys()], ['m tachyon-http c1']);
  assert.deepEqual([...keyedRows({ scenarios: [{ name: 'raw-ort/x', p50: 1 }] }).keys()], ['raw-ort/x']);
  assert.throws(() => keyedRows(null), TypeError);
});

test('a change over 5% is flagged in the right direction for latency and throughput', () => {
  const changes = compareReports(peerReport(10, 100), peerReport(10.6, 90));
  const p50 = changes.find((c) => c.metric === 'p50')!;
  const tput = changes.find((c) => c.metric === 'throughput')!;
  assert.equal(p50.verdict, 'worse');
  assert.ok(Math.abs(p50.change - 0.06) < 1e-9);
  assert.equal(tput.verdict, 'worse');
  const better = compareReports(peerReport(10, 100), peerReport(9, 120));
  assert.equal(better.find((c) => c.metric === 'p50')!.verdict, 'better');
  assert.equal(better.find((c) => c.metric === 'throughput')!.verdict, 'better');
});

test('changes within the threshold are the same; the threshold is configurable', () => {
  const changes = compareReports(peerReport(10, 100), peerReport(10.4, 97));
  assert.ok(changes.every((c) => c.verdict === 'same'));
  assert.equal(
    compareReports(peerReport(10, 100), peerReport(10.4, 97), 0.01).find((c) => c.metric === 'p50')!.verdict,
    'worse',
  );
  assert.throws(() => compareReports({}, {}, -1), RangeError);
});

test('errors appearing where there were none are worse; unmatched rows are listed', () => {
  const a = peerReport(10, 100);
  const b = {
    rows: [
      { ...a.rows[0]!, errors: 3 },
      { model: 'm', peer: 'pytorch-fastapi', concurrency: 1, p50: 50 },
    ],
  };
  const errors = compareReports(a, b).find((c) => c.metric === 'errors')!;
  assert.equal(errors.verdict, 'worse');
  assert.equal(errors.change, Infinity);
  assert.deepEqual(unmatchedKeys(a, b), { onlyA: [], onlyB: ['m pytorch-fastapi c1'] });
  const text = renderComparison(compareReports(a, b), 0.05);
  assert.match(text, /\*\*worse\*\*/);
  assert.match(text, /1 worse/);
});
