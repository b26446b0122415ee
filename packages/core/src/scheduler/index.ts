/**
 * core/scheduler — one model's request queue: dynamic batching with a latency bound, priorities, deadlines and a
 * bounded queue (docs/scheduling.md).
 *
 * ```ts
 * const scheduler = new ModelScheduler<Float32Array, Float32Array>('resnet50', runBatch, compileSchedulerOptions({ maxBatchSize: 8 }));
 * const { result, queueMs, batchRows } = await scheduler.submit({ rows: 1, prepare: () => preprocess(bytes) });
 * await scheduler.drain(); // before closing the session
 * ```
 */
export * from './scheduler-options.js';
export * from './scheduler-types.js';
export * from './model-scheduler.js';
