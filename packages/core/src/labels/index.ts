export * from './imagenet-labels.js';
export * from './top-k.js';
