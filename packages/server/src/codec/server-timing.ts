import type { ServerTimings } from '@tachyon-serve/core';

/**
 * `Server-Timing: queue;dur=0.01, preprocess;dur=1.2, compute;dur=2.9, postprocess;dur=0.05, total;dur=4.3, batch;desc="4"`
 * (batch: rows of the session call the request ran in).
 */
export function formatServerTiming(t: ServerTimings, batchRows?: number): string {
  const f = (ms: number) => ms.toFixed(3);
  const batch = batchRows === undefined ? '' : `, batch;desc="${batchRows}"`;
  return `queue;dur=${f(t.queueMs)}, preprocess;dur=${f(t.preprocessMs)}, compute;dur=${f(t.computeMs)}, postprocess;dur=${f(t.postprocessMs)}, total;dur=${f(t.totalMs)}${batch}`;
}
