import { TachyonError } from './tachyon-error.js';

/** One class of a classification result. */
export interface ScoredClass {
  index: number;
  label: string;
  score: number;
}

/**
 * The KServe classification extension's text for one class, `"score:index:label"` (e.g. `"0.8125:281:tabby, tabby
 * cat"`). The score is written as JavaScript's shortest round-trip form, so parsing gives back the same number.
 */
export function formatClassification(entry: ScoredClass): string {
  return `${entry.score}:${entry.index}:${entry.label}`;
}

/**
 * Parses `"score:index:label"`: split on the first two colons only, as a label may itself hold colons. A text that
 * is not of that form is TCH_ERR_CLIENT_BAD_RESPONSE (only a peer's answer is ever parsed).
 */
export function parseClassification(text: string): ScoredClass {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  const scoreText = text.slice(0, first);
  const indexText = text.slice(first + 1, second);
  const score = Number(scoreText);
  const index = Number(indexText);
  if (
    second < 0 ||
    scoreText.trim() === '' ||
    !Number.isFinite(score) ||
    !/^\d+$/.test(indexText) ||
    !Number.isSafeInteger(index)
  ) {
    throw new TachyonError(
      'TCH_ERR_CLIENT_BAD_RESPONSE',
      `"${text.slice(0, 200)}" is not a "score:index:label" class.`,
      { details: {} },
    );
  }
  return { index, label: text.slice(second + 1), score };
}
