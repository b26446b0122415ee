/**
 * @tachyon/server — protocol adapters (HTTP with fastify, gRPC with grpc-js) over one internal infer function.
 *
 * ```ts
 * import { ModelHost, infer } from '@tachyon/server';
 * import { compileModelSources } from '@tachyon/core';
 * const host = await ModelHost.create({ sources: compileModelSources({ modelPath: ['../shared/models'] }) });
 * await host.load('mnv2', { kind: 'model', ref: 'mobilenetv2-int8' });
 * const res = await infer(host, { modelName: 'mnv2', inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], data: [jpeg] }],
 *   outputs: [{ name: 'scores', classification: 5 }] }, { maxImagesPerRequest: 64 });
 * await host.close();
 * ```
 */
export * from './inference/infer-types.js';
export * from './inference/infer.js';
export * from './model-host/served-model.js';
export * from './model-host/model-host.js';
export * from './auth/service-keys.js';
