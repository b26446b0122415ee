import { IMAGE_INPUT, SCORES_OUTPUT, TachyonError } from '@tachyon-serve/protocol';
import { compilePreprocess } from '../image/preprocess-options.js';
import { tensorDimsPerImage } from '../image/preprocess.js';
import { ServicePipeline, type PipelineTimings } from '../pipeline/service-pipeline.js';
import type { ServiceManifest } from '../service-def/manifest.js';
import type { TensorMap } from '../tensor/tensor.js';
import type { InferTensor, TensorMetadata } from './infer-types.js';
import { toTensorData } from './wire-tensor.js';
import type { Prepared, RequestRunner } from './request-runner.js';

/** Every image model takes `images` (BYTES, one encoded JPEG/PNG/WebP per element) and returns `scores` (probabilities). */
export { IMAGE_INPUT, SCORES_OUTPUT };

/**
 * An image pipeline (image stage -> ONNX/Keras stages -> classifier) as the engine runs it. It takes encoded images
 * under `images` or, already preprocessed, the first model stage's own input tensor (FP32 [N, 3, H, W] under the
 * graph's name), and gives class probabilities (`scores`) and the classifier's raw input (under the producing
 * stage's output name: logits or probabilities, exactly as the graph computes them).
 */
export class ImageRunner implements RequestRunner {
  readonly kind = 'image-classifier';
  readonly #imageTensor: string;
  readonly #tensorInput: { name: string; dims: number[] } | undefined;
  readonly rawOutput: string;

  constructor(
    readonly pipeline: ServicePipeline,
    manifest: ServiceManifest,
  ) {
    const image = manifest.stages.find((s) => s.kind === 'image');
    if (!image) throw new TachyonError('TCH_ERR_SVCDEF_INVALID', 'The pipeline has no image stage.');
    this.#imageTensor = Object.values(image.outputs)[0]!;
    const reader = manifest.stages.find(
      (s) => (s.kind === 'onnx' || s.kind === 'featurizer') && Object.values(s.inputs).includes(this.#imageTensor),
    );
    const port = reader && Object.entries(reader.inputs).find(([, t]) => t === this.#imageTensor)?.[0];
    const dims = tensorDimsPerImage(compilePreprocess(image.preprocess));
    dims[0] = -1;
    this.#tensorInput = port === undefined || port === IMAGE_INPUT ? undefined : { name: port, dims };
    const classifier = manifest.stages.find((s) => s.kind === 'classifier');
    const scoresTensor = classifier?.inputs['scores'];
    const producer = manifest.stages.find(
      (s) => scoresTensor !== undefined && Object.values(s.outputs).includes(scoresTensor),
    );
    this.rawOutput =
      (producer && Object.entries(producer.outputs).find(([, t]) => t === scoresTensor)?.[0]) ?? SCORES_OUTPUT;
  }

  get labels(): readonly string[] {
    return this.pipeline.classifier.labels;
  }

  metadata(): { inputs: TensorMetadata[]; outputs: TensorMetadata[] } {
    const classes = this.labels.length;
    const inputs: TensorMetadata[] = [{ name: IMAGE_INPUT, datatype: 'BYTES', shape: [-1] }];
    if (this.#tensorInput)
      inputs.push({ name: this.#tensorInput.name, datatype: 'FP32', shape: this.#tensorInput.dims });
    const outputs: TensorMetadata[] = [{ name: SCORES_OUTPUT, datatype: 'FP32', shape: [-1, classes] }];
    if (this.rawOutput !== SCORES_OUTPUT)
      outputs.push({ name: this.rawOutput, datatype: 'FP32', shape: [-1, classes] });
    return { inputs, outputs };
  }

  defaultOutputs(inputs: readonly InferTensor[]): string[] {
    return inputs[0]?.name === IMAGE_INPUT ? [SCORES_OUTPUT] : [this.rawOutput];
  }

  /** Checks the request's one input; returns its rows and a function that decodes/preprocesses it. */
  accept(
    inputs: readonly InferTensor[],
    maxRows: number,
  ): { rows: number; prepare: (timings: PipelineTimings) => Promise<Prepared> } {
    const names = inputs.map((i) => i.name);
    const input = inputs[0];
    const accepted = this.#tensorInput ? [IMAGE_INPUT, this.#tensorInput.name] : [IMAGE_INPUT];
    if (inputs.length !== 1 || !accepted.includes(input!.name)) {
      throw new TachyonError(
        'TCH_ERR_INFER_INVALID',
        `The request must have exactly one input, one of ${accepted.map((n) => `"${n}"`).join(', ')}.`,
        {
          details: { expected: accepted, got: names },
        },
      );
    }
    if (input!.name === IMAGE_INPUT) {
      const images = checkImages(input!);
      checkRows(images.length, maxRows);
      return { rows: images.length, prepare: (timings) => this.pipeline.prepare(images, timings) };
    }
    const tensor = toTensorData(input!, { dtype: 'float32', dims: this.#tensorInput!.dims });
    const rows = tensor.dims[0]!;
    if (rows < 1)
      throw new TachyonError('TCH_ERR_TENSOR_SHAPE_MISMATCH', `Input "${input!.name}" must have at least one row.`, {
        details: { input: input!.name, shape: tensor.dims },
      });
    checkRows(rows, maxRows);
    const tensors: TensorMap = { [this.#imageTensor]: tensor };
    return { rows, prepare: async () => ({ rows, tensors }) };
  }

  async execute(batch: Prepared[], timings: PipelineTimings): Promise<TensorMap[]> {
    const parts = await this.pipeline.scoreBatch(batch, timings);
    return parts.map((scores) => ({ [this.rawOutput]: scores }));
  }

  close(): Promise<void> {
    return this.pipeline.close();
  }
}

function checkImages(input: InferTensor): Uint8Array[] {
  const n = input.shape[0] ?? 0;
  const shapeOk =
    input.datatype === 'BYTES' && (input.shape.length === 1 || (input.shape.length === 2 && input.shape[1] === 1));
  if (!shapeOk || !Array.isArray(input.data) || input.data.length !== n || n < 1) {
    throw new TachyonError(
      'TCH_ERR_INFER_INVALID',
      `Input "${IMAGE_INPUT}" must be BYTES of shape [N] or [N, 1] with N >= 1 encoded images.`,
      {
        details: {
          datatype: input.datatype,
          shape: input.shape,
          elements: Array.isArray(input.data) ? input.data.length : undefined,
        },
      },
    );
  }
  return input.data as Uint8Array[];
}

/** At most `maxRows` images (or tensor rows) per request. */
export function checkRows(rows: number, maxRows: number): void {
  if (rows > maxRows) {
    throw new TachyonError(
      'TCH_ERR_LIMIT_TOO_MANY_IMAGES',
      `The request has ${rows} rows; at most ${maxRows} are allowed.`,
      {
        details: { images: rows, maxImagesPerRequest: maxRows },
      },
    );
  }
}
