import type { ServiceManifest } from './manifest.js';
import { validateManifestSchema } from './validate-manifest-schema.js';
import { validateManifestSemantics, type SemanticContext } from './validate-manifest-semantics.js';

/**
 * Both passes on a parsed service.json: pass 1 (schema) and, only when it passes, pass 2 (semantics, with whatever
 * `context` the caller has). Throws TCH_ERR_SVCDEF_UNSUPPORTED_VERSION or one TCH_ERR_SVCDEF_INVALID listing every
 * issue of the first pass that fails.
 */
export function validateServiceManifest(json: unknown, context: SemanticContext = {}): ServiceManifest {
  return validateManifestSemantics(validateManifestSchema(json), context);
}
