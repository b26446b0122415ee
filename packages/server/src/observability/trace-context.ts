import { randomFillSync } from 'node:crypto';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for one request: the caller's `traceparent` (validated
 * strictly; a bad one is ignored, never an error) and the server span this request gets, which every response names
 * in its own `traceparent`.
 */
export interface TraceContext {
  /** 32 lowercase hex digits: the caller's trace, or a fresh one. */
  readonly traceId: string;
  /** 16 lowercase hex digits: the server span of this request (new for every request). */
  readonly spanId: string;
  /** The caller's span (the parent of the server span); undefined for a fresh trace. */
  readonly parentSpanId: string | undefined;
  /** Whether the server span is recorded and exported. */
  readonly sampled: boolean;
  /** The caller's `tracestate`, when valid. */
  readonly traceState: string | undefined;
}

export interface ParsedTraceparent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
// tracestate list members: `key=value`, key per the spec's simple or multi-tenant form, value printable without , and =.
const TRACESTATE_MEMBER =
  /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * The caller's `traceparent`, or undefined when absent or invalid: version `ff`, all-zero ids, upper-case hex, a
 * version-00 header with trailing data, or anything not matching the grammar. Future versions are read by their
 * version-00 prefix, as the spec asks.
 */
export function parseTraceparent(value: unknown): ParsedTraceparent | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** The caller's `tracestate` when it is a valid list of at most 32 members (512 characters), else undefined. */
export function parseTracestate(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) return undefined;
  const members = value
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  if (members.length === 0 || members.length > 32 || !members.every((m) => TRACESTATE_MEMBER.test(m))) return undefined;
  const keys = members.map((m) => m.slice(0, m.indexOf('=')));
  if (new Set(keys).size !== keys.length) return undefined;
  return members.join(',');
}

/** `00-<trace id>-<server span id>-<01|00>`: what every response carries. */
export function formatTraceparent(context: Pick<TraceContext, 'traceId' | 'spanId' | 'sampled'>): string {
  return `00-${context.traceId}-${context.spanId}-${context.sampled ? '01' : '00'}`;
}

/**
 * The server span of a request: a child of the caller's `traceparent` when valid (same trace id, caller's sampled
 * flag followed), else the root of a fresh trace, sampled with probability `sampleRatio` when `recording`. Without
 * recording (no exporter) the caller's flag is passed on and fresh traces are not sampled.
 */
export function startTrace(
  traceparent: unknown,
  tracestate: unknown,
  options: { recording: boolean; sampleRatio: number; parentBased?: boolean },
): TraceContext {
  const parent = parseTraceparent(traceparent);
  const spanId = randomId(8, ZERO_SPAN);
  const sampled = options.recording && options.sampleRatio > 0 && Math.random() < options.sampleRatio;
  if (parent) {
    // parentBased (the default) follows the caller's flag; otherwise the server's own decision stands.
    const follow = options.parentBased ?? true;
    return Object.freeze({
      traceId: parent.traceId,
      spanId,
      parentSpanId: parent.spanId,
      sampled: follow ? parent.sampled : sampled,
      traceState: parseTracestate(tracestate),
    });
  }
  return Object.freeze({
    traceId: randomId(16, ZERO_TRACE),
    spanId,
    parentSpanId: undefined,
    sampled,
    traceState: undefined,
  });
}

/** CSPRNG bytes drawn 4 KiB at a time: one randomFillSync per ~170 requests instead of two per request. */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** A random id of `bytes` bytes as lowercase hex, never all zero (invalid in W3C Trace Context). */
export function randomId(bytes: 8 | 16, zero = '0'.repeat(bytes * 2)): string {
  for (;;) {
    if (poolAt + bytes > pool.length) {
      randomFillSync(pool);
      poolAt = 0;
    }
    const id = pool.toString('hex', poolAt, (poolAt += bytes));
    if (id !== zero) return id;
  }
}
