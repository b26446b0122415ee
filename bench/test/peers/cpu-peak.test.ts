import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeCpuPeak, describePeak, parseCpuinfo, parseLscpuMaxMHz, readCpuPeak } from '../../src/peers/cpu-peak.js';

const cpuinfo = (vendor: string, family: number, mhz: number, flags: string) =>
  [0, 1]
    .map(
      (i) =>
        `processor\t: ${i}\nvendor_id\t: ${vendor}\ncpu family\t: ${family}\nmodel name\t: Test CPU\ncpu MHz\t\t: ${mhz}\nflags\t\t: fpu sse2 ${flags}\n`,
    )
    .join('\n');

test('parseCpuinfo reads the first block and counts processors', () => {
  const info = parseCpuinfo(cpuinfo('GenuineIntel', 6, 2000.5, 'avx2 fma'));
  assert.equal(info.model, 'Test CPU');
  assert.equal(info.vendor, 'GenuineIntel');
  assert.equal(info.family, 6);
  assert.equal(info.mhz, 2000.5);
  assert.equal(info.processors, 2);
  assert.ok(info.flags.has('avx2') && info.flags.has('fma') && !info.flags.has('avx512f'));
});

test('lscpu max MHz wins over /proc/cpuinfo when present', () => {
  assert.equal(parseLscpuMaxMHz('Model name: X\nCPU max MHz:                     3500.0000\n'), 3500);
  assert.equal(parseLscpuMaxMHz('Model name: X\n'), undefined);
  const peak = computeCpuPeak(cpuinfo('GenuineIntel', 6, 2000, 'avx2 fma'), 'CPU max MHz: 3000.0000\n', 4);
  assert.equal(peak.clockMHz, 3000);
  assert.equal(peak.clockSource, 'lscpu max MHz');
});

test('AVX2 without VNNI: 32 fp32 ops/cycle and twice that for int8', () => {
  const peak = computeCpuPeak(cpuinfo('GenuineIntel', 6, 2000, 'avx2 fma'), '', 4);
  assert.equal(peak.datapathBits, 256);
  assert.equal(peak.fp32OpsPerCycle, 32);
  assert.equal(peak.int8OpsPerCycle, 64);
  assert.equal(peak.fp32PeakOpsPerSecond, 4 * 2e9 * 32);
  assert.match(peak.int8Instruction, /no VNNI/);
});

test('Intel AVX-512 VNNI: 512-bit datapath, 4 MACs per 32-bit lane for int8', () => {
  const peak = computeCpuPeak(cpuinfo('GenuineIntel', 6, 2500, 'avx2 fma avx512f avx512_vnni'), '', 2);
  assert.equal(peak.datapathBits, 512);
  assert.equal(peak.fp32OpsPerCycle, 64);
  assert.equal(peak.int8OpsPerCycle, 256);
  assert.equal(peak.int8PeakOpsPerSecond, 2 * 2.5e9 * 256);
});

test('AMD Zen 4 splits 512-bit ops: the datapath is 256 bits and a note says so', () => {
  const peak = computeCpuPeak(cpuinfo('AuthenticAMD', 25, 2596.138, 'avx2 fma avx512f avx512_vnni'), '', 2);
  assert.equal(peak.isaVectorBits, 512);
  assert.equal(peak.datapathBits, 256);
  assert.equal(peak.int8OpsPerCycle, 128);
  assert.ok(peak.notes.some((n) => /Zen 4/.test(n)));
  const line = describePeak(peak, 'int8');
  assert.match(line, /2 cores x 2\.596 GHz/);
  assert.match(line, /128 ops\/cycle/);
  assert.match(line, /avx512_vnni/);
});

test('a bad core count is a RangeError naming the argument', () => {
  assert.throws(() => computeCpuPeak(cpuinfo('GenuineIntel', 6, 2000, 'avx2'), '', 0), /cores/);
});

test('readCpuPeak describes this machine with positive peaks', () => {
  const peak = readCpuPeak();
  assert.ok(peak.cores >= 1);
  assert.ok(peak.clockMHz > 0);
  assert.ok(peak.int8PeakOpsPerSecond >= peak.fp32PeakOpsPerSecond);
});
