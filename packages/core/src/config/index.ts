export * from './workspace-config.js';
