/**
 * core/service-def — the service-definition zip: service.json (schema version 1), two-pass validation, and safe
 * packing and unpacking. See docs/service-definition.md.
 *
 * ```ts
 * import { createServiceZip, extractServiceZipToCache, validateManifestSemantics } from './service-def/index.js';
 * const { sha256 } = await createServiceZip('model_def.zip', draft, [
 *   { path: 'models/featurizer.onnx', sourcePath: '/tmp/resnet50-int8.cut.onnx' },
 *   { path: 'labels.txt', bytes: new TextEncoder().encode(labels.join('\n')) },
 * ]);
 * // loader: verified extraction into $TACHYON_CACHE_DIR/svcdef/<sha256>/, then the io pass against the real models
 * const { manifest, files } = await extractServiceZipToCache('model_def.zip');
 * validateManifestSemantics(manifest, { io: (stage) => ioOf(stage), labelCounts: new Map([['labels.txt', 1000]]) });
 * const featurizerPath = files.get('models/featurizer.onnx'); // hand this path to onnxruntime
 * ```
 */
export * from './manifest.js';
export {
  SERVICE_MANIFEST_SCHEMA,
  STAGE_KINDS,
  STAGE_NAME_PATTERN,
  FILE_PATH_PATTERN,
  SHA256_PATTERN,
} from './manifest-schema.js';
export type { ValidationIssue } from './validation-issue.js';
export { validateManifestSchema, findSchemaIssues } from './validate-manifest-schema.js';
export { validateManifestSemantics, findSemanticIssues, type SemanticContext } from './validate-manifest-semantics.js';
export { validateServiceManifest } from './validate-service-manifest.js';
export { imageStageOutput, type StageIo, type StageIoResolver } from './stage-io.js';
export { ZIP_LIMITS_DEFAULTS, compileZipLimits, type ZipLimits, type ZipLimitsConfig } from './zip-limits.js';
export {
  MANIFEST_FILE,
  createServiceZip,
  type CreateServiceZipOptions,
  type CreatedServiceZip,
  type ServiceManifestDraft,
  type ServiceZipFile,
} from './create-service-zip.js';
export { readServiceZip, type ServiceZipContents } from './read-service-zip.js';
export { extractServiceZip, type ExtractedServiceZip } from './extract-service-zip.js';
export { extractServiceZipToCache, type CachedServiceZip, type ServiceZipCacheOptions } from './service-zip-cache.js';
