// THE shared registry test suite: every RegistryStore backend runs it with its own factory (a fresh, empty store
// per call; register cleanup with t.after). sqlite-registry.test.ts runs it on SQLite; the PostgreSQL tests run
// it on a real server.
//
//   defineRegistrySuite('sqlite', async (t) => createSqliteRegistryStore(join(tempDir(t), 'registry.db')));
//   defineMultiProcessSuite('sqlite', async (t) => join(tempDir(t), 'registry.db'));   // a location, not a store
import { defineModelRegistrySuite } from './model-registry-suite.js';
import { defineRecoverySuite } from './recovery-suite.js';
import { defineStoreContractSuite, type StoreFactory } from './store-contract-suite.js';

export type { StoreFactory } from './store-contract-suite.js';
export { defineMultiProcessSuite, type RegistryLocationFactory } from './multi-process-suite.js';

export function defineRegistrySuite(label: string, createStore: StoreFactory): void {
  defineStoreContractSuite(label, createStore);
  defineModelRegistrySuite(label, createStore);
  defineRecoverySuite(label, createStore);
}
