import { readFileSync } from 'node:fs';

/** The @tachyon-serve/server package version (from its package.json, two levels above dist/src/). */
export const SERVER_VERSION: string = (() => {
  try {
    return String(
      (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown })
        .version ?? '0.0.0',
    );
  } catch {
    return '0.0.0';
  }
})();
