// The two groups of bench:server (issue 5, "Tests and benchmark"):
//  (a) serving overhead: tachyon serving a near no-op model over HTTP vs a plain fastify handler doing the same work,
//      with the bare HTTP floor (fixed answer, ready route) as context;
//  (b) MobileNetV2 int8 end to end: JPEG -> top-5 over HTTP from tachyon vs sharp + onnxruntime-node in-process.
import { presetByName, type ServedModel } from '@tachyon-serve/core';
import type { Contender } from '../measure.js';
import { median, quantile, round } from '../stats.js';
import { toRow, type LatencyRow, type MachineDuringRun } from './bench-common.js';
import { parseServerTiming, type HttpTarget } from './http-target.js';
import { measureInterleavedWithChild } from './measure-with-child.js';
import { tachyonPreprocessor, type RawPeerClassifier } from './raw-peer.js';
import { MOBILENET_SERVICE, NOOP_SERVICE } from './child-protocol.js';

export interface GroupResult {
  rows: LatencyRow[];
  machine: MachineDuringRun;
  /** Median of each Server-Timing component (ms) over tachyon's answers, per scenario, and `total_p99`. */
  serverTiming: Record<string, Record<string, number>>;
}

export interface GroupSettings {
  iterations: number;
  blocks: number;
  switchPauseMs: number;
  /** The server child (or children): their CPU counts as the benchmark's own. */
  childPid: number | readonly number[] | undefined;
  log: (message: string) => void;
}

export const OVERHEAD_NAMES = Object.freeze({
  tachyonNoop: `http/tachyon/${NOOP_SERVICE}/classify`,
  plainNoop: `http/plain-fastify/${NOOP_SERVICE}/classify`,
  plainNoopSamePreprocess: `http/plain-fastify-tachyon-preprocess/${NOOP_SERVICE}/classify`,
  plainStatic: 'http/plain-fastify/static',
  tachyonReady: 'http/tachyon/health-ready',
  plainReady: 'http/plain-fastify/health-ready',
});

export const E2E_NAMES = Object.freeze({
  tachyonHttp: `e2e/tachyon-http/${MOBILENET_SERVICE}`,
  peer: `e2e/raw-ort-sharp/${MOBILENET_SERVICE}`,
  samePreprocessPeer: `e2e/raw-ort-tachyon-preprocess/${MOBILENET_SERVICE}`,
  tachyonInProcess: `e2e/tachyon-inprocess/${MOBILENET_SERVICE}`,
  plainWorker: `e2e/plain-fastify-worker/${MOBILENET_SERVICE}`,
});

export function timingMedians(headers: readonly string[]): Record<string, number> {
  const parsed = headers.map(parseServerTiming);
  const keys = [...new Set(parsed.flatMap((p) => Object.keys(p)))];
  const out: Record<string, number> = Object.fromEntries(
    keys.map((k) => [k, round(median(parsed.map((p) => p[k]!).filter((v) => Number.isFinite(v))), 4)]),
  );
  // The server's own tail: a client p99 far above it is spent outside the handler (HTTP, scheduling, the client).
  const totals = parsed
    .map((p) => p['total']!)
    .filter((v) => Number.isFinite(v))
    .sort((a, b) => a - b);
  if (totals.length > 0) out['total_p99'] = round(quantile(totals, 0.99), 4);
  return out;
}

