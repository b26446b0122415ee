import type { ModelVersionRecord } from '../registry/registry-store.js';
import type { SchedulerConfig } from '../scheduler/scheduler-options.js';
import type { VersionPolicy } from './model-control-options.js';
import type { ModelSource, ServedModel } from './served-model.js';

/** Triton's model states, as the repository index reports them. */
export type RepositoryModelState = 'READY' | 'LOADING' | 'UNAVAILABLE' | 'UNLOADING';

/** One row of `POST /v2/repository/index`; `reason` only when there is one (as Triton writes it). */
export interface RepositoryIndexEntry {
  name: string;
  version?: string;
  state: RepositoryModelState;
  reason?: string;
}

/** One loaded (or loading, or unloading) version of a served name. */
export interface VersionSlot {
  readonly version: string;
  state: 'LOADING' | 'READY' | 'UNLOADING';
  model?: ServedModel;
  /** Estimated bytes (see estimateBytes), counted against the memory budget while the slot exists. */
  readonly bytes: number;
  /** This load's own work folder (downloaded artifact, generated service files); removed after unloading. */
  readonly dir: string;
  /** Its load passed the timeout; the abandoned load releases the model and folder when it settles. */
  abandoned?: boolean;
}

/** A served name: where its versions come from, which are loaded, and why recent loads failed. */
export interface ModelEntry {
  source: ModelSource;
  policy: VersionPolicy | undefined;
  scheduler: SchedulerConfig | undefined;
  slots: VersionSlot[];
  /** version ('' when the load failed before a version was chosen) -> reason. Cleared by a successful load. */
  failures: Map<string, string>;
}

const PRECEDENCE: Record<RepositoryModelState, number> = { READY: 0, LOADING: 1, UNLOADING: 2, UNAVAILABLE: 3 };

/**
 * The index rows: one per (name, version), the state that serves winning (a version being reloaded is READY while
 * its replacement loads); failed loads as UNAVAILABLE with their reason; then every registered version not served
 * (UNAVAILABLE, "not loaded") under the name that serves its registry model, or its registry name. A name served
 * from another kind of source hides the registry model of the same name. Sorted by name, then version.
 */
export function buildRepositoryIndex(
  models: ReadonlyMap<string, ModelEntry>,
  registered: readonly ModelVersionRecord[],
): RepositoryIndexEntry[] {
  const rows = new Map<string, RepositoryIndexEntry>();
  const put = (row: RepositoryIndexEntry) => {
    const key = `${row.name}\u0000${row.version ?? ''}`;
    const current = rows.get(key);
    if (!current || PRECEDENCE[row.state] < PRECEDENCE[current.state]) rows.set(key, row);
  };
  const servedAs = new Map<string, string>();
  for (const [name, entry] of models) {
    if (entry.source.kind === 'registry') servedAs.set(entry.source.name, name);
    for (const slot of entry.slots) put({ name, version: slot.version, state: slot.state });
    for (const [version, reason] of entry.failures)
      put({ name, ...(version === '' ? {} : { version }), state: 'UNAVAILABLE', reason });
  }
  for (const record of registered) {
    const name = servedAs.get(record.name) ?? record.name;
    const entry = models.get(name);
    if (entry && (entry.source.kind !== 'registry' || entry.source.name !== record.name)) continue;
    put({ name, version: String(record.version), state: 'UNAVAILABLE', reason: 'not loaded' });
  }
  return [...rows.values()].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : Number(a.version ?? 0) - Number(b.version ?? 0),
  );
}
