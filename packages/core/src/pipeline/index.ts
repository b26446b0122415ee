export * from './image-classifier.js';
