// Issue 15 (c): ResNet-50 int8 (random weights, bench/models) JPEG -> top-5 over HTTP at 1 client against
// onnxruntime in this process with the same preprocessing (tachyon's preprocessImage), and the A/B of onnxruntime's
// intra-op spinning: a second tachyon server child started with TACHYON_INTRA_OP_SPINNING=1 (onnxruntime's own
// default), the in-process peer with and without spinning, and a closed-loop throughput A/B at several clients.
import { presetByName, type ServedModel } from '@tachyon-serve/core';
import type { Contender } from '../measure.js';
import { round } from '../stats.js';
import { RESNET_SERVICE } from './child-protocol.js';
import type { HttpTarget } from './http-target.js';
import { tachyonPreprocessor, type RawPeerClassifier } from './raw-peer.js';
import { measure, timingMedians, type GroupResult, type GroupSettings } from './server-scenarios.js';

export const RESNET_NAMES = Object.freeze({
  tachyonHttp: `resnet/tachyon-http/${RESNET_SERVICE}`,
  tachyonHttpSpinning: `resnet/tachyon-http-spinning/${RESNET_SERVICE}`,
  peer: `resnet/raw-ort-tachyon-preprocess/${RESNET_SERVICE}`,
  peerSpinning: `resnet/raw-ort-tachyon-preprocess-spinning/${RESNET_SERVICE}`,
  tachyonInProcess: `resnet/tachyon-inprocess/${RESNET_SERVICE}`,
});

const CLASSIFY = `/v1/services/${RESNET_SERVICE}/classify`;

export async function runResnetGroup(
  targets: { tachyon: HttpTarget; spinning?: HttpTarget | undefined },
  peers: { peer: RawPeerClassifier; peerSpinning?: RawPeerClassifier | undefined; inProcess?: ServedModel | undefined },
  jpeg: Uint8Array,
  settings: GroupSettings,
): Promise<GroupResult> {
  const n = RESNET_NAMES;
  const pre = tachyonPreprocessor(presetByName('torchvision224'));
  const contenders: Contender[] = [
    { name: n.tachyonHttp, call: () => targets.tachyon.request('POST', CLASSIFY, jpeg) },
    { name: n.peer, call: () => peers.peer.classify(jpeg, 5, pre) },
  ];
  const spinning = targets.spinning;
  if (spinning) contenders.push({ name: n.tachyonHttpSpinning, call: () => spinning.request('POST', CLASSIFY, jpeg) });
  const peerSpinning = peers.peerSpinning;
  if (peerSpinning) contenders.push({ name: n.peerSpinning, call: () => peerSpinning.classify(jpeg, 5, pre) });
  const inProcess = peers.inProcess;
  if (inProcess) contenders.push({ name: n.tachyonInProcess, call: () => inProcess.classifyImage(jpeg, 5) });
  const meta = {
    [n.tachyonHttp]: {
      side: 'tachyon' as const,
      description:
        'POST the JPEG to /v1/services/resnet50-int8/classify on the server child (tachyon defaults: intra-op spinning off), read and parse the top-5 JSON',
    },
    [n.tachyonHttpSpinning]: {
      side: 'tachyon' as const,
      description:
        "the same on a second server child started with TACHYON_INTRA_OP_SPINNING=1 (onnxruntime's default: intra-op threads spin): the A/B of the fix",
    },
    [n.peer]: {
      side: 'peer' as const,
      description:
        "in this process: tachyon's preprocessImage (torchvision224), InferenceSession.run with tachyon's session options (intra-op threads = cores, spinning off), softmax + top-5: the floor of issue 15 (c)",
    },
    [n.peerSpinning]: {
      side: 'peer' as const,
      description: "the same peer with onnxruntime's default intra-op spinning (what the floor was before the fix)",
    },
    [n.tachyonInProcess]: {
      side: 'tachyon' as const,
      description:
        'in this process: ServedModel.classifyImage(jpeg, 5) (worker-thread backend, tachyon defaults): tachyon without HTTP',
    },
  };
  targets.tachyon.serverTimings.length = 0;
  if (spinning) spinning.serverTimings.length = 0;
  const { rows, machine } = await measure('resnet50-int8 e2e', contenders, meta, settings);
  return {
    rows,
    machine,
    serverTiming: {
      [n.tachyonHttp]: timingMedians(targets.tachyon.serverTimings),
      ...(spinning ? { [n.tachyonHttpSpinning]: timingMedians(spinning.serverTimings) } : {}),
    },
  };
}

export interface ThroughputAb {
  clients: number;
  blockSeconds: number;
  blocks: number;
  /** Requests per second per side, each block's figure in measurement order, and the median over blocks. */
  sides: { name: string; perBlock: number[]; median: number; errors: number }[];
}

/**
 * Closed-loop throughput A/B: `clients` connections per side, each sending its next request when the last
 * answered; the sides take turns in `blocks` blocks of `blockSeconds` (100 ms pause between blocks).
 */
export async function runThroughputAb(
  sides: { name: string; targets: HttpTarget[] }[],
  jpeg: Uint8Array,
  options: { blockSeconds: number; blocks: number; log: (m: string) => void },
): Promise<ThroughputAb> {
  const out = sides.map((s) => ({ name: s.name, perBlock: [] as number[], median: 0, errors: 0 }));
  for (let b = 0; b < options.blocks; b++) {
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(i + b) % sides.length]!;
      const record = out.find((o) => o.name === side.name)!;
      await new Promise((r) => setTimeout(r, 100));
      await Promise.all(side.targets.map((t) => t.request('POST', CLASSIFY, jpeg)));
      const end = performance.now() + options.blockSeconds * 1000;
      const started = performance.now();
      let done = 0;
      await Promise.all(
        side.targets.map(async (t) => {
          while (performance.now() < end) {
            try {
              await t.request('POST', CLASSIFY, jpeg);
              done++;
            } catch {
              record.errors++;
            }
          }
        }),
      );
      record.perBlock.push(round(done / ((performance.now() - started) / 1000), 1));
    }
    options.log(`throughput A/B: block ${b + 1}/${options.blocks}`);
  }
  for (const o of out) {
    const sorted = [...o.perBlock].sort((x, y) => x - y);
    o.median = sorted[Math.floor(sorted.length / 2)]!;
  }
  return {
    clients: sides[0]?.targets.length ?? 0,
    blockSeconds: options.blockSeconds,
    blocks: options.blocks,
    sides: out,
  };
}
