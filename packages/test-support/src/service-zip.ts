// Service-definition fixtures: a zip built byte by byte (for attacks yazl will not write) and a valid example manifest.
export * from './raw-zip.js';
export * from './example-manifest.js';
