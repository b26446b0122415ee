// A separate process that registers one artifact, for the multi-process and crash tests (not a test itself).
//   node register-child.js --registry <sqlite file | postgres:// URL> --artifacts <dir> --file <artifact> --name <name> [--wait]
// With --wait it opens the registry, prints "ready" and registers only when a line arrives on stdin, so a parent
// can release several children at the same instant. It prints the record as one JSON line, or {"error": ...}.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { FsBlobStore, createModelRegistry, createRegistryStore } from '../../src/registry/index.js';

const { values } = parseArgs({
  options: {
    registry: { type: 'string' },
    artifacts: { type: 'string' },
    file: { type: 'string' },
    name: { type: 'string' },
    wait: { type: 'boolean', default: false },
  },
});
const registryLocation = values.registry ?? process.env['TACHYON_TEST_REGISTRY'];
if (
  registryLocation === undefined ||
  values.artifacts === undefined ||
  values.file === undefined ||
  values.name === undefined
) {
  process.stderr.write('usage: register-child --registry LOC --artifacts DIR --file FILE --name NAME [--wait]\n');
  process.exit(2);
}

const store = await createRegistryStore(registryLocation);
try {
  const registry = await createModelRegistry(store, new FsBlobStore(values.artifacts));
  if (values.wait) {
    process.stdout.write('ready\n');
    const lines = createInterface({ input: process.stdin });
    await new Promise<void>((resolve) => lines.once('line', () => resolve()));
    lines.close();
  }
  const record = await registry.register(values.file, values.name);
  process.stdout.write(`${JSON.stringify(record)}\n`);
} catch (error) {
  const e = error as { code?: string; message?: string };
  process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
