// This CPU's peak arithmetic rate per dtype, from /proc/cpuinfo (vector extensions, vendor, family, clock) and the
// core count, with every input of the figure kept so that a reader can check it (issue 9, item 2b).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** What the peak figure is made of; printed next to it. */
export interface CpuPeak {
  cpuModel: string;
  vendor: string;
  family: number | undefined;
  cores: number;
  /** Clock used for the peak, MHz, and where it came from. */
  clockMHz: number;
  clockSource: 'lscpu max MHz' | '/proc/cpuinfo cpu MHz' | 'os.cpus()';
  /** The vector extensions found among the flags (avx2, fma, avx512f, avx512_vnni, avx_vnni, avx512_bf16). */
  flags: string[];
  /** Width of one vector FMA instruction as the ISA sees it, and as the core executes it (AMD Zen 4 splits 512-bit ops in two 256-bit halves). */
  isaVectorBits: number;
  datapathBits: number;
  /** Vector FMA pipes per core (assumed 2: every x86 server core since Haswell / Zen 1 has two). */
  fmaUnits: number;
  /** fp32: 2 ops (multiply + add) x (datapath / 32) lanes x fmaUnits. */
  fp32OpsPerCycle: number;
  /** int8: with VNNI, vpdpbusd does 4 multiply-adds per 32-bit lane: 8 ops x lanes x fmaUnits; without it, twice fp32 (vpmaddubsw + vpmaddwd). */
  int8OpsPerCycle: number;
  int8Instruction: string;
  /** cores x clock x ops per cycle, in ops per second. */
  fp32PeakOpsPerSecond: number;
  int8PeakOpsPerSecond: number;
  notes: string[];
}

const VECTOR_FLAGS = ['fma', 'avx2', 'avx512f', 'avx512_vnni', 'avx_vnni', 'avx512_bf16'] as const;

/** Reads the first processor block of `cpuinfo` (the text of /proc/cpuinfo). */
export function parseCpuinfo(cpuinfo: string): {
  model: string;
  vendor: string;
  family: number | undefined;
  mhz: number | undefined;
  flags: Set<string>;
  processors: number;
} {
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(cpuinfo)?.[1]?.trim();
  const family = field('cpu family');
  const mhz = field('cpu MHz');
  return {
    model: field('model name') ?? 'unknown',
    vendor: field('vendor_id') ?? 'unknown',
    family: family === undefined ? undefined : Number(family),
    mhz: mhz === undefined ? undefined : Number(mhz),
    flags: new Set((field('flags') ?? '').split(/\s+/).filter((f) => f !== '')),
    processors: (cpuinfo.match(/^processor\s*:/gm) ?? []).length,
  };
}

/** `CPU max MHz` of lscpu's output, when it reports one (VMs often do not). */
export function parseLscpuMaxMHz(lscpu: string): number | undefined {
  const m = /^CPU max MHz:\s*([\d.]+)/m.exec(lscpu);
  return m ? Number(m[1]) : undefined;
}

