// The models of the peer benchmark: the real MobileNetV2 int8 of ../shared/models (through the zoo), the
// random-weight seed architectures of bench/models (bench/setup/prepare.sh), and ResNet-50 int8 made here from the
// random-weight fp32 with tachyon's own quantizer (cached in bench/models).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  compileModelSources,
  imageCalibrationSet,
  presetByName,
  quantizeOnnxFile,
  readLabelledImages,
  resolveZooModel,
  zooEntry,
} from '@tachyon-serve/core';
import { loadRandomModels } from '../models.js';
import type { SuiteModelId } from './peer-scenarios.js';

export interface SuiteModel {
  id: SuiteModelId;
  path: string;
  dtype: 'fp32' | 'int8';
  /** The ONNX model's weights. */
  weights: 'real' | 'random';
  input: string;
  output: string;
  outputKind: 'logits' | 'probabilities';
  /** torchvision architecture of the PyTorch peer. */
  torchArch: string;
  /** What the PyTorch peer's weights are, relative to the ONNX file's. */
  pytorchWeights: string;
  /** How the ONNX file was made, for the tables. */
  origin: string;
}

/** Images (the quantize bench's calibration split, i % 5 == 1 of the sorted sample set) used to calibrate int8 models. */
export async function calibrationImages(imagesDir: string, count: number): Promise<string[]> {
  const labelled = await readLabelledImages(join(imagesDir, 'labels.tsv'), imagesDir);
  return labelled
    .filter((_, i) => i % 5 === 1)
    .slice(0, count)
    .map((l) => l.file);
}

const SAME_SEED =
  'same as the ONNX file (torchvision architecture, torch.manual_seed(0) as in export-random-models.py; checked below)';

/**
 * Resolves the models of a scenario; quantizes ResNet-50 once (minmax, per-channel, `calibration` images) into
 * bench/models/resnet50-random-int8.onnx, redone when the fp32 file or the calibration list changes.
 */
export async function loadSuiteModels(
  ids: readonly SuiteModelId[],
  sharedDir: string,
  benchModelsDir: string,
  calibration: readonly string[],
  log: (m: string) => void,
): Promise<SuiteModel[]> {
  const random = loadRandomModels(benchModelsDir);
  const randomPath = (family: string): string => {
    const m = random?.models.find((r) => r.id === `${family}-random-fp32`);
    if (m === undefined)
      throw new Error(`bench/models has no ${family}-random-fp32.onnx: run \`bash bench/setup/prepare.sh\` once`);
    return m.path;
  };
  const out: SuiteModel[] = [];
  for (const id of ids) {
    if (id === 'mobilenetv2-int8') {
      const entry = zooEntry(id);
      const { path } = await resolveZooModel(
        entry,
        compileModelSources({ modelPath: [join(sharedDir, 'models')], allowDownload: false, env: {} }),
      );
      out.push({
        id,
        path,
        dtype: 'int8',
        weights: 'real',
        input: entry.input,
        output: entry.output,
        outputKind: entry.outputKind,
        torchArch: 'mobilenet_v2',
        pytorchWeights:
          'random (seed 0): the pretrained weights cannot be downloaded here; latency does not depend on the weight values',
        origin: 'real pretrained MobileNetV2, int8 QDQ file of ../shared/models',
      });
      continue;
    }
    const [family, dtype] = id.split('-') as [string, 'fp32' | 'int8'];
    const fp32 = randomPath(family);
    const base = {
      id,
      input: 'data',
      output: 'logits',
      outputKind: 'logits' as const,
      weights: 'random' as const,
      pytorchWeights: SAME_SEED,
    };
    if (dtype === 'fp32') {
      out.push({
        ...base,
        path: fp32,
        dtype,
        torchArch: family,
        origin: 'torchvision architecture, random weights (seed 0), bench/setup/prepare.sh',
      });
      continue;
    }
    const path = join(benchModelsDir, `${family}-random-int8.onnx`);
    const stampFile = `${path}.json`;
    const st = statSync(fp32);
    const stamp = JSON.stringify({
      source: fp32,
      size: st.size,
      mtimeMs: Math.round(st.mtimeMs),
      method: 'minmax',
      perChannel: true,
      calibration,
    });
    if (!existsSync(path) || !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) {
      log(
        `quantizing ${fp32} with tachyon's quantizer (minmax, per-channel, ${calibration.length} calibration images)...`,
      );
      const report = await quantizeOnnxFile(
        fp32,
        path,
        imageCalibrationSet(calibration, presetByName('torchvision224')),
        { method: 'minmax', perChannel: true },
      );
      log(`  ${report.fusion?.integerOps ?? '?'} integer kernels; ${report.warnings.join(' ') || 'no warnings'}`);
      await writeFile(stampFile, stamp);
    }
    out.push({
      ...base,
      path,
      dtype,
      torchArch: family,
      pytorchWeights: `${SAME_SEED}; int8 by torch.ao.quantization (eager, post-training static, the same ${calibration.length} calibration images)`,
      origin: `random-weight fp32 quantized by tachyon's quantizeOnnxFile (minmax, per-channel weights, ${calibration.length} sample images)`,
    });
  }
  return out;
}
