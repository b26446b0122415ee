import * as http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AUTHORIZATION_HEADER,
  TachyonError,
  bearerAuthorization,
  isErrorCode,
  type DaemonHealth,
  type DeployResponse,
  type ServiceKeysBody,
  type ServiceSpec,
  type ServiceStatus,
} from '@tachyon-serve/protocol';

export interface DaemonClientOptions {
  /** Per-call timeout (a deploy answers once the change is recorded, not when the service is Healthy). @default 60000 */
  timeoutMs?: number;
}

export interface WaitForServiceOptions {
  /** @default 300000 */
  timeoutMs?: number;
  /** Wait for this generation (or a later one) to be Healthy. @default any */
  generation?: number;
  /** @default 250 */
  pollMs?: number;
}

/**
 * A typed client of a workspace's deployment daemon (packages/protocol/src/deployments.ts). Every error the daemon
 * answers is rebuilt as the TachyonError of its code; a daemon that cannot be reached is TCH_ERR_DAEMON_UNAVAILABLE.
 * Get one with `findDaemonAt(workspaceRoot)` (a daemon that runs) or `ensureDaemon(workspaceRoot)` of @tachyon-serve/server
 * (which starts one when none runs).
 */
export class DaemonClient {
  readonly url: string;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(url: string, token: string, options: DaemonClientOptions = {}) {
    if (typeof url !== 'string' || !/^http:\/\//.test(url))
      throw new TypeError("url: expected the daemon's http:// URL.");
    if (typeof token !== 'string' || token === '') throw new TypeError('token: expected the daemon token.');
    const timeoutMs = options.timeoutMs ?? 60_000;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1)
      throw new RangeError('options.timeoutMs: expected a positive integer.');
    this.url = url.replace(/\/+$/, '');
    this.#token = token;
    this.#timeoutMs = timeoutMs;
  }

  health(): Promise<DaemonHealth> {
    return this.#call('GET', '/v1/health');
  }

  async listServices(): Promise<ServiceStatus[]> {
    return (await this.#call<{ services: ServiceStatus[] }>('GET', '/v1/services')).services;
  }

  getService(name: string): Promise<ServiceStatus> {
    return this.#call('GET', `/v1/services/${segment(name)}`);
  }

  /** Makes `spec` the desired state of `name` (idempotent: the same spec again answers `changed: false`). */
  deploy(name: string, spec: ServiceSpec): Promise<DeployResponse> {
    if (typeof spec !== 'object' || spec === null) throw new TypeError('spec: expected a ServiceSpec object.');
    return this.#call('PUT', `/v1/services/${segment(name)}`, { spec });
  }

  /** Drains and stops the service, removes its files and row. */
  async deleteService(name: string): Promise<string[]> {
    return (await this.#call<{ deleted: string[] }>('DELETE', `/v1/services/${segment(name)}`)).deleted;
  }

  async logs(name: string, tail = 100): Promise<string[]> {
    if (!Number.isInteger(tail) || tail < 0) throw new RangeError('tail: expected a non-negative integer.');
    return (await this.#call<{ lines: string[] }>('GET', `/v1/services/${segment(name)}/logs?tail=${tail}`)).lines;
  }

  getKeys(name: string): Promise<ServiceKeysBody> {
    return this.#call('GET', `/v1/services/${segment(name)}/keys`);
  }

  regenerateKey(name: string, key: 'primary' | 'secondary'): Promise<ServiceKeysBody> {
    if (key !== 'primary' && key !== 'secondary') throw new TypeError('key: expected "primary" or "secondary".');
    return this.#call('POST', `/v1/services/${segment(name)}/keys/regenerate`, { key });
  }

  /** Stops the daemon and its service processes; the desired state stays in the registry. */
  async shutdown(): Promise<void> {
    await this.#call('POST', '/v1/shutdown', {});
  }

  /**
   * Polls until the service is Healthy (at `generation` or later). A Failed service is TCH_ERR_DEPLOY_FAILED (its
   * reason and last log lines in the details); past the timeout, TCH_ERR_DEPLOY_TIMEOUT with the last state.
   */
  async waitForService(name: string, options: WaitForServiceOptions = {}): Promise<ServiceStatus> {
    const timeoutMs = options.timeoutMs ?? 300_000;
    const pollMs = options.pollMs ?? 250;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.getService(name);
      const current = options.generation === undefined || status.generation >= options.generation;
      if (current && status.state === 'Healthy') return status;
      if (current && status.state === 'Failed') {
        const logLines = await this.logs(name, 20).catch(() => []);
        throw new TachyonError(
          'TCH_ERR_DEPLOY_FAILED',
          `Service "${name}" failed: ${status.reason ?? 'no reason recorded'}`,
          {
            details: {
              service: name,
              state: status.state,
              reason: status.reason,
              generation: status.generation,
              logLines,
            },
          },
        );
      }
      if (Date.now() >= deadline) {
        throw new TachyonError(
          'TCH_ERR_DEPLOY_TIMEOUT',
          `Service "${name}" was not Healthy within ${timeoutMs} ms (it is ${status.state}).`,
          {
            details: {
              service: name,
              state: status.state,
              reason: status.reason,
              generation: status.generation,
              timeoutMs,
            },
          },
        );
      }
      await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())));
    }
  }

  #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {
      [AUTHORIZATION_HEADER]: bearerAuthorization(this.#token),
      ...(payload === undefined
        ? {}
        : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
    };
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        `${this.url}${path}`,
        { method, headers, timeout: this.#timeoutMs, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (cause) => reject(unavailable(this.url, cause)));
          res.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              parsed = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(parsed as T);
            const error = parsed as { code?: unknown; error?: unknown; details?: Record<string, unknown> } | undefined;
            if (isErrorCode(error?.code) && typeof error.error === 'string') {
              return reject(
                new TachyonError(
                  error.code,
                  error.error,
                  error.details === undefined ? {} : { details: error.details },
                ),
              );
            }
            reject(unavailable(this.url, new Error(`HTTP ${status} without an error body`)));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      req.on('error', (cause) => reject(unavailable(this.url, cause)));
      req.end(payload);
    });
  }
}

function segment(name: string): string {
  if (typeof name !== 'string' || name === '') throw new TypeError('name: expected a service name.');
  return encodeURIComponent(name);
}

function unavailable(url: string, cause: unknown): TachyonError {
  return new TachyonError(
    'TCH_ERR_DAEMON_UNAVAILABLE',
    `The deployment daemon at ${url} cannot be reached: ${(cause as Error).message}.`,
    { details: { url }, cause },
  );
}
