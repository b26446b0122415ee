import { TachyonError } from '@tachyon-serve/protocol';

/** A registered model's name: lowercase, starts with a letter or digit, at most 128 characters. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
export const MODEL_NAME_MAX_LENGTH = 128;
/** Tag and property keys: at most this many characters, no control characters. */
export const TAG_KEY_MAX_LENGTH = 128;
export const TAG_VALUE_MAX_LENGTH = 4096;

/** `name` or `name:version`, parsed. */
export interface ModelRef {
  readonly name: string;
  readonly version: number | undefined;
}

/** Returns `name` when it is a valid model name; TCH_ERR_REGISTRY_NAME_INVALID otherwise. */
export function validateModelName(name: string): string {
  if (typeof name !== 'string') throw new TypeError(`name must be a string, got ${typeof name}.`);
  if (name.length > MODEL_NAME_MAX_LENGTH || !MODEL_NAME_PATTERN.test(name)) {
    throw new TachyonError(
      'TCH_ERR_REGISTRY_NAME_INVALID',
      `Model name "${printable(name)}" is invalid: it must match [a-z0-9][a-z0-9._-]* and have at most ${MODEL_NAME_MAX_LENGTH} characters.`,
      { details: { name: printable(name) } },
    );
  }
  return name;
}

/** Returns `version` when it is a positive safe integer; TCH_ERR_REGISTRY_NAME_INVALID otherwise. */
export function validateModelVersion(version: number): number {
  if (typeof version !== 'number') throw new TypeError(`version must be a number, got ${typeof version}.`);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new TachyonError(
      'TCH_ERR_REGISTRY_NAME_INVALID',
      `Model version ${String(version)} is invalid: it must be a positive integer.`,
      {
        details: { version: String(version) },
      },
    );
  }
  return version;
}

/** Parses `name` or `name:version` (as typed on a command line); both parts are validated. */
export function parseModelRef(ref: string): ModelRef {
  if (typeof ref !== 'string') throw new TypeError(`ref must be a string, got ${typeof ref}.`);
  const colon = ref.lastIndexOf(':');
  if (colon === -1) return { name: validateModelName(ref), version: undefined };
  const versionText = ref.slice(colon + 1);
  if (!/^[0-9]+$/.test(versionText)) {
    throw new TachyonError(
      'TCH_ERR_REGISTRY_NAME_INVALID',
      `Model version "${printable(versionText)}" in "${printable(ref)}" is not a positive integer.`,
      {
        details: { ref: printable(ref) },
      },
    );
  }
  return { name: validateModelName(ref.slice(0, colon)), version: validateModelVersion(Number(versionText)) };
}

export function formatModelRef(name: string, version?: number): string {
  return version === undefined ? name : `${name}:${version}`;
}

/**
 * Checks a tags or properties object of the TS API: a plain object of string values whose keys are non-empty,
 * at most 128 characters and free of control characters and '='. Returns a frozen copy.
 */
export function validateStringMap(value: unknown, argument: string): Readonly<Record<string, string>> {
  if (value === undefined) return Object.freeze({});
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${argument} must be an object of strings.`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    validateTagKey(key, argument);
    if (typeof v !== 'string')
      throw new TypeError(`${argument}["${printable(key)}"] must be a string, got ${typeof v}.`);
    if (v.length > TAG_VALUE_MAX_LENGTH)
      throw new RangeError(`${argument}["${printable(key)}"] has more than ${TAG_VALUE_MAX_LENGTH} characters.`);
    out[key] = v;
  }
  return Object.freeze(out);
}

export function validateTagKey(key: string, argument = 'tag key'): string {
  if (typeof key !== 'string') throw new TypeError(`${argument} keys must be strings.`);
  if (key === '' || key.length > TAG_KEY_MAX_LENGTH || /[\u0000-\u001f\u007f=]/.test(key)) {
    throw new RangeError(
      `${argument} key "${printable(key)}" must be 1 to ${TAG_KEY_MAX_LENGTH} characters without '=' or control characters.`,
    );
  }
  return key;
}

/** Parses `key=value` (a command-line tag); the value may be empty and may contain '='. */
export function parseTagAssignment(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new RangeError(`tag "${printable(text)}" must be written key=value.`);
  return [validateTagKey(text.slice(0, eq), 'tag'), text.slice(eq + 1)];
}

/** Names echoed in messages: cut to a sane length and stripped of control characters. */
function printable(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 160 ? `${clean.slice(0, 157)}...` : clean;
}
