import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { TachyonError, type ErrorCode } from '@tachyon-serve/protocol';
import type { ModelSource } from '@tachyon-serve/core';
import { jsonErrorOffset, lineAndColumn } from './json-error-offset.js';
import { SERVE_CONFIG_SCHEMA } from './serve-config-schema.js';
import type { ServeOptions, ServedModelOptions } from './serve-options.js';

/** ServeOptions that only exist in a process (objects, callbacks): never in a file, the environment or a flag. */
export type InProcessServeKey = 'logger' | 'sources';

/**
 * What a config file (or the environment, the flags, tachyon.json "server") can set: ServeOptions without the
 * in-process ones, every key optional, plus `modelPath` (mirror folders for zoo models).
 */
export type ServeFileOptions = Partial<Omit<ServeOptions, InProcessServeKey>> & {
  /** Mirror folders searched for zoo models before downloading. @default [] */
  modelPath?: readonly string[];
};

/** One schema violation: where (RFC 6901 JSON pointer, '' = the whole document) and what. */
export interface ServeConfigIssue {
  readonly pointer: string;
  readonly message: string;
}

let validator: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true }).compile(
    SERVE_CONFIG_SCHEMA,
  );
  return validator;
}

/** Every schema issue of a parsed config document, in document order; [] when it is valid. */
export function findServeConfigIssues(json: unknown): ServeConfigIssue[] {
  const validate = schemaValidator();
  if (validate(json)) return [];
  const seen = new Set<string>();
  const issues: ServeConfigIssue[] = [];
  for (const error of validate.errors ?? []) {
    // `if` only says that its `then` failed; the `then` errors say how.
    if (error.keyword === 'if') continue;
    const issue = toIssue(error);
    const key = `${issue.pointer}\u0000${issue.message}`;
    if (!seen.has(key)) issues.push(issue);
    seen.add(key);
  }
  return issues;
}

export interface ValidateServeConfigOptions {
  /** Relative paths in the document are resolved against this folder. */
  baseDir: string;
  /** What the document is, for the error message, e.g. `Config file "/etc/tachyon/serve.json"`. */
  subject: string;
  /** @default 'TCH_ERR_CONFIG_FILE_INVALID' */
  code?: ErrorCode;
  /** Prepended to every issue pointer, e.g. '/server' for the section of tachyon.json. @default '' */
  pointerPrefix?: string;
  /** The file the document came from, for `details.file`. @default undefined */
  file?: string;
}

/**
 * Checks a parsed document against SERVE_CONFIG_SCHEMA and returns it typed, `$schema` dropped and relative paths
 * resolved against `baseDir`; or throws ONE TachyonError with every issue in `details.issues`.
 */
export function validateServeConfig(json: unknown, options: ValidateServeConfigOptions): ServeFileOptions {
  const prefix = options.pointerPrefix ?? '';
  const issues = findServeConfigIssues(json).map((i) => ({ pointer: `${prefix}${i.pointer}`, message: i.message }));
  if (issues.length > 0) {
    throw new TachyonError(
      options.code ?? 'TCH_ERR_CONFIG_FILE_INVALID',
      `${options.subject} has ${summarizeIssues(issues)}`,
      {
        details: { ...(options.file === undefined ? {} : { file: options.file }), issues },
      },
    );
  }
  const { $schema: _ignored, ...rest } = json as ServeFileOptions & { $schema?: string };
  return deepFreeze(resolveConfigPaths(rest, options.baseDir));
}

/**
 * Reads a `tachyon serve --config` file: JSON only (no comments, no YAML), checked against the schema with every issue
 * reported at once; relative paths in it (keysFile, tls files, workspace, modelPath, `.onnx`/`.zip` model sources)
 * are relative to the file's folder.
 */
