import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../backends/backend.js';
import { createBackend } from '../backends/backend-registry.js';
import type { OutputKind } from '../labels/top-k.js';
import type { SchedulerConfig } from '../scheduler/scheduler-options.js';
import { compileModelSources, type ModelSources } from '../zoo/model-sources.js';
import { ServedModel, toModelSource, type ModelSource } from './served-model.js';

export interface OpenServedModelOptions {
  /** Where zoo ids are found. @default compileModelSources() (TACHYON_MODEL_PATH, cache, URL) */
  sources?: ModelSources;
  /** @default a new backend from createBackend(), closed with the model */
  backend?: Backend;
  /** The served name (in errors and metadata). @default 'model' */
  name?: string;
  /** Plain models: preprocessing preset. @default the zoo entry's, else read from the input shape */
  preset?: string | undefined;
  /** Plain models. @default the zoo entry's, else read from the graph (Softmax at the end -> probabilities) */
  outputKind?: OutputKind | undefined;
  /** Plain models: class names in output order. @default the 1000 ImageNet classes */
  labels?: readonly string[] | undefined;
  /** Service definitions: fuse adjacent ONNX stages. @default true */
  fuse?: boolean;
  /** @default compileSchedulerOptions({ concurrency: backend workers }) */
  scheduler?: SchedulerConfig;
}

/**
 * The engine outside a server: a zoo id, .onnx file or service definition zip as a ServedModel (the same runner,
 * scheduler and output rules the server uses), for `tachyon classify`, `svcdef run`, `evaluate`, the SDK and the
 * benches. `close()` also releases what this call created (backend, work folder).
 *
 * ```ts
 * const model = await openServedModel('squeezenet1.1-fp32', { sources });
 * const [top5] = await model.classify([jpegBytes]);
 * await model.close();
 * ```
 */
export async function openServedModel(
  ref: string | ModelSource,
  options: OpenServedModelOptions = {},
): Promise<ServedModel> {
  const source = typeof ref === 'string' ? toModelSource(ref) : ref;
  if (source.kind === 'registry')
    throw new TypeError('ref: a registry model is served through ModelHost (it needs a workspace).');
  const plain =
    source.kind === 'model'
      ? {
          ...source,
          preset: options.preset ?? source.preset,
          outputKind: options.outputKind ?? source.outputKind,
          labels: options.labels ?? source.labels,
        }
      : source;
  const ownedBackend = options.backend ? undefined : createBackend();
  const backend = options.backend ?? ownedBackend!;
  const workDir = await mkdtemp(join(tmpdir(), 'tachyon-model-'));
  const release = async () => {
    await rm(workDir, { recursive: true, force: true });
    await ownedBackend?.close();
  };
  try {
    return await ServedModel.create(options.name ?? 'model', '1', plain, {
      sources: options.sources ?? compileModelSources(),
      backend,
      workDir,
      scheduler: options.scheduler,
      fuse: options.fuse,
      release,
    });
  } catch (error) {
    await release();
    throw error;
  }
}
