import { TachyonError } from '@tachyon-serve/protocol';

/**
 * One problem found in a service definition. `path` locates it in service.json in JavaScript accessor form,
 * e.g. `stages[2].inputs.scores` or `files[0].sha256`; '' is the whole document.
 */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** How many issues the error message spells out; all of them are in `details.issues`. */
const ISSUES_IN_MESSAGE = 3;

/** `['stages', 2, 'inputs', 'scores']` -> `stages[2].inputs.scores`; odd keys are quoted: `inputs["x:0"]`. */
export function toIssuePath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Joins an issue path and a child key or index. */
export function childPath(path: string, key: string | number): string {
  const child = toIssuePath([key]);
  return path === '' || child.startsWith('[') ? `${path}${child}` : `${path}.${child}`;
}

/** `path: message` pairs, the count first: "3 issues: stages[1].file: is required; ...; and 1 more." */
export function summarizeIssues(issues: readonly ValidationIssue[]): string {
  const shown = issues.slice(0, ISSUES_IN_MESSAGE).map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
  const more = issues.length - shown.length;
  const count = issues.length === 1 ? '1 issue' : `${issues.length} issues`;
  return `${count}: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}.`;
}

/** The TCH_ERR_SVCDEF_INVALID error carrying every issue in `details.issues`. */
export function buildInvalidError(issues: readonly ValidationIssue[], subject = 'service.json'): TachyonError {
  return new TachyonError(
    'TCH_ERR_SVCDEF_INVALID',
    `The service definition ${subject} has ${summarizeIssues(issues)}`,
    {
      details: { issues: issues.map((i) => ({ path: i.path, message: i.message })) },
    },
  );
}
