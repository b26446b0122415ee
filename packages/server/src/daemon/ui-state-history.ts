import type { DeploymentRecord, RegistryStore } from '@tachyon-serve/core';
import type { UiStateChange } from '@tachyon-serve/protocol';

/** One recorded state of a service (the dashboard's state history; the wire shape is in @tachyon-serve/protocol). */
export type StateChange = UiStateChange;

export interface StateHistoryOptions {
  /** Changes kept per service (oldest dropped first). @default 100 */
  limit?: number;
}

export const STATE_HISTORY_DEFAULTS = Object.freeze({ limit: 100 });

/**
 * The state changes of every service since the daemon started, in memory (bounded per service): fed by wrapping the
 * registry store the controller writes states through, so every transition it records is seen, in order. A daemon
 * restart starts a new history, seeded with each row's current state.
 */
export class ServiceStateHistory {
  readonly #limit: number;
  readonly #changes = new Map<string, StateChange[]>();

  constructor(options: StateHistoryOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options: expected StateHistoryOptions.');
    const limit = options.limit ?? STATE_HISTORY_DEFAULTS.limit;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100_000)
      throw new RangeError('options.limit: expected an integer in [1, 100000].');
    this.#limit = limit;
  }

  /** Records `record`'s state when it differs (state or reason) from the last one recorded for that service. */
  record(record: Pick<DeploymentRecord, 'name' | 'state' | 'reason' | 'generation' | 'updatedAt'>): void {
    const list = this.#changes.get(record.name) ?? [];
    const last = list[list.length - 1];
    if (
      last !== undefined &&
      last.state === record.state &&
      last.reason === record.reason &&
      last.generation === record.generation
    )
      return;
    list.push(
      Object.freeze({
        at: record.updatedAt,
        state: record.state,
        reason: record.reason,
        generation: record.generation,
      }),
    );
    if (list.length > this.#limit) list.splice(0, list.length - this.#limit);
    this.#changes.set(record.name, list);
  }

  /** The changes of a service, oldest first; `current` seeds an empty history (a service the daemon found at start). */
  get(name: string, current?: DeploymentRecord): readonly StateChange[] {
    if (current !== undefined && !this.#changes.has(name)) this.record(current);
    return [...(this.#changes.get(name) ?? [])];
  }

  forget(name: string): void {
    this.#changes.delete(name);
  }

  /**
   * The same store, recording every state the controller writes (`setDeploymentState`, a changed `putDeployment`)
   * and forgetting a deleted service. Methods are bound to the real store (stores keep private fields).
   */
  wrapStore(store: RegistryStore): RegistryStore {
    if (typeof store !== 'object' || store === null) throw new TypeError('store: expected a RegistryStore.');
    return new Proxy(store, {
      get: (target, property) => {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        if (property === 'setDeploymentState') {
          return async (...args: Parameters<RegistryStore['setDeploymentState']>) => {
            const record = await target.setDeploymentState(...args);
            if (record !== undefined) this.record(record);
            return record;
          };
        }
        if (property === 'putDeployment') {
          return async (...args: Parameters<RegistryStore['putDeployment']>) => {
            const result = await target.putDeployment(...args);
            if (result.changed)
              this.record({ ...result.record, reason: `deployed generation ${result.record.generation}` });
            return result;
          };
        }
        if (property === 'deleteDeployment') {
          return async (name: string) => {
            const deleted = await target.deleteDeployment(name);
            this.forget(name);
            return deleted;
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  }
}
