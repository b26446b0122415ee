import { ServerCredentials, experimental } from '@grpc/grpc-js';
import type { TlsMaterial } from './tls-material.js';

type IdentityListener = experimental.IdentityCertificateUpdateListener;
type CaListener = experimental.CaCertificateUpdateListener;

/**
 * A grpc-js CertificateProvider whose identity (certificate + key) we push ourselves: `update()` on SIGHUP makes
 * grpc-js call `setSecureContext()` on its HTTP/2 servers, so new connections get the new certificate while open
 * ones (and their in-flight calls) keep the old one. grpc-js's own FileWatcherCertificateProvider polls on a timer
 * instead; we reload only material that `readTlsMaterial` has checked, at the moment the operator asks.
 */
export class ReloadableIdentityProvider implements experimental.CertificateProvider {
  #latest: experimental.IdentityCertificateUpdate;
  readonly #listeners = new Set<IdentityListener>();

  constructor(material: TlsMaterial) {
    this.#latest = { certificate: material.cert, privateKey: material.key };
  }

  update(material: TlsMaterial): void {
    this.#latest = { certificate: material.cert, privateKey: material.key };
    for (const listener of this.#listeners) listener(this.#latest);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#listeners.add(listener);
    // Deferred like grpc-js's own providers: the server registers its watcher right after this call returns.
    process.nextTick(() => {
      if (this.#listeners.has(listener)) listener(this.#latest);
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#listeners.delete(listener);
  }

  // No CA: clients are not asked for certificates (keys authenticate them).
  addCaCertificateListener(_listener: CaListener): void {}
  removeCaCertificateListener(_listener: CaListener): void {}
}

/** Server credentials for gRPC: insecure without TLS, else TLS whose certificate follows `provider.update()`. */
export function createGrpcCredentials(provider: ReloadableIdentityProvider | undefined): ServerCredentials {
  if (!provider) return ServerCredentials.createInsecure();
  // grpc-js's runtime takes (identity provider, CA provider, require client cert); its .d.ts names the first two
  // the other way round. The identity provider goes first, and no CA provider means no client certificates.
  return experimental.createCertificateProviderServerCredentials(provider, null, false);
}
