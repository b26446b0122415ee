import { TachyonError } from '@tachyon-serve/protocol';

/** The reason a failed load shows in the repository index: its code and message (never an unexpected error's text). */
export function reasonOf(error: unknown): string {
  return error instanceof TachyonError
    ? `${error.code}: ${error.message}`
    : 'load failed: an unexpected error (see the server log)';
}

/** TCH_ERR_MODEL_NOT_FOUND for a name; `served` lists what is. */
export function notFound(name: string, served: string[]): TachyonError {
  return new TachyonError('TCH_ERR_MODEL_NOT_FOUND', `No model named "${name}" is served.`, {
    details: { model: name, served },
  });
}

/** TCH_ERR_MODEL_NOT_FOUND for a version; `versions` lists the ready ones. */
export function versionNotFound(name: string, version: string, versions: string[]): TachyonError {
  return new TachyonError('TCH_ERR_MODEL_NOT_FOUND', `Model "${name}" has no version "${version}".`, {
    details: { model: name, version, versions },
  });
}
