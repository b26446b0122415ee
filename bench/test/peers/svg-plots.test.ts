import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeXml, latencyCdfSvg, logTicks, throughputSvg } from '../../src/peers/svg-plots.js';

test('logTicks gives 1-2-5 ticks inside the range', () => {
  assert.deepEqual(logTicks(0.8, 60), [1, 2, 5, 10, 20, 50]);
  assert.throws(() => logTicks(0, 10), RangeError);
});

test('latency CDF: one polyline per series, names escaped, ends at fraction 1', () => {
  const svg = latencyCdfSvg('a <b> & c', [
    { name: 'tachyon-http', samples: [5, 6, 7, 8, 30] },
    { name: 'pytorch & co', samples: [20, 25, 40] },
  ]);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 2);
  assert.ok(svg.includes('a &lt;b&gt; &amp; c'));
  assert.ok(svg.includes('pytorch &amp; co'));
  assert.ok(!svg.includes('NaN'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.throws(() => latencyCdfSvg('t', [{ name: 'x', samples: [] }]), RangeError);
});

test('throughput chart: a point per (series, level) and the levels as x labels', () => {
  const svg = throughputSvg('t', [
    {
      name: 'a',
      points: [
        { concurrency: 1, throughput: 50 },
        { concurrency: 16, throughput: 150 },
      ],
    },
    {
      name: 'b',
      points: [
        { concurrency: 1, throughput: 20 },
        { concurrency: 16, throughput: 25 },
      ],
    },
  ]);
  assert.equal((svg.match(/<circle /g) ?? []).length, 4);
  assert.ok(svg.includes('>16</text>'));
  assert.ok(!svg.includes('NaN'));
  assert.equal(escapeXml(`"'`), '&quot;&apos;');
});
