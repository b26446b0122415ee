// Child process of postgres-multiprocess.test.ts: opens the store (racing the other children through the schema
// migration), prints "ready", waits for "go" on stdin, inserts COUNT versions of NAME and prints their numbers as JSON.
import { createInterface } from 'node:readline';
import { createPostgresRegistryStore } from '../../src/registry/postgres/index.js';

const [url, name, count] = process.argv.slice(2);
if (url === undefined || name === undefined || count === undefined)
  throw new Error('usage: postgres-insert-worker URL NAME COUNT');
const store = await createPostgresRegistryStore(url, { maxConnections: 2 });
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line === 'go') break;
lines.close();
const versions: number[] = [];
// Two in flight at a time inside each process, on top of the race between processes.
for (let i = 0; i < Number(count); i += 2) {
  const batch = Math.min(2, Number(count) - i);
  const records = await Promise.all(
    Array.from({ length: batch }, () =>
      store.insertVersion({ name, sha256: 'c'.repeat(64), size: process.pid, kind: 'onnx' }, `pid:${process.pid}`),
    ),
  );
  versions.push(...records.map((r) => r.version));
}
await store.close();
process.stdout.write(`${JSON.stringify(versions)}\n`);