/** The peak figure from the texts of /proc/cpuinfo and lscpu and a core count (pure; see {@link readCpuPeak}). */
export function computeCpuPeak(cpuinfo: string, lscpu: string, cores: number): CpuPeak {
  if (!Number.isInteger(cores) || cores < 1) throw new RangeError(`cores: expected an integer >= 1, got ${cores}`);
  const info = parseCpuinfo(cpuinfo);
  const notes: string[] = [];
  const maxMHz = parseLscpuMaxMHz(lscpu);
  const clock =
    maxMHz !== undefined && maxMHz > 0
      ? { mhz: maxMHz, source: 'lscpu max MHz' as const }
      : info.mhz
        ? { mhz: info.mhz, source: '/proc/cpuinfo cpu MHz' as const }
        : undefined;
  if (clock === undefined) throw new RangeError('cpuinfo: neither lscpu nor /proc/cpuinfo gives a clock');
  if (clock.source !== 'lscpu max MHz')
    notes.push(
      'The clock is the one /proc/cpuinfo reports: a VM shows the nominal clock, and boost runs above it, so a fraction of peak over 100% means the cores ran faster than that clock.',
    );
  const has = (f: string) => info.flags.has(f);
  const isaVectorBits = has('avx512f') ? 512 : has('avx2') || has('avx') ? 256 : 128;
  // Zen 4 (AMD family 0x19 with AVX-512) executes each 512-bit op as two 256-bit halves; Zen 5 (0x1a) is full width.
  const splitAvx512 = info.vendor === 'AuthenticAMD' && info.family === 25 && isaVectorBits === 512;
  const datapathBits = splitAvx512 ? 256 : isaVectorBits;
  if (splitAvx512)
    notes.push(
      'AMD family 25 (Zen 4) runs 512-bit vector ops as two 256-bit halves: the datapath, not the ISA width, sets the peak.',
    );
  const fmaUnits = 2;
  notes.push(
    'Two vector FMA pipes per core are assumed (true of x86 server cores since Haswell and Zen 1; some Intel parts with AVX-512 have one 512-bit FMA pipe).',
  );
  const lanes32 = datapathBits / 32;
  const fp32OpsPerCycle = 2 * lanes32 * fmaUnits;
  const vnni = has('avx512_vnni') || has('avx_vnni');
  const int8OpsPerCycle = vnni ? 8 * lanes32 * fmaUnits : 2 * fp32OpsPerCycle;
  const int8Instruction = vnni
    ? `VNNI vpdpbusd (${has('avx512_vnni') ? 'avx512_vnni' : 'avx_vnni'}): 4 u8 x s8 multiply-adds per 32-bit lane`
    : 'no VNNI: vpmaddubsw + vpmaddwd, counted as twice the fp32 rate';
  const hz = clock.mhz * 1e6;
  return {
    cpuModel: info.model,
    vendor: info.vendor,
    family: info.family,
    cores,
    clockMHz: clock.mhz,
    clockSource: clock.source,
    flags: VECTOR_FLAGS.filter(has),
    isaVectorBits,
    datapathBits,
    fmaUnits,
    fp32OpsPerCycle,
    int8OpsPerCycle,
    int8Instruction,
    fp32PeakOpsPerSecond: cores * hz * fp32OpsPerCycle,
    int8PeakOpsPerSecond: cores * hz * int8OpsPerCycle,
    notes,
  };
}

/** The peak of this machine (Linux: /proc/cpuinfo and lscpu; elsewhere the clock of os.cpus() and no vector flags). */
export function readCpuPeak(): CpuPeak {
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    const c = cpus()[0];
    cpuinfo = `model name : ${c?.model ?? 'unknown'}\ncpu MHz : ${c?.speed ?? 0}\n`;
  }
  let lscpu = '';
  try {
    lscpu = execFileSync('lscpu', [], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch {
    // no lscpu: the clock comes from /proc/cpuinfo
  }
  return computeCpuPeak(cpuinfo, lscpu, cpus().length);
}

/** One line with the figure and its inputs, e.g. for a table footnote. */
export function describePeak(peak: CpuPeak, dtype: 'fp32' | 'int8'): string {
  const perCycle = dtype === 'int8' ? peak.int8OpsPerCycle : peak.fp32OpsPerCycle;
  const total = dtype === 'int8' ? peak.int8PeakOpsPerSecond : peak.fp32PeakOpsPerSecond;
  const how = dtype === 'int8' ? peak.int8Instruction : `FMA, ${peak.datapathBits / 32} fp32 lanes`;
  return (
    `${dtype} peak ${(total / 1e9).toFixed(0)} Gops/s = ${peak.cores} cores x ${(peak.clockMHz / 1000).toFixed(3)} GHz (${peak.clockSource}) x ${perCycle} ops/cycle ` +
    `(${peak.fmaUnits} pipes x ${peak.datapathBits}-bit datapath, ISA ${peak.isaVectorBits}-bit; ${how}; flags ${peak.flags.join(' ') || 'none'})`
  );
}
