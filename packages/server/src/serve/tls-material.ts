import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { TachyonError } from '@tachyon-serve/protocol';

/** A certificate chain and its private key, PEM, as read from the two files of --tls-cert / --tls-key. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Subject, issuer and expiry of the leaf, for the startup log line (never key material). */
  readonly summary: { subject: string; issuer: string; validTo: string; fingerprint256: string };
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/**
 * Reads and checks the pair: both parse as PEM, the key matches the leaf certificate, and Node can build a secure
 * context from them. Errors name the files, never their content.
 */
export async function readTlsMaterial(files: TlsFiles): Promise<TlsMaterial> {
  const read = async (file: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (cause) {
      throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `TLS ${what} file "${file}" does not exist or cannot be read.`, {
        details: { file },
        cause,
      });
    }
  };
  const [cert, key] = await Promise.all([read(files.certFile, 'certificate'), read(files.keyFile, 'key')]);
  const invalid = (reason: string) =>
    new TachyonError(
      'TCH_ERR_SERVER_TLS_INVALID',
      `TLS certificate "${files.certFile}" and key "${files.keyFile}" are not usable: ${reason}.`,
      {
        details: { certFile: files.certFile, keyFile: files.keyFile, reason },
      },
    );
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw invalid('the certificate file is not a PEM X.509 certificate');
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw invalid('the key file is not an unencrypted PEM private key');
  }
  if (!leaf.checkPrivateKey(privateKey)) throw invalid('the private key does not belong to the certificate');
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw invalid(
      `Node cannot build a TLS context from them (${(error as { code?: string }).code ?? 'unknown reason'})`,
    );
  }
  return Object.freeze({
    cert,
    key,
    summary: Object.freeze({
      subject: leaf.subject.replace(/\n/g, ', '),
      issuer: leaf.issuer.replace(/\n/g, ', '),
      validTo: leaf.validTo,
      fingerprint256: leaf.fingerprint256,
    }),
  });
}
