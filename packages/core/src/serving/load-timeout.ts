import { TachyonError } from '@tachyon-serve/protocol';

/**
 * Races a load against `timeoutMs`. Past it the returned promise rejects with TCH_ERR_MODEL_LOAD_TIMEOUT, and the
 * load is abandoned, not cancelled (onnxruntime cannot stop a session creation half-way): `abandoned` receives a
 * promise that settles once the load has, after `release` has closed whatever it produced.
 */
export function withLoadTimeout<T>(
  loading: Promise<T>,
  timeoutMs: number,
  what: { model: string; version: string },
  release: (value: T) => Promise<void>,
  abandoned: (settled: Promise<void>) => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      abandoned(loading.then(release, () => undefined).catch(() => undefined));
      reject(
        new TachyonError(
          'TCH_ERR_MODEL_LOAD_TIMEOUT',
          `Loading version "${what.version}" of model "${what.model}" took longer than ${timeoutMs} ms; it is released once it settles.`,
          {
            details: { model: what.model, version: what.version, loadTimeoutMs: timeoutMs },
          },
        ),
      );
    }, timeoutMs);
  });
  return Promise.race([loading, timeout]).finally(() => clearTimeout(timer));
}
