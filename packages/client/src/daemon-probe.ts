import * as http from 'node:http';
import { AUTHORIZATION_HEADER, bearerAuthorization, type DaemonHealth } from '@tachyon-serve/protocol';

/** GET /v1/health of a daemon: its health body, or undefined when it does not answer correctly in time. */
export function probeDaemon(url: string, token: string, timeoutMs = 2000): Promise<DaemonHealth | undefined> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL('/v1/health', url);
    } catch {
      resolve(undefined);
      return;
    }
    const req = http.get(
      target,
      { headers: { [AUTHORIZATION_HEADER]: bearerAuthorization(token) }, timeout: timeoutMs, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => resolve(undefined));
        res.on('end', () => {
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as DaemonHealth;
            resolve(res.statusCode === 200 && body.ok === true ? body : undefined);
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
