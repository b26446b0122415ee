import { TachyonError } from '@tachyon-serve/protocol';

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

/** True for a `postgres://` or `postgresql://` connection URL (the registry field of tachyon.json). */
export function isPostgresUrl(value: string): boolean {
  return POSTGRES_URL.test(value);
}

/**
 * The URL without its secrets, safe for messages and logs: the password of the user-info part and any
 * `password=` query parameter are dropped; everything else (user, host, socket folder, database) is kept.
 */
export function redactPostgresUrl(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url);
  const [, scheme = '', authority = '', rest = url] = match ?? [];
  const at = authority.lastIndexOf('@');
  const user = at === -1 ? '' : (authority.slice(0, at).split(':')[0] ?? '');
  const host = at === -1 ? authority : authority.slice(at + 1);
  const hash = rest.includes('#') ? rest.slice(rest.indexOf('#')) : '';
  const beforeHash = rest.slice(0, rest.length - hash.length);
  const q = beforeHash.indexOf('?');
  const path = q === -1 ? beforeHash : beforeHash.slice(0, q);
  const params =
    q === -1
      ? []
      : beforeHash
          .slice(q + 1)
          .split('&')
          .filter((p) => p !== '' && !/^password=/i.test(p));
  return `${scheme}${user === '' ? '' : `${user}@`}${host}${path}${params.length === 0 ? '' : `?${params.join('&')}`}${hash}`;
}

/** Validates the URL's form (not its reachability); returns the password in it, if any, so messages can omit it. */
export function checkPostgresUrl(url: unknown): { secrets: string[] } {
  if (typeof url !== 'string') throw new TypeError(`url must be a string, got ${typeof url}`);
  if (!isPostgresUrl(url)) {
    throw new TachyonError(
      'TCH_ERR_CONFIG_INVALID',
      `Registry URL "${redactPostgresUrl(url)}" is not a postgres:// or postgresql:// URL.`,
      {
        details: { url: redactPostgresUrl(url) },
      },
    );
  }
  const secrets: string[] = [];
  const authority = /^[^:]+:\/\/([^/?#]*)/.exec(url)?.[1] ?? '';
  const at = authority.lastIndexOf('@');
  if (at !== -1) {
    const colon = authority.indexOf(':');
    if (colon !== -1 && colon < at)
      secrets.push(authority.slice(colon + 1, at), safeDecode(authority.slice(colon + 1, at)));
  }
  for (const m of url.matchAll(/[?&]password=([^&#]*)/gi)) secrets.push(m[1] ?? '', safeDecode(m[1] ?? ''));
  return { secrets: secrets.filter((s) => s !== '') };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