export function loadServeConfigFile(path: string): ServeFileOptions {
  if (typeof path !== 'string' || path === '') throw new TypeError('path: expected a file path.');
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const reason =
      (cause as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'does not exist'
        : (cause as NodeJS.ErrnoException).code === 'EISDIR'
          ? 'is a folder'
          : 'cannot be read';
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Config file "${file}" ${reason}.`, { details: { file }, cause });
  }
  const body = text.replace(/^\uFEFF/, '');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // V8's message may quote the file (and not say where): the position comes from our own scan, and the
    // SyntaxError is not kept as the cause.
    const offset = jsonErrorOffset(body);
    const at = offset === undefined ? undefined : lineAndColumn(body, offset);
    const where =
      at === undefined
        ? ''
        : offset === body.length
          ? ': it ends too early'
          : ` at line ${at.line}, column ${at.column}`;
    throw new TachyonError('TCH_ERR_CONFIG_FILE_INVALID', `Config file "${file}" is not valid JSON${where}.`, {
      details: { file, ...at, issues: [{ pointer: '', message: `is not valid JSON${where}` }] },
    });
  }
  return validateServeConfig(json, { baseDir: dirname(file), subject: `Config file "${file}"`, file });
}

/** Resolves every path-valued option against `baseDir` (absolute paths stay as they are). */
export function resolveConfigPaths(options: ServeFileOptions, baseDir: string): ServeFileOptions {
  const at = (p: string) => resolve(baseDir, p);
  const out: ServeFileOptions = { ...options };
  if (options.keysFile !== undefined) out.keysFile = at(options.keysFile);
  if (options.workspace !== undefined) out.workspace = at(options.workspace);
  if (options.tls !== undefined) out.tls = { certFile: at(options.tls.certFile), keyFile: at(options.tls.keyFile) };
  if (options.modelPath !== undefined) out.modelPath = options.modelPath.map(at);
  if (options.models !== undefined)
    out.models = options.models.map((m): ServedModelOptions => ({ ...m, source: resolveSource(m.source, at) }));
  return out;
}

function resolveSource(source: string | ModelSource, at: (p: string) => string): string | ModelSource {
  const isFile = (ref: string) => ref.endsWith('.onnx') || ref.endsWith('.zip');
  if (typeof source === 'string') return isFile(source) ? at(source) : source;
  if (source.kind === 'service-definition') return { ...source, path: at(source.path) };
  if (source.kind === 'model' && isFile(source.ref)) return { ...source, ref: at(source.ref) };
  return source;
}

/** "3 issues: /a: x; /b: y; /c: z." (every issue is also in details.issues). */
export function summarizeIssues(issues: readonly { pointer: string; message: string }[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.pointer === '' ? '(top level)' : i.pointer}: ${i.message}`);
  const more = issues.length - shown.length;
  return `${issues.length === 1 ? '1 issue' : `${issues.length} issues`}: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}.`;
}

const PATTERN_WORDS: Record<string, string> = {
  '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$': 'must be a model name: [A-Za-z0-9][A-Za-z0-9._-]*, at most 128 characters',
  '^https?://[^\\s]+$': 'must be an http:// or https:// URL',
  '^[1-9][0-9]*$': 'must be a version number such as "3"',
};

function toIssue(error: ErrorObject): ServeConfigIssue {
  const pointer = error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { pointer: childPointer(pointer, String(params['missingProperty'])), message: 'is required' };
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {}).filter(
        (k) => k !== '$schema' && k !== 'kind',
      );
      const near = closest(key, known);
      return {
        pointer: childPointer(pointer, key),
        message: `is not a known option${near ? ` (did you mean "${near}"?)` : ''}`,
      };
    }
    case 'type': {
      const types = [params['type']].flat().map(String);
      return {
        pointer,
        message: `must be ${types.map((t) => (t === 'object' || t === 'array' || t === 'integer' ? `an ${t}` : `a ${t}`)).join(' or ')}`,
      };
    }
    case 'enum':
      return {
        pointer,
        message: `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'pattern':
      return {
        pointer,
        message: PATTERN_WORDS[String(params['pattern'])] ?? `must match ${String(params['pattern'])}`,
      };
    case 'minLength':
      return { pointer, message: 'must not be empty' };
    case 'minItems':
      return {
        pointer,
        message: `must list at least ${String(params['limit'])} item${params['limit'] === 1 ? '' : 's'}`,
      };
    case 'minProperties':
    case 'maxProperties':
      return {
        pointer,
        message: `must hold exactly one of ${Object.keys((error.parentSchema as { properties: object }).properties)
          .map((k) => `"${k}"`)
          .join(', ')}`,
      };
    default:
      return { pointer, message: error.message ?? 'is invalid' };
  }
}

function childPointer(pointer: string, key: string): string {
  return `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** The known key a typo most likely meant: same letters ignoring case, or at most 2 edits away. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
