import { readFile, stat } from 'node:fs/promises';
import { TachyonError } from '@tachyon-serve/protocol';
import { generateKey, generateServiceKeys, type ServiceKeys } from '../auth/service-keys.js';

const MIN_KEY_LENGTH = 16;

/** The service keys and the admin key (model control: `/v2/repository/...`). */
export interface ServerKeys extends ServiceKeys {
  admin: string;
}

/** A keys file: the service keys, and the admin key when the file has one. */
export type KeysFile = ServiceKeys & { admin?: string };

/**
 * The keys a server accepts: from a JSON file `{"primary": "...", "secondary": "...", "admin"?: "..."}` (re-read by
 * `reload()`, so keys rotate without a restart) or generated once at startup (256 bits each); an admin key the file
 * does not give is generated too. `accepted()` (service keys) and `adminKey` are what the protocol adapters check on
 * each request. Keys are never logged; warnings name the file, never its content.
 */
export class KeyStore {
  #keys: Readonly<ServerKeys> | undefined;
  #accepted: readonly string[];
  readonly #adminGenerated: boolean;
  readonly #generatedAdmin: string;

  private constructor(
    keys: KeysFile | undefined,
    /** The keys file, or undefined when generated (or with no auth). */
    readonly file: string | undefined,
    readonly generated: boolean,
  ) {
    this.#generatedAdmin = generateKey();
    this.#adminGenerated = keys !== undefined && keys.admin === undefined;
    this.#keys =
      keys &&
      Object.freeze({ primary: keys.primary, secondary: keys.secondary, admin: keys.admin ?? this.#generatedAdmin });
    this.#accepted = keys ? Object.freeze([keys.primary, keys.secondary]) : Object.freeze([]);
  }

  /** No file: fresh keys. `auth: false` (--no-auth): a store that accepts nothing and is never consulted. */
  static async create(options: {
    file?: string | undefined;
    auth: boolean;
    warn?: (message: string) => void;
  }): Promise<KeyStore> {
    if (!options.auth) return new KeyStore(undefined, undefined, false);
    if (options.file === undefined) return new KeyStore(generateServiceKeys(), undefined, true);
    return new KeyStore(await readKeysFile(options.file, options.warn), options.file, false);
  }

  get keys(): Readonly<ServerKeys> | undefined {
    return this.#keys;
  }

  /** The admin key in force, or undefined with no auth. */
  get adminKey(): string | undefined {
    return this.#keys?.admin;
  }

  /** Whether the admin key was generated at startup (no keys file, or one without "admin"): show it once. */
  get adminKeyGenerated(): boolean {
    return this.#adminGenerated;
  }

  /** Every key in force (service and admin), for scrubbing log lines. */
  secrets(): readonly string[] {
    return this.#keys ? [this.#keys.primary, this.#keys.secondary, this.#keys.admin] : [];
  }

  get enabled(): boolean {
    return this.#keys !== undefined;
  }

  /** The keys a request may carry right now (primary, secondary). */
  accepted(): readonly string[] {
    return this.#accepted;
  }

  /**
   * Re-reads the keys file. On any error the current keys stay in force and the error is thrown, so a half-written
   * file never locks clients out. Returns whether the service keys changed. Generated keys are kept as they are, and
   * so is the admin key: it is read at startup only (the HTTP server is built with it), so rotating it needs a restart.
   */
  async reload(warn?: (message: string) => void): Promise<boolean> {
    if (this.file === undefined) return false;
    const next = await readKeysFile(this.file, warn);
    const changed = next.primary !== this.#keys?.primary || next.secondary !== this.#keys?.secondary;
    this.#keys = Object.freeze({
      primary: next.primary,
      secondary: next.secondary,
      admin: this.#keys?.admin ?? next.admin ?? this.#generatedAdmin,
    });
    this.#accepted = Object.freeze([next.primary, next.secondary]);
    return changed;
  }
}

export async function readKeysFile(file: string, warn?: (message: string) => void): Promise<KeysFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
    const mode = (await stat(file)).mode;
    if ((mode & 0o077) !== 0 && process.platform !== 'win32') {
      warn?.(`keys file "${file}" is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
    }
  } catch (cause) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Keys file "${file}" does not exist or cannot be read.`, {
      details: { file },
      cause,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // No cause: the parser's message would quote the file's content.
    throw new TachyonError('TCH_ERR_CONFIG_INVALID', `Keys file "${file}" is not valid JSON.`, { details: { file } });
  }
  const issues: string[] = [];
  const object =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (!object) issues.push('the top level must be an object {"primary": ..., "secondary": ...}');
  for (const name of ['primary', 'secondary']) {
    const value = object?.[name];
    if (object && (typeof value !== 'string' || value.length < MIN_KEY_LENGTH || /\s/.test(value))) {
      issues.push(`"${name}" must be a string of at least ${MIN_KEY_LENGTH} characters without whitespace`);
    }
  }
  const admin = object?.['admin'];
  if (
    object &&
    admin !== undefined &&
    (typeof admin !== 'string' || admin.length < MIN_KEY_LENGTH || /\s/.test(admin))
  ) {
    issues.push(`"admin", when given, must be a string of at least ${MIN_KEY_LENGTH} characters without whitespace`);
  }
  if (issues.length === 0 && object!['primary'] === object!['secondary'])
    issues.push('"primary" and "secondary" must differ');
  if (issues.length === 0 && (admin === object!['primary'] || admin === object!['secondary']))
    issues.push('"admin" must differ from the service keys');
  if (issues.length > 0) {
    throw new TachyonError('TCH_ERR_CONFIG_INVALID', `Keys file "${file}" is invalid: ${issues.join('; ')}.`, {
      details: { file, issues },
    });
  }
  return Object.freeze({
    primary: object!['primary'] as string,
    secondary: object!['secondary'] as string,
    ...(typeof admin === 'string' ? { admin } : {}),
  });
}
