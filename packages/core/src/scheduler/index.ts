export * from './scheduler-options.js';
