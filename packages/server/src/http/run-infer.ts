import type { FastifyReply, FastifyRequest } from 'fastify';
import { SERVER_TIMING_HEADER, TachyonError, isTachyonError } from '@tachyon-serve/protocol';
import { PRIORITY_HEADER, infer, parsePriority, type InferRequest, type InferResponse } from '@tachyon-serve/core';
import { formatServerTiming } from '../codec/server-timing.js';
import type { HttpServerState } from './fastify-types.js';

/**
 * Every HTTP protocol's way into the one `infer()`: applies the per-request limits, the caller's deadline
 * (`x-request-timeout-ms`, counted from arrival) and sets `Server-Timing` on the reply.
 */
export async function runInfer(
  state: HttpServerState,
  request: FastifyRequest,
  reply: FastifyReply,
  inferRequest: InferRequest,
): Promise<InferResponse> {
  const { receivedAt, deadline, timeoutMs } = request.tachyon;
  inferRequest.priority ??= parsePriority(request.headers[PRIORITY_HEADER], `Header "${PRIORITY_HEADER}"`);
  if (deadline !== undefined && performance.now() >= deadline) throw deadlineError(timeoutMs!);
  // The model's scheduler drops the request at its deadline if still queued; the race covers decoding and running.
  // Whichever notices the deadline first (the scheduler or the timer below), the caller gets the same error: the
  // deadline it set, in ms.
  const work = infer(
    state.host,
    inferRequest,
    { maxImagesPerRequest: state.config.maxImagesPerRequest },
    { receivedAt, deadline },
  ).catch((error: unknown) => {
    throw timeoutMs !== undefined && isTachyonError(error, 'TCH_ERR_DEADLINE_EXCEEDED')
      ? deadlineError(timeoutMs, error)
      : error;
  });
  const response = deadline === undefined ? await work : await withDeadline(work, deadline, timeoutMs!);
  // A busy event loop can fire the timer late: an answer ready after the deadline is still a deadline error.
  if (deadline !== undefined && performance.now() > deadline) throw deadlineError(timeoutMs!);
  void reply.header(SERVER_TIMING_HEADER, formatServerTiming(response.timings, response.batchRows));
  request.tachyon.timings = response.timings;
  return response;
}

// The caller gets its answer at the deadline whatever stage the request is in.
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

function deadlineError(timeoutMs: number, cause?: unknown): TachyonError {
  return new TachyonError(
    'TCH_ERR_DEADLINE_EXCEEDED',
    `The request did not complete within its deadline of ${timeoutMs} ms.`,
    { details: { timeoutMs }, cause },
  );
}
