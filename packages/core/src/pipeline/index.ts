export * from './service-pipeline.js';
export * from './model-service.js';
