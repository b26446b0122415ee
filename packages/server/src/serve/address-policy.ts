import { isIP } from 'node:net';
import { TachyonError } from '@tachyon-serve/protocol';

/**
 * Loopback: `localhost`, 127.0.0.0/8, ::1 (and the IPv4-mapped ::ffff:127.x.y.z). Anything else, including the
 * wildcard addresses 0.0.0.0 and ::, and any other host name, is treated as reachable from the network.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) {
    if (h === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(h) || h === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

export interface SecurityChoice {
  host: string;
  tls: boolean;
  /** Keys are checked (from a file or generated); false with --no-auth. */
  auth: boolean;
  insecure: boolean;
}

/**
 * The rule of "secure by default": on loopback plaintext and --no-auth are fine for development; on any other
 * address the server needs TLS and keys unless `insecure` is set explicitly, and even then --no-auth is refused
 * (an open, unauthenticated model endpoint on a network is never what someone meant). Returns the warnings to log.
 */
export function checkSecurity(choice: SecurityChoice): string[] {
  if (isLoopbackHost(choice.host)) return [];
  if (!choice.auth) {
    throw new TachyonError(
      'TCH_ERR_SERVER_INSECURE',
      `--no-auth is accepted only on a loopback address, not on "${choice.host}".`,
      {
        details: { host: choice.host, tls: choice.tls, auth: choice.auth },
      },
    );
  }
  if (choice.tls) return [];
  if (!choice.insecure) {
    throw new TachyonError(
      'TCH_ERR_SERVER_INSECURE',
      `Refusing to listen on non-loopback "${choice.host}" without TLS: pass --tls-cert and --tls-key, or --insecure to accept plaintext.`,
      { details: { host: choice.host, tls: choice.tls, auth: choice.auth } },
    );
  }
  return [
    `listening on non-loopback "${choice.host}" WITHOUT TLS (--insecure): keys and images cross the network in plaintext`,
  ];
}

/** `host:port` with IPv6 literals bracketed, for URLs and gRPC addresses. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