export async function measure(
  group: string,
  contenders: Contender[],
  meta: Record<string, { side: 'tachyon' | 'peer'; description: string }>,
  settings: GroupSettings,
): Promise<{ rows: LatencyRow[]; machine: MachineDuringRun }> {
  const started = Date.now();
  settings.log(
    `${group}: ${contenders.length} scenarios x ${settings.iterations} calls in ${settings.blocks} alternating blocks`,
  );
  const { results, machine } = await measureInterleavedWithChild(
    contenders,
    {
      iterations: settings.iterations,
      blocks: settings.blocks,
      warmup: Math.min(50, Math.max(5, Math.ceil(settings.iterations / 20))),
      blockWarmup: 2,
      switchPauseMs: settings.switchPauseMs,
      onBlock: (r, n) => {
        if (r % 5 === 0 || r === n)
          settings.log(`${group}: block ${r}/${n} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      },
    },
    settings.childPid,
  );
  settings.log(
    `${group}: other processes used ${machine.cpu?.otherCores ?? '?'} cores; ${machine.retriedRounds} round(s) retried, ${machine.contendedRoundsKept} kept contended`,
  );
  return { rows: results.map((s) => toRow(s, results, meta[s.name]!, machine)), machine };
}

/** (a): every contender is one HTTP call on its own keep-alive connection to the server child. */
export async function runOverheadGroup(
  targets: { tachyon: HttpTarget; plain: HttpTarget },
  tinyJpeg: Uint8Array,
  settings: GroupSettings,
): Promise<GroupResult> {
  const n = OVERHEAD_NAMES;
  const contenders: Contender[] = [
    {
      name: n.tachyonNoop,
      call: () => targets.tachyon.request('POST', `/v1/services/${NOOP_SERVICE}/classify`, tinyJpeg),
    },
    { name: n.plainNoop, call: () => targets.plain.request('POST', '/classify', tinyJpeg) },
    {
      name: n.plainNoopSamePreprocess,
      call: () => targets.plain.request('POST', '/classify-tachyon-preprocess', tinyJpeg),
    },
    { name: n.plainStatic, call: () => targets.plain.request('POST', '/static', tinyJpeg) },
    { name: n.tachyonReady, call: () => targets.tachyon.request('GET', '/v2/health/ready') },
    { name: n.plainReady, call: () => targets.plain.request('GET', '/v2/health/ready') },
  ];
  const meta = {
    [n.tachyonNoop]: {
      side: 'tachyon' as const,
      description:
        'POST 8x8 JPEG to /v1/services/noop/classify: auth, request id, decode, worker-thread session.run of the no-op model, top-5, Server-Timing, request log',
    },
    [n.plainNoop]: {
      side: 'peer' as const,
      description:
        'POST the same JPEG to a plain fastify handler: sharp decode + JS normalize + onnxruntime-node run of the same no-op model in the handler + softmax/top-5',
    },
    [n.plainNoopSamePreprocess]: {
      side: 'peer' as const,
      description:
        "the same plain handler with tachyon's preprocessImage (libjpeg-turbo decode) in place of its sharp code: tachyon's serving cost without the decoder's gain",
    },
    [n.plainStatic]: {
      side: 'peer' as const,
      description:
        'POST the same JPEG to a plain fastify handler answering a fixed JSON of the same shape (the HTTP floor)',
    },
    [n.tachyonReady]: {
      side: 'tachyon' as const,
      description: "GET tachyon's /v2/health/ready (hooks, routing, logging; no model)",
    },
    [n.plainReady]: { side: 'peer' as const, description: 'GET a plain fastify route answering {"ready": true}' },
  };
  targets.tachyon.serverTimings.length = 0;
  const { rows, machine } = await measure('serving overhead', contenders, meta, settings);
  return { rows, machine, serverTiming: { [n.tachyonNoop]: timingMedians(targets.tachyon.serverTimings) } };
}

const tachyonPreprocess = tachyonPreprocessor(presetByName('torchvision224'));

/**
 * (b): tachyon over HTTP (server child) vs the peer in this process, and vs the same peer with tachyon's
 * preprocessing (separates the faster JPEG decode from the serving cost); tachyon's in-process pipeline as context.
 */
export async function runEndToEndGroup(
  tachyon: HttpTarget,
  plain: HttpTarget | undefined,
  peer: RawPeerClassifier,
  inProcess: ServedModel | undefined,
  jpeg: Uint8Array,
  settings: GroupSettings,
): Promise<GroupResult> {
  const n = E2E_NAMES;
  const contenders: Contender[] = [
    { name: n.tachyonHttp, call: () => tachyon.request('POST', `/v1/services/${MOBILENET_SERVICE}/classify`, jpeg) },
    { name: n.peer, call: () => peer.classify(jpeg, 5) },
    { name: n.samePreprocessPeer, call: () => peer.classify(jpeg, 5, tachyonPreprocess) },
  ];
  if (plain) contenders.push({ name: n.plainWorker, call: () => plain.request('POST', '/classify-worker', jpeg) });
  if (inProcess) contenders.push({ name: n.tachyonInProcess, call: () => inProcess.classifyImage(jpeg, 5) });
  const meta = {
    [n.tachyonHttp]: {
      side: 'tachyon' as const,
      description:
        'POST the JPEG to /v1/services/mobilenetv2-int8/classify on the server child, read and parse the top-5 JSON',
    },
    [n.peer]: {
      side: 'peer' as const,
      description:
        "in this process: sharp decode + resize (short side 256, linear) + JS centre crop 224 and normalize, onnxruntime-node run (tachyon's session options), softmax + top-5",
    },
    [n.samePreprocessPeer]: {
      side: 'peer' as const,
      description:
        "in this process: the peer with tachyon's preprocessImage (libjpeg-turbo decode, torchvision224) in place of its sharp code: what is left of (b) is serving cost alone",
    },
    [n.plainWorker]: {
      side: 'peer' as const,
      description:
        "POST the JPEG to a plain fastify handler on the server child: tachyon's preprocessImage in the handler, onnxruntime-node (tachyon's session options) in one worker thread (postMessage, buffers transferred), softmax + top-5: the floor of issue 15 (b)",
    },
    [n.tachyonInProcess]: {
      side: 'tachyon' as const,
      description:
        'in this process: ServedModel.classifyImage(jpeg, 5): the engine the server runs, tachyon without HTTP (context: splits the HTTP cost from the pipeline cost)',
    },
  };
  tachyon.serverTimings.length = 0;
  const { rows, machine } = await measure('mobilenetv2-int8 e2e', contenders, meta, settings);
  return { rows, machine, serverTiming: { [n.tachyonHttp]: timingMedians(tachyon.serverTimings) } };
}
