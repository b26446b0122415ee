import { PRIORITY_HEADER, TachyonError } from '@tachyon-serve/protocol';
import type { Priority } from '../scheduler/scheduler-options.js';

/** The HTTP header (and gRPC metadata key) every protocol accepts a priority in. */
export { PRIORITY_HEADER };

/**
 * A request's priority from the wire: `high` / `normal`, or Triton's numbers (1 = highest, so `high`; 0 = the
 * default level; 2 and above = `normal`). Undefined stays undefined (the scheduler's default, `normal`).
 */
export function parsePriority(value: unknown, where: string): Priority | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (text === 'high' || text === 1 || text === '1') return 'high';
  if (text === 'normal' || text === 0 || text === '0') return 'normal';
  if (
    (typeof text === 'number' && Number.isSafeInteger(text) && text > 1) ||
    (typeof text === 'string' && /^[2-9]\d{0,9}$/.test(text))
  )
    return 'normal';
  throw new TachyonError(
    'TCH_ERR_INFER_INVALID',
    `${where} must be "high", "normal" or a priority level (1 = highest), got ${JSON.stringify(value)}.`,
    {
      details: { priority: String(value) },
    },
  );
}
