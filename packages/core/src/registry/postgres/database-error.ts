import { TachyonError } from '@tachyon-serve/protocol';

/**
 * Wraps a driver or server failure as TCH_ERR_REGISTRY_DATABASE_FAILED. The message names the registry by its
 * credential-free URL and gives the driver's reason with every known secret blanked out.
 */
export function databaseError(
  registry: string,
  action: string,
  cause: unknown,
  secrets: readonly string[] = [],
): Error {
  if (cause instanceof TachyonError || cause instanceof TypeError || cause instanceof RangeError) return cause;
  const reason = scrub(describe(cause), secrets);
  const pgCode = (cause as { code?: unknown } | null)?.code;
  return new TachyonError(
    'TCH_ERR_REGISTRY_DATABASE_FAILED',
    `PostgreSQL registry "${registry}" failed to ${action}: ${reason}.`,
    {
      details: { registry, action, reason, ...(typeof pgCode === 'string' ? { pgCode } : {}) },
      cause,
    },
  );
}

function describe(cause: unknown): string {
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    // node's happy-eyeballs connect reports one error per address and an empty message on the aggregate
    return [...new Set(cause.errors.map(describe))].join('; ');
  }
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    const message = cause.message.trim().replace(/\.$/, '');
    if (message !== '') return message;
    return typeof code === 'string' ? code : cause.name;
  }
  return String(cause);
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}
