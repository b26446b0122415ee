/**
 * core/serving — the engine every entry point shares: a served model owns its runner (image pipeline or tensor
 * graph), scheduler and output rules; ModelHost keeps the loaded models (versions, budget, registry).
 *
 * ```ts
 * const host = await ModelHost.create({ sources: compileModelSources({ modelPath: ['../shared/models'] }) });
 * await host.load('mnv2', 'mobilenetv2-int8');
 * const [top5] = await host.get('mnv2').classify([jpegBytes]);
 * const res = await infer(host, { modelName: 'mnv2', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: pixels }] });
 * ```
 */
export * from './infer-types.js';
export * from './infer.js';
export * from './served-model.js';
export * from './model-host.js';
export * from './model-defaults.js';
export * from './model-control-options.js';
export * from './model-budget.js';
export * from './repository-index.js';
export * from './priority.js';
export * from './wire-tensor.js';
export { ImageRunner } from './image-runner.js';
export { TensorRunner } from './tensor-runner.js';
export type { Prepared, RequestRunner } from './request-runner.js';
export * from './open-served-model.js';
export { notFound as modelNotFound, versionNotFound as modelVersionNotFound } from './host-errors.js';
