export * from './backend.js';
export * from './backend-registry.js';
export * from './session-options.js';
export * from './validate-feeds.js';
export * from './onnxruntime-backend.js';
