import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { TachyonError } from '@tachyon-serve/protocol';

/** A service's two keys; either works, so one can be rotated while clients still use the other. */
export interface ServiceKeys {
  primary: string;
  secondary: string;
}

/** 256 random bits, base64url. */
export function generateKey(): string {
  return randomBytes(32).toString('base64url');
}

export function generateServiceKeys(): ServiceKeys {
  return { primary: generateKey(), secondary: generateKey() };
}

/**
 * Checks an `Authorization` header value (`Bearer <key>`) against the accepted keys in constant time: both sides are
 * hashed to 32 bytes first, so neither the key's length nor its content leaks through timing. Never logs keys.
 */
export function checkBearer(header: string | undefined, accepted: readonly string[]): void {
  if (header === undefined || header === '') {
    throw new TachyonError('TCH_ERR_AUTH_MISSING', 'The request carries no "Authorization: Bearer <key>" header.');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const given = digest(match?.[1] ?? '');
  let ok = false;
  for (const key of accepted) ok = timingSafeEqual(given, acceptedDigest(key)) || ok;
  if (!match || !ok) throw new TachyonError('TCH_ERR_AUTH_INVALID', 'The key is not valid for this service.');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Digests of the accepted keys, computed once per key (a server holds a few; the cap only guards against misuse). */
const acceptedDigests = new Map<string, Buffer>();
const MAX_CACHED_DIGESTS = 4096;

function acceptedDigest(key: string): Buffer {
  let d = acceptedDigests.get(key);
  if (d === undefined) {
    if (acceptedDigests.size >= MAX_CACHED_DIGESTS) acceptedDigests.clear();
    acceptedDigests.set(key, (d = digest(key)));
  }
  return d;
}
