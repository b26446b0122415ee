export * from './dtypes.js';
export * from './tensor.js';
export * from './tensor-rows.js';
