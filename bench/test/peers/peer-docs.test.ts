import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { computeCpuPeak } from '../../src/peers/cpu-peak.js';
import {
  README_BEGIN,
  README_END,
  latestReports,
  renderBenchmarksDoc,
  replaceBetweenMarkers,
} from '../../src/peers/peer-docs.js';
import { PEER_REPORT_SCHEMA, claimsFor, toPeerRow, underLoad, type PeerReport } from '../../src/peers/peer-report.js';

function report(scenario: string, tier: 'quick' | 'full', loadAverage = 0.5): PeerReport {
  const cpuPeak = computeCpuPeak(
    'vendor_id : GenuineIntel\ncpu family : 6\nmodel name : T\ncpu MHz : 2000\nflags : avx2 fma\n',
    '',
    2,
  );
  const samples = (name: string, concurrency: number, ms: number[]) => ({
    name,
    concurrency,
    okMs: ms,
    errors: 0,
    errorMessages: [],
    seconds: ms.reduce((a, b) => a + b, 0) / 1000 / concurrency,
    otherCores: 0,
  });
  return {
    schema: PEER_REPORT_SCHEMA,
    scenario,
    tier,
    environment: {
      gitSha: 'abcdef0123',
      gitDirty: false,
      date: '2026-11-25T20:00:00.000Z',
      node: 'v20',
      onnxruntimeNode: '1.30.0',
      sharp: '0.35',
      libvips: '8',
      cpuModel: 'T',
      cores: 2,
      availableParallelism: 2,
      memoryGiB: 8,
      os: 'Linux',
      arch: 'x64',
      loadAverage1m: loadAverage,
      loadAverage1mEnd: loadAverage,
    },
    cpuPeak,
    config: {},
    notes: ['a note'],
    models: [
      {
        id: 'mobilenetv2-int8',
        dtype: 'int8',
        weights: 'real',
        origin: 'zoo',
        file: 'm.onnx',
        macs: 300e6,
        macNodes: { Conv: 52 },
        pytorch: { arch: 'mobilenet_v2', dtype: 'int8', weights: 'random', server: {} },
      },
    ],
    rows: [
      toPeerRow('mobilenetv2-int8', samples('tachyon-http', 1, [8, 8, 9, 10]), 300e6, cpuPeak.int8PeakOpsPerSecond),
      toPeerRow('mobilenetv2-int8', samples('raw-ort-sharp', 1, [7, 7, 8, 8]), 300e6, cpuPeak.int8PeakOpsPerSecond),
      toPeerRow(
        'mobilenetv2-int8',
        samples('pytorch-fastapi', 1, [32, 32, 36, 40]),
        300e6,
        cpuPeak.int8PeakOpsPerSecond,
      ),
    ],
    durationSeconds: 1,
  };
}

test('toPeerRow: percentiles, throughput and ops against the peak', () => {
  const row = report('quick', 'quick').rows[0]!;
  assert.equal(row.p50, 8.5);
  assert.equal(row.requests, 4);
  assert.ok(Math.abs(row.throughput - 4 / 0.035) < 0.01);
  assert.ok(Math.abs(row.achievedGops - (2 * 300e6 * row.throughput) / 1e9) < 0.01);
  assert.ok(row.peakFraction > 0 && row.peakFraction < 1);
});

test('claims compare tachyon only with the peers of the same report', () => {
  const [claim] = claimsFor(report('quick', 'quick'), 'mobilenetv2-int8');
  assert.match(claim!, /tachyon-http p50 8\.50 ms/);
  assert.match(claim!, /4\.00x faster than PyTorch \+ FastAPI at p50 \(34\.0 ms\)/);
  assert.match(claim!, /1\.00 ms p50 above the in-process raw onnxruntime \+ sharp floor/);
  assert.deepEqual(claimsFor(report('quick', 'quick'), 'resnet50-fp32'), []);
});

test('a load average above 0.75 x cores marks the run as measured under load', () => {
  assert.equal(underLoad(report('quick', 'quick', 0.5)), false);
  assert.equal(underLoad(report('quick', 'quick', 2.5)), true);
  // The end value carries the benchmark's own load: a quiet start and quiet rows are not "under load".
  const ownLoad = report('quick', 'quick', 0.5);
  ownLoad.environment.loadAverage1mEnd = 2.4;
  assert.equal(underLoad(ownLoad), false);
  assert.match(renderBenchmarksDoc([report('quick', 'quick', 2.5)]), /measured under load/);
});

test('the README block between the markers is replaced, and nothing without markers', () => {
  const text = `a\n${README_BEGIN}\nold\n${README_END}\nb\n`;
  const out = replaceBetweenMarkers(text, 'new table')!;
  assert.equal(out, `a\n${README_BEGIN}\nnew table\n${README_END}\nb\n`);
  assert.equal(replaceBetweenMarkers('no markers', 'x'), undefined);
});

test('docs list the latest report of each scenario, quick first, with the CUDA section', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-peer-docs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const r of [report('full', 'full'), report('quick', 'quick')]) {
    await mkdir(join(dir, r.scenario));
    await writeFile(join(dir, r.scenario, 'latest.json'), JSON.stringify(r));
  }
  await mkdir(join(dir, 'stray'));
  await writeFile(join(dir, 'stray', 'latest.json'), JSON.stringify({ schema: 'other' }));
  const reports = latestReports(dir);
  assert.deepEqual(
    reports.map((r) => r.scenario),
    ['quick', 'full'],
  );
  const doc = renderBenchmarksDoc(reports);
  assert.ok(doc.indexOf('Scenario `quick`') < doc.indexOf('Scenario `full`'));
  assert.match(doc, /2026-11-25 20:00 UTC, git abcdef0/);
  assert.match(doc, /CUDA execution provider/);
  assert.match(doc, /\.\.\/bench\/results\/peers\/quick\/cdf-mobilenetv2-int8-c1\.svg/);
  assert.match(renderBenchmarksDoc([]), /No peer scenario has been run yet/);
});
