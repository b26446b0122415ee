/** One replica behind the balancer: its HTTP/1.1 port and its gRPC (HTTP/2) port. */
export interface HaproxyBackend {
  readonly name: string;
  readonly address: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  /** Start in maintenance (a slot not started yet); `set server ... state ready` brings it in. @default false */
  readonly disabled?: boolean;
}

export interface HaproxyConfigOptions {
  readonly service: string;
  readonly backends: readonly HaproxyBackend[];
  /** Ports HAProxy listens on (127.0.0.1 unless `bind` says otherwise). */
  readonly listen: { readonly http: number; readonly grpc: number };
  /** @default '127.0.0.1' */
  readonly bind?: string;
  /** The replicas serve TLS: HAProxy re-encrypts to them (without verifying: they are on the node). @default false */
  readonly tls?: boolean;
  /** Runtime API socket (`set server ... state drain|maint|ready`), for scripted rolls. @default none */
  readonly statsSocket?: string;
  /** Health check interval. @default 500 */
  readonly checkIntervalMs?: number;
  /**
   * HAProxy's buffer size (`tune.bufsize`): a request is replayable, so retried after a replica died under it, only
   * if its whole body fits (an image of the ImageNet sample is ~100 kB; the default 16 kB would rule retries out).
   * @default 1048576
   */
  readonly bufferBytes?: number;
}

/**
 * HAProxy in front of the replicas where no routing mesh exists: HTTP/1.1 and gRPC (h2, cleartext or TLS) each
 * balanced with leastconn; every server is health-checked on GET /v2/health/ready of its HTTP port (a replica still
 * loading, draining or dead gets no new request); a request whose connection fails or finds the server gone is
 * retried ONCE on another server (`retries 1` + `option redispatch`, `retry-on conn-failure empty-response
 * response-timeout`): at most one retry per request.
 */
export function renderHaproxyConfig(options: HaproxyConfigOptions): string {
  const bind = options.bind ?? '127.0.0.1';
  const inter = options.checkIntervalMs ?? 500;
  const ssl = options.tls ? ' ssl verify none' : '';
  const check = (b: HaproxyBackend) =>
    `check port ${b.httpPort} inter ${inter}ms fall 1 rise 2${options.tls ? ' check-ssl' : ''}${b.disabled ? ' disabled' : ''}`;
  const lines = [
    '# Rendered by tachyon (render --target swarm --network host, or test:scale). docs/scale-out.md',
    'global',
    '  maxconn 4096',
    `  tune.bufsize ${options.bufferBytes ?? 1048576}`,
    ...(options.statsSocket ? [`  stats socket ${options.statsSocket} mode 600 level admin`] : []),
    '',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-request 10s',
    '  retries 1',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response response-timeout',
    '  option httpchk',
    '  http-check send meth GET uri /v2/health/ready',
    '  http-check expect status 200',
    // The whole request is buffered before it is sent, so a retry can resend it.
    '  option http-buffer-request',
    '',
    `frontend ${options.service}_http`,
    `  bind ${bind}:${options.listen.http}`,
    `  default_backend ${options.service}_http`,
    '',
    `frontend ${options.service}_grpc`,
    `  bind ${bind}:${options.listen.grpc} proto h2`,
    `  default_backend ${options.service}_grpc`,
    '',
    `backend ${options.service}_http`,
    '  balance leastconn',
    ...options.backends.map((b) => `  server ${b.name} ${b.address}:${b.httpPort}${ssl} ${check(b)}`),
    '',
    `backend ${options.service}_grpc`,
    '  balance leastconn',
    // The health check goes to the HTTP/1.1 port: `check-proto h1`, or it would speak the server line's h2.
    ...options.backends.map(
      (b) =>
        `  server ${b.name} ${b.address}:${b.grpcPort}${ssl}${options.tls ? ' alpn h2' : ' proto h2'} ${check(b)} check-proto h1`,
    ),
    '',
  ];
  return lines.join('\n');
}
