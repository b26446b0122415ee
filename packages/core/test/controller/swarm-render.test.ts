// `renderSwarm`: the stack checked against docker/cli's own compose schema (what `docker stack deploy` checks) and
// the HAProxy config checked by HAProxy itself (`haproxy -c`, Debian's package from scripts/ci-deps.sh).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { compileDeploymentSpec } from '../../src/controller/deployment-spec.js';
import { renderHaproxyConfig, renderSwarm } from '../../src/controller/swarm/index.js';

const SCHEMA = new URL('../../../test/controller/fixtures/compose/config_schema_v3.8.json', import.meta.url);

function composeValidator(): (doc: unknown) => string[] {
  const strip = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(strip)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([k, x]) => k !== '$schema' && !(k === 'id' && typeof x === 'string'))
              .map(([k, x]) => [k, strip(x)]),
          )
        : v;
  const ajv = new Ajv({ strict: false, allErrors: true });
  // docker/cli's formats: a Go duration; a port or range ("8000", "8000-8001/tcp"); expose likewise.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  const validate = ajv.compile(strip(JSON.parse(readFileSync(SCHEMA, 'utf8'))) as object);
  return (doc) =>
    validate(doc)
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

const validate = composeValidator();
const KEYS = { primary: 'p'.repeat(32), secondary: 's'.repeat(32) };

test('host networking: a port pair per task slot, stop-first one at a time, healthcheck on /v2/health/ready, secrets; valid compose 3.8', () => {
  const spec = compileDeploymentSpec({
    service: 'vision',
    model: { name: 'cls', version: 2 },
    replicas: 3,
    resources: { cpu: '1500m', memory: '2Gi' },
  });
  const rendered = renderSwarm(spec, {
    network: 'host',
    secrets: { registryUrl: 'postgres://tachyon@db/tachyon', keys: KEYS },
  });
  const stack = parse(rendered.stack) as Record<string, any>;
  assert.deepEqual(validate(stack), []);
  const svc = stack['services'].vision;
  assert.equal(svc.deploy.replicas, 3);
  assert.deepEqual(svc.deploy.update_config, {
    parallelism: 1,
    delay: '2s',
    order: 'stop-first',
    failure_action: 'rollback',
    monitor: '30s',
  });
  assert.equal(svc.deploy.restart_policy.condition, 'any');
  assert.equal(svc.environment.TACHYON_SERVE_HTTP_PORT, '81{{.Task.Slot}}0');
  assert.match(svc.healthcheck.test.join(' '), /\/v2\/health\/ready/);
  assert.deepEqual(svc.deploy.resources, { reservations: { cpus: '1.5' }, limits: { memory: '2G' } });
  assert.deepEqual(stack['networks'], { hostnet: { external: true, name: 'host' } });
  assert.deepEqual(rendered.slots, [
    { slot: 1, httpPort: 8110, grpcPort: 8111 },
    { slot: 2, httpPort: 8120, grpcPort: 8121 },
    { slot: 3, httpPort: 8130, grpcPort: 8131 },
  ]);
  const workspace = JSON.parse(rendered.files['secrets/vision-workspace.json']!);
  assert.deepEqual(
    workspace,
    {
      name: 'vision',
      registry: 'postgres://tachyon@db/tachyon',
      artifacts: 'postgres://tachyon@db/tachyon',
      modelPath: [],
    },
    'one URL: rows and artifacts',
  );
  assert.deepEqual(JSON.parse(rendered.files['secrets/vision-keys.json']!), KEYS);
  const serve = JSON.parse(rendered.files['vision-serve.json']!);
  assert.deepEqual(serve.models, [{ name: 'cls', source: 'registry:cls', versionPolicy: { specific: ['2'] } }]);
  assert.match(
    rendered.files['haproxy.cfg']!,
    /server vision-2 127\.0\.0\.1:8121 proto h2 check port 8120 .* check-proto h1/,
  );
});

test('overlay: published ports through the routing mesh, start-first; TLS from external secrets; broken fields are refused by the schema', () => {
  const spec = compileDeploymentSpec({
    service: 'edge',
    model: { name: 'cls', version: 1 },
    replicas: 2,
    tls: { mode: 'secret', secretName: 'edge-cert' },
  });
  const rendered = renderSwarm(spec);
  const stack = parse(rendered.stack) as Record<string, any>;
  assert.deepEqual(validate(stack), []);
  const svc = stack['services'].edge;
  assert.equal(svc.deploy.update_config.order, 'start-first');
  assert.deepEqual(
    svc.ports.map((p: { published: number }) => p.published),
    [8000, 8001],
  );
  assert.deepEqual(Object.keys(stack['secrets']).sort(), [
    'edge-keys',
    'edge-tls-crt',
    'edge-tls-key',
    'edge-workspace',
  ]);
  assert.ok(Object.values(stack['secrets']).every((s) => (s as { external?: boolean }).external === true));
  assert.equal(rendered.files['haproxy.cfg'], undefined);

  const unknown = structuredClone(stack);
  unknown['services'].edge.deploy.update_config.paralellism = 1;
  assert.match(validate(unknown).join(), /additional/);
  const stringPort = structuredClone(stack);
  stringPort['services'].edge.ports[0].published = 'eight-thousand';
  assert.notDeepEqual(validate(stringPort), []);
  const replicas = structuredClone(stack);
  replicas['services'].edge.deploy.replicas = '2';
  assert.match(validate(replicas).join(), /replicas/);
});

test('the HAProxy config is accepted by haproxy -c (HTTP and h2 gRPC backends, health checks, one retry with redispatch)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-haproxy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const tls of [false, true]) {
    const file = join(dir, `haproxy-${tls}.cfg`);
    writeFileSync(
      file,
      renderHaproxyConfig({
        service: 'vision',
        tls,
        listen: { http: 18000, grpc: 18001 },
        statsSocket: join(dir, 'admin.sock'),
        backends: [1, 2].map((i) => ({
          name: `r${i}`,
          address: '127.0.0.1',
          httpPort: 18000 + 10 * i,
          grpcPort: 18001 + 10 * i,
        })),
      }),
    );
    const r = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'haproxy is installed by scripts/ci-deps.sh');
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /retries 1/);
    assert.match(text, /option redispatch/);
  }
});
