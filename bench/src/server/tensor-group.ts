// Issue 15 (a): the identity tensor model (FP32 [1, 4] -> same) over KServe v2 HTTP JSON from tachyon, against its
// floor measured in the same run: a plain fastify handler echoing the same JSON (server child) + the bare worker
// round trip (an EchoWorker in this process: postMessage there and back, no model) + 50 µs.
import type { Contender } from '../measure.js';
import { EchoWorker } from '../worker-roundtrip.js';
import { IDENTITY_SERVICE } from './child-protocol.js';
import type { HttpTarget } from './http-target.js';
import { identityRequestBody } from './identity-model.js';
import { measure, timingMedians, type GroupResult, type GroupSettings } from './server-scenarios.js';

export const TENSOR_NAMES = Object.freeze({
  tachyon: `kserve/tachyon-http-json/${IDENTITY_SERVICE}`,
  plainEcho: `kserve/plain-fastify-echo/${IDENTITY_SERVICE}`,
  workerRoundTrip: 'kserve/bare-worker-roundtrip',
});

/** What (a) allows above the two floors, in milliseconds. */
export const TENSOR_SLACK_MS = 0.05;

export async function runTensorGroup(
  targets: { tachyon: HttpTarget; plain: HttpTarget },
  settings: GroupSettings,
): Promise<GroupResult> {
  const n = TENSOR_NAMES;
  const body = identityRequestBody();
  const path = `/v2/models/${IDENTITY_SERVICE}/infer`;
  const echo = new EchoWorker();
  try {
    const contenders: Contender[] = [
      { name: n.tachyon, call: () => targets.tachyon.request('POST', path, body, 'application/json') },
      { name: n.plainEcho, call: () => targets.plain.request('POST', path, body, 'application/json') },
      { name: n.workerRoundTrip, call: () => echo.roundTrip(new Float32Array(4), false) },
    ];
    const meta = {
      [n.tachyon]: {
        side: 'tachyon' as const,
        description:
          'POST {"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[...]}]} to /v2/models/identity/infer: auth, request id, JSON decode and checks, scheduler, worker-thread session.run of the Identity graph, JSON answer, Server-Timing, request log',
      },
      [n.plainEcho]: {
        side: 'peer' as const,
        description:
          'POST the same JSON to a plain fastify handler (server child) that answers the KServe v2 response with the input tensor echoed: the HTTP + JSON floor',
      },
      [n.workerRoundTrip]: {
        side: 'peer' as const,
        description:
          'in this process: postMessage of a 4-float input to a bare worker thread and its 1000-float reply (transferred) back, no model: the worker-hop floor',
      },
    };
    targets.tachyon.serverTimings.length = 0;
    const { rows, machine } = await measure('identity over KServe v2 HTTP JSON', contenders, meta, settings);
    return { rows, machine, serverTiming: { [n.tachyon]: timingMedians(targets.tachyon.serverTimings) } };
  } finally {
    await echo.close();
  }
}
