/** Unix file-type bits of `externalFileAttributes >>> 16` (zip "version made by" 3 = Unix, the convention of yazl and Info-ZIP). */
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** The metadata of a zip entry that the safety checks look at (a subset of yauzl's Entry). */
export interface ZipEntryMeta {
  readonly externalFileAttributes: number;
  readonly generalPurposeBitFlag: number;
  readonly compressionMethod: number;
}

/**
 * Why a zip entry name is unsafe to extract, or undefined when it is a plain relative POSIX path. Names come
 * straight from the zip (no backslash translation), so a Windows-style `a\b` or `C:\x` is refused, not reinterpreted.
 */
export function unsafeEntryName(name: string): string | undefined {
  if (name === '') return 'has an empty name';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'has a control character in its name';
  if (name.includes('\\')) return 'has a backslash in its name (absolute or Windows path)';
  if (name.startsWith('/')) return 'is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter (absolute path)';
  const segments = (name.endsWith('/') ? name.slice(0, -1) : name).split('/');
  if (segments.includes('..')) return "has a '..' segment";
  if (segments.includes('.') || segments.includes('')) return "has an empty or '.' segment";
  return undefined;
}

/** Why an entry's type or encoding is refused: symlinks and other non-regular files, encryption, odd compression. */
export function unsafeEntryType(entry: ZipEntryMeta): string | undefined {
  const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (type === S_IFLNK) return 'is a symbolic link';
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) return `is a special file (unix type 0o${type.toString(8)})`;
  if ((entry.generalPurposeBitFlag & 0x1) !== 0) return 'is encrypted';
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    return `uses compression method ${entry.compressionMethod} (only 0 stored and 8 deflate are read)`;
  }
  return undefined;
}

/** A directory entry: a name ending in '/' (yazl never writes them; other zip tools do). */
export function isDirectoryEntry(name: string): boolean {
  return name.endsWith('/');
}

/** An entry name for messages: quoted, and JSON-escaped when it holds anything unprintable. */
export function quoteEntryName(name: string): string {
  const shown = name.length > 200 ? `${name.slice(0, 200)}...` : name;
  return /^[\x20-\x7e]*$/.test(shown) && !shown.includes("'") ? `'${shown}'` : JSON.stringify(shown);
}
