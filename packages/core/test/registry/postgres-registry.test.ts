// The shared registry suites (store contract, ModelRegistry, crash recovery, real multi-process races) against a
// real PostgreSQL started for this file: a fresh database per test.
import { createPostgresRegistryStore } from '../../src/registry/postgres/index.js';
import { defineMultiProcessSuite, defineRegistrySuite } from './registry-suite.js';
import { usePostgresServer } from '@tachyon-serve/test-support/postgres';

const pgServer = usePostgresServer();

defineRegistrySuite('postgres', async (t) => {
  const store = await createPostgresRegistryStore(await pgServer().createDatabase('suite'));
  t.after(() => store.close());
  return store;
});

defineMultiProcessSuite('postgres', async () => pgServer().createDatabase('multi'));
