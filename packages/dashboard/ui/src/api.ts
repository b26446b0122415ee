/**
 * Calls to the daemon's dashboard API (`/ui/api/...`) with `Authorization: Bearer <workspace admin key>`. The key
 * lives in sessionStorage only (gone when the tab closes) and never in a URL.
 */
const KEY = 'tachyon.adminKey';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export const getKey = (): string | null => sessionStorage.getItem(KEY);
export const setKey = (key: string): void => sessionStorage.setItem(KEY, key);
export const clearKey = (): void => sessionStorage.removeItem(KEY);

/** Fired when the key is refused: the app goes back to the sign-in form. */
export const SIGNED_OUT = 'tachyon:signed-out';

export async function api<T>(
  path: string,
  init: { method?: string; body?: BodyInit; contentType?: string; key?: string } = {},
): Promise<T> {
  const key = init.key ?? getKey();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key !== null) headers['authorization'] = `Bearer ${key}`;
  if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  let response: Response;
  try {
    response = await fetch(`/ui/api${path}`, {
      method: init.method ?? 'GET',
      headers,
      body: init.body ?? null,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError('The daemon cannot be reached (is it still running?).', 0, undefined);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = body as { error?: string; code?: string } | undefined;
    const failure = new ApiError(
      error?.error ?? `The daemon answered ${response.status}.`,
      response.status,
      error?.code,
    );
    if (response.status === 401 && init.key === undefined) {
      clearKey();
      window.dispatchEvent(new CustomEvent(SIGNED_OUT, { detail: failure.message }));
    }
    throw failure;
  }
  return body as T;
}

export const postJson = <T>(path: string, value: unknown): Promise<T> =>
  api<T>(path, { method: 'POST', body: JSON.stringify(value), contentType: 'application/json' });
