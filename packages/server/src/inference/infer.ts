import { TachyonError, formatClassification } from '@tachyon/protocol';
import { softmax, topK, type PipelineTimings } from '@tachyon/core';
import type { ModelHost } from '../model-host/model-host.js';
import { IMAGE_INPUT, SCORES_OUTPUT } from '../model-host/served-model.js';
import type { InferRequest, InferResponse, InferTensor } from './infer-types.js';

/** Where and when a request came from, beyond its message. */
export interface InferContext {
  /** performance.now() when the request arrived. @default now */
  receivedAt?: number;
  /** Absolute deadline (performance.now() ms): past it, TCH_ERR_DEADLINE_EXCEEDED, and queued work is dropped. */
  deadline?: number | undefined;
}

export interface InferLimits {
  /** @default 64 */
  maxImagesPerRequest: number;
}

/**
 * The one inference function every protocol calls. Input: `images` (BYTES, shape [N] or [N, 1], one encoded image per
 * element). Output `scores`: FP32 [N, C] class confidences (softmax applied when the model outputs logits), or with
 * the classification extension BYTES [N, K] strings "score:index:label", best first.
 */
export async function infer(host: ModelHost, request: InferRequest, limits: InferLimits, context: InferContext = {}): Promise<InferResponse> {
  const receivedAt = context.receivedAt ?? performance.now();
  const started = performance.now();
  const model = host.get(request.modelName, request.modelVersion);
  const images = imageInput(request, limits);
  const requested = request.outputs ?? [{ name: SCORES_OUTPUT }];
  for (const output of requested) {
    if (output.name !== SCORES_OUTPUT) {
      throw new TachyonError('TCH_ERR_INFER_INVALID', `Model "${model.name}" has no output "${output.name}".`, {
        details: { output: output.name, outputs: [SCORES_OUTPUT] },
      });
    }
  }
  const timings: PipelineTimings = { preprocessMs: 0, computeMs: 0, postprocessMs: 0 };
  const { scores, queueMs, batchRows } = await model.scores(images, { priority: request.priority, deadline: context.deadline, timings });
  const post = performance.now();
  const { labels, outputKind } = model.pipeline.classifier;
  const classes = labels.length;
  const outputs: InferTensor[] = requested.map((output) => {
    if (output.classification !== undefined) {
      const k = Math.min(checkK(output.classification), classes);
      const data: Uint8Array[] = [];
      for (let i = 0; i < images.length; i++) {
        for (const e of topK(scores.data.subarray(i * classes, (i + 1) * classes) as Float32Array, k, labels, outputKind)) {
          data.push(Buffer.from(formatClassification(e)));
        }
      }
      return { name: output.name, datatype: 'BYTES', shape: [images.length, k], data };
    }
    const probabilities = new Float32Array(images.length * classes);
    for (let i = 0; i < images.length; i++) {
      const row = scores.data.subarray(i * classes, (i + 1) * classes) as Float32Array;
      probabilities.set(outputKind === 'logits' ? softmax(row) : row, i * classes);
    }
    return { name: output.name, datatype: 'FP32', shape: [images.length, classes], data: probabilities };
  });
  const done = performance.now();
  return {
    ...(request.id === undefined ? {} : { id: request.id }),
    modelName: model.name,
    modelVersion: model.version,
    outputs,
    timings: {
      // Waiting, not working: before the model's queue (body parsing) plus the queue minus preprocessing.
      queueMs: started - receivedAt + Math.max(0, queueMs - timings.preprocessMs),
      preprocessMs: timings.preprocessMs,
      computeMs: timings.computeMs,
      postprocessMs: done - post,
      totalMs: done - receivedAt,
    },
    batchRows,
  };
}

function imageInput(request: InferRequest, limits: InferLimits): Uint8Array[] {
  const input = request.inputs.find((i) => i.name === IMAGE_INPUT);
  const unknown = request.inputs.filter((i) => i.name !== IMAGE_INPUT).map((i) => i.name);
  if (!input || unknown.length > 0) {
    throw new TachyonError('TCH_ERR_INFER_INVALID', `The request must have exactly one input, "${IMAGE_INPUT}" (BYTES, one encoded image per element).`, {
      details: { expected: [IMAGE_INPUT], got: request.inputs.map((i) => i.name) },
    });
  }
  const n = input.shape[0] ?? 0;
  const shapeOk = input.datatype === 'BYTES' && (input.shape.length === 1 || (input.shape.length === 2 && input.shape[1] === 1));
  if (!shapeOk || !Array.isArray(input.data) || input.data.length !== n || n < 1) {
    throw new TachyonError('TCH_ERR_INFER_INVALID', `Input "${IMAGE_INPUT}" must be BYTES of shape [N] or [N, 1] with N >= 1 encoded images.`, {
      details: { datatype: input.datatype, shape: input.shape, elements: Array.isArray(input.data) ? input.data.length : undefined },
    });
  }
  if (n > limits.maxImagesPerRequest) {
    throw new TachyonError('TCH_ERR_LIMIT_TOO_MANY_IMAGES', `The request has ${n} images; at most ${limits.maxImagesPerRequest} are allowed.`, {
      details: { images: n, maxImagesPerRequest: limits.maxImagesPerRequest },
    });
  }
  return input.data as Uint8Array[];
}

function checkK(k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new TachyonError('TCH_ERR_INFER_INVALID', `classification must be an integer >= 1, got ${k}.`);
  return k;
}
