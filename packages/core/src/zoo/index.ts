export * from './zoo-entry.js';
export * from './catalog.js';
export * from './model-sources.js';
export * from './resolve-model.js';
export * from './sha256-file.js';
export * from './resolve-model-ref.js';
