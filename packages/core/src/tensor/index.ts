export * from './dtypes.js';
export * from './tensor.js';
