import { TachyonError } from '@tachyon-serve/protocol';
import { declaredModelIo, graphOf, type OnnxModel, type TensorInfo } from '../graph/index.js';
import { PRESET_NAMES, presetByName, type PresetName } from '../image/presets.js';
import type { OutputKind } from '../labels/top-k.js';
import type { ZooEntry } from '../zoo/zoo-entry.js';

/** How a plain ONNX classifier is served, decided once per model (every entry point reads this, never its own default). */
export interface ImageModelDefaults {
  input: string;
  output: string;
  preset: PresetName;
  outputKind: OutputKind;
  /** Where each choice came from, for `--print-config`-style explanations and errors. */
  from: { preset: 'option' | 'zoo' | 'input-shape'; outputKind: 'option' | 'zoo' | 'graph' };
}

export interface ImageModelChoices {
  /** @default the zoo entry's, else read from the input shape (224 -> torchvision224, 227 -> caffe227) */
  preset?: string | undefined;
  /** @default the zoo entry's, else 'probabilities' when the graph ends in Softmax, else 'logits' */
  outputKind?: OutputKind | undefined;
}

/** The ops a Softmax may hide behind at the end of a graph without changing what its values mean. */
const PASS_THROUGH = new Set(['Identity', 'Flatten', 'Reshape', 'Squeeze', 'QuantizeLinear', 'DequantizeLinear']);

/**
 * Whether `output` is a softmax: walks back from the output through Identity, Flatten, Reshape, Squeeze and
 * Quantize/DequantizeLinear (the shared models end in Gemm -> Identity, Q -> DQ, Flatten -> Softmax) to its producer.
 */
export function graphOutputKind(model: OnnxModel, output: string): OutputKind {
  const producers = new Map<string, { opType: string; input: readonly string[] }>();
  for (const node of graphOf(model).node ?? []) {
    for (const name of node.output ?? []) producers.set(name, { opType: node.opType ?? '', input: node.input ?? [] });
  }
  let tensor = output;
  for (let steps = 0; steps < 64; steps++) {
    const node = producers.get(tensor);
    if (!node) return 'logits';
    if (node.opType === 'Softmax') return 'probabilities';
    if (!PASS_THROUGH.has(node.opType) || node.input[0] === undefined) return 'logits';
    tensor = node.input[0];
  }
  return 'logits';
}

/** The preset an image input's shape implies: [N, 3, 224, 224] -> torchvision224, [N, 3, 227, 227] -> caffe227. */
export function presetForInput(input: TensorInfo): PresetName | undefined {
  const [, , h, w] = input.dims;
  if (h === 224 && w === 224) return 'torchvision224';
  if (h === 227 && w === 227) return 'caffe227';
  return undefined;
}

/** True for a model that takes one FP32 image tensor [N, 3, H, W]: it is served as an image classifier. */
export function isImageInput(input: TensorInfo | undefined): input is TensorInfo {
  return input !== undefined && input.dtype === 'float32' && input.dims.length === 4 && input.dims[1] === 3;
}

/**
 * Decides input/output names, preset and output kind for a plain classifier: option > zoo entry > the graph itself.
 * Throws TCH_ERR_IMAGE_PRESET_REQUIRED when no preset can be told (name the choices: `--preset`).
 */
export function resolveImageModelDefaults(
  model: OnnxModel,
  entry: ZooEntry | undefined,
  choices: ImageModelChoices = {},
): ImageModelDefaults {
  const io = declaredModelIo(model);
  const inputInfo = entry ? io.inputs.find((i) => i?.name === entry.input) : io.inputs[0];
  const input = entry?.input ?? inputInfo?.name;
  const output = entry?.output ?? io.outputs[0]?.name;
  if (input === undefined || output === undefined) {
    throw new TachyonError('TCH_ERR_MODEL_LOAD_FAILED', 'The model declares no typed input or output to serve.', {
      details: { inputs: io.inputs.length, outputs: io.outputs.length },
    });
  }
  let preset: PresetName | undefined;
  let presetFrom: ImageModelDefaults['from']['preset'] = 'option';
  if (choices.preset !== undefined) preset = presetByName(choices.preset) && (choices.preset as PresetName);
  else if (entry) [preset, presetFrom] = [entry.preset, 'zoo'];
  else if (inputInfo) [preset, presetFrom] = [presetForInput(inputInfo), 'input-shape'];
  if (preset === undefined) {
    throw new TachyonError(
      'TCH_ERR_IMAGE_PRESET_REQUIRED',
      `Cannot tell the preprocessing of input "${input}" from its shape; choose a preset (--preset).`,
      {
        details: { input, dims: inputInfo?.dims, presets: [...PRESET_NAMES] },
      },
    );
  }
  let outputKind: OutputKind;
  let kindFrom: ImageModelDefaults['from']['outputKind'] = 'option';
  if (choices.outputKind !== undefined) outputKind = checkOutputKind(choices.outputKind);
  else if (entry) [outputKind, kindFrom] = [entry.outputKind, 'zoo'];
  else [outputKind, kindFrom] = [graphOutputKind(model, output), 'graph'];
  return { input, output, preset, outputKind, from: { preset: presetFrom, outputKind: kindFrom } };
}

function checkOutputKind(kind: string): OutputKind {
  if (kind !== 'logits' && kind !== 'probabilities') {
    throw new TachyonError('TCH_ERR_CONFIG_INVALID', `Output kind "${kind}" is not one of "logits", "probabilities".`, {
      details: { outputKind: kind, choices: ['logits', 'probabilities'] },
    });
  }
  return kind;
}
