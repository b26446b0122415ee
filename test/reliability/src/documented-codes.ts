// The codes docs/errors.md documents, with their kind, and the HTTP status that kind maps to: what the corpus asserts.
import { readFileSync } from 'node:fs';
import { ERROR_CODES, HTTP_STATUS_BY_KIND, type ErrorCode } from '@tachyon-serve/protocol';
import { repoPath } from './paths.js';

let documented: Map<string, string> | undefined;

/** `code -> kind` from the `| \`CODE\` | KIND | ... |` rows of docs/errors.md. */
export function documentedCodes(): ReadonlyMap<string, string> {
  if (documented === undefined) {
    documented = new Map();
    for (const match of readFileSync(repoPath('docs', 'errors.md'), 'utf8').matchAll(
      /^\| `(TCH_ERR_[A-Z_]+)` \| ([A-Z_]+) \|/gm,
    ))
      documented.set(match[1]!, match[2]!);
  }
  return documented;
}

/** The HTTP status a documented code must be answered with, or undefined when the code is not in the docs and the table. */
export function documentedStatus(code: string): number | undefined {
  const kind = documentedCodes().get(code);
  const table = (ERROR_CODES as Record<string, { kind: keyof typeof HTTP_STATUS_BY_KIND } | undefined>)[code];
  if (kind === undefined || table === undefined || table.kind !== kind) return undefined;
  return HTTP_STATUS_BY_KIND[table.kind];
}

export type { ErrorCode };
