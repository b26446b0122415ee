export * from './image-classifier.js';
export * from './service-pipeline.js';
