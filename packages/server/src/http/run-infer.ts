import type { FastifyReply, FastifyRequest } from 'fastify';
import { TachyonError } from '@tachyon/protocol';
import { infer } from '../inference/infer.js';
import { formatServerTiming, type InferRequest, type InferResponse } from '../inference/infer-types.js';
import type { HttpServerState } from './fastify-types.js';

/**
 * Every HTTP protocol's way into the one `infer()`: applies the per-request limits, the caller's deadline
 * (`x-request-timeout-ms`, counted from arrival) and sets `Server-Timing` on the reply.
 */
export async function runInfer(state: HttpServerState, request: FastifyRequest, reply: FastifyReply, inferRequest: InferRequest): Promise<InferResponse> {
  const { receivedAt, deadline, timeoutMs } = request.tachyon;
  if (deadline !== undefined && performance.now() >= deadline) throw deadlineError(timeoutMs!);
  const work = infer(state.host, inferRequest, { maxImagesPerRequest: state.config.maxImagesPerRequest }, receivedAt);
  const response = deadline === undefined ? await work : await withDeadline(work, deadline, timeoutMs!);
  void reply.header('server-timing', formatServerTiming(response.timings));
  return response;
}

// infer() cannot be cancelled yet (the scheduler will drop expired work); the caller gets its answer at the deadline.
async function withDeadline<T>(work: Promise<T>, deadline: number, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    const fail = () => reject(deadlineError(timeoutMs));
    const left = deadline - performance.now();
    if (left <= 0) fail();
    else timer = setTimeout(fail, left);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}

function deadlineError(timeoutMs: number): TachyonError {
  return new TachyonError('TCH_ERR_DEADLINE_EXCEEDED', `The request did not complete within its deadline of ${timeoutMs} ms.`, { details: { timeoutMs } });
}
