import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { compileGrpcServerConfig } from '../../src/grpc/grpc-config.js';
import { servingStatus } from '../../src/grpc/health-service.js';
import type { ModelHost } from '@tachyon-serve/core';
import {
  CLIENT_LOADER_OPTIONS,
  MODEL_NAME,
  createTestHost,
  startTestServer,
  unary,
  unaryError,
  type TestServer,
} from './grpc-fixtures.js';

// grpc.health.v1.Health as Kubernetes gRPC probes and grpc_health_probe call it: a client built from the published
// health.proto only, on a server with auth on (health needs no key) and a drain switch the test flips.
const PROTO_DIR = resolve(fileURLToPath(new URL('../../../../../packages/protocol/proto', import.meta.url)));
type HealthClient = grpc.Client & { Watch: (request: object) => grpc.ClientReadableStream<{ status: string }> };

let host: ModelHost;
let closeHost: () => Promise<void>;
let server: TestServer;
let health: HealthClient;
let draining = false;

before(async () => {
  ({ host, close: closeHost } = await createTestHost());
  server = await startTestServer(host, { auth: { keys: () => ['k'] }, draining: () => draining });
  const definition = protoLoader.loadSync('grpc/health/v1/health.proto', {
    ...CLIENT_LOADER_OPTIONS,
    includeDirs: [PROTO_DIR],
  });
  const Health = (
    grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { health: { v1: { Health: new (a: string, c: grpc.ChannelCredentials) => HealthClient } } };
    }
  ).grpc.health.v1.Health;
  health = new Health(server.address, grpc.credentials.createInsecure());
});
after(async () => {
  health?.close();
  await server?.close();
  await closeHost?.();
});

const check = async (service: string) =>
  (await unary<{ status: string }>(health, 'Check', { service })).response.status;

/** Collects a Watch's messages until `until` holds for them, then cancels it; rejects on any error but CANCELLED. */
function watch(
  service: string,
  until: (seen: string[]) => boolean,
  onMessage?: (seen: string[]) => void,
): Promise<{ seen: string[]; ended: boolean }> {
  return new Promise((done, fail) => {
    const seen: string[] = [];
    const call = health.Watch({ service });
    call.on('data', (m: { status: string }) => {
      seen.push(m.status);
      onMessage?.(seen);
      if (until(seen)) call.cancel();
    });
    call.on('error', (e: grpc.ServiceError) =>
      e.code === grpc.status.CANCELLED ? done({ seen, ended: false }) : fail(e),
    );
    call.on('end', () => done({ seen, ended: true }));
  });
}

test('Check: "" and the served model are SERVING without a key; an unknown service is NOT_FOUND', async () => {
  assert.equal(await check(''), 'SERVING');
  assert.equal(await check(MODEL_NAME), 'SERVING');
  assert.equal(await check('inference.GRPCInferenceService'), 'SERVING');
  const error = await unaryError(health, 'Check', { service: 'no-such-model' });
  assert.equal(error.code, grpc.status.NOT_FOUND);
  const list = (await unary<{ statuses: Record<string, { status: string }> }>(health, 'List', {})).response.statuses;
  assert.equal(list['']!.status, 'SERVING');
  assert.equal(list[MODEL_NAME]!.status, 'SERVING');
});

test('Watch: an unknown service gets SERVICE_UNKNOWN and stays open; a model loaded under that name turns it SERVING', async (t) => {
  const name = 'second';
  t.after(() => host.unload(name).catch(() => undefined));
  let loading: Promise<unknown> | undefined;
  const checks: string[] = [];
  const { seen } = await watch(
    name,
    (s) => s.at(-1) === 'SERVING',
    (s) => {
      if (s.length === 1) {
        loading = host.load(name, { kind: 'model', ref: 'mobilenetv2-int8' });
        // While it loads, Check answers NOT_SERVING (or NOT_FOUND before the name is registered).
        void (async () => {
          for (let i = 0; i < 2000 && checks.at(-1) !== 'SERVING'; i++) {
            checks.push(
              await check(name).catch((e: grpc.ServiceError) =>
                e.code === grpc.status.NOT_FOUND ? 'NOT_FOUND' : 'ERROR',
              ),
            );
          }
        })();
      }
    },
  );
  await loading;
  assert.equal(seen[0], 'SERVICE_UNKNOWN');
  assert.equal(seen.at(-1), 'SERVING');
  assert.ok(checks.includes('NOT_SERVING'), `Check saw the load: ${[...new Set(checks)].join(', ')}`);
});

test('servingStatus: a loading model and a draining server are NOT_SERVING; unknown names undefined', () => {
  const fake = (ready: boolean) =>
    ({ names: () => ['m'], isReady: (name?: string) => (name === undefined ? true : ready) }) as unknown as ModelHost;
  let drain = false;
  const config = compileGrpcServerConfig({ auth: 'none', draining: () => drain });
  assert.equal(servingStatus(fake(false), config, 'm'), 'NOT_SERVING');
  assert.equal(servingStatus(fake(true), config, 'm'), 'SERVING');
  assert.equal(servingStatus(fake(true), config, 'x'), undefined);
  drain = true;
  assert.equal(servingStatus(fake(true), config, 'm'), 'NOT_SERVING');
  assert.equal(servingStatus(fake(true), config, ''), 'NOT_SERVING');
});

// Last: the server stays draining.
test('draining: Watch sends NOT_SERVING then ends (OK), Check answers NOT_SERVING for the server and each model', async () => {
  const result = watch(
    MODEL_NAME,
    () => false,
    (s) => {
      if (s.length === 1) draining = true;
    },
  );
  const { seen, ended } = await result;
  assert.deepEqual(seen, ['SERVING', 'NOT_SERVING']);
  assert.equal(ended, true);
  assert.equal(await check(''), 'NOT_SERVING');
  assert.equal(await check(MODEL_NAME), 'NOT_SERVING');
});
