import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileModelSources, resolveZooModel, zooEntry, type PresetName, type ZooEntry } from '@tachyon-serve/core';

/** A model to benchmark, with everything needed to feed it. */
export interface BenchModel {
  /** Scenario-name id: the zoo id for real models, `<family>-random-fp32` for random-weight ones. */
  id: string;
  path: string;
  weights: 'real' | 'random';
  input: string;
  output: string;
  preset: PresetName;
  outputKind: 'logits' | 'probabilities';
  /** The zoo entry (real models only). */
  entry?: ZooEntry;
}

export const REAL_MODEL_IDS = ['mobilenetv2-int8', 'mobilenetv2-fp32', 'squeezenet1.1-fp32'] as const;

/** The real pretrained models of ../shared/models, resolved through the zoo (cache or mirror; never downloaded). */
export async function loadRealModels(sharedDir: string): Promise<BenchModel[]> {
  const sources = compileModelSources({ modelPath: [join(sharedDir, 'models')], allowDownload: false });
  const models: BenchModel[] = [];
  for (const id of REAL_MODEL_IDS) {
    const entry = zooEntry(id);
    const { path } = await resolveZooModel(entry, sources);
    models.push({
      id,
      path,
      weights: 'real',
      input: entry.input,
      output: entry.output,
      preset: entry.preset,
      outputKind: entry.outputKind,
      entry,
    });
  }
  return models;
}

interface ManifestModel {
  file: string;
  input: string;
  output: string;
}

/**
 * The random-weight models exported by bench/setup/prepare.sh, listed in bench/models/manifest.json. `missing` names
 * the files the manifest lists but the folder lacks; undefined when there is no manifest at all.
 */
export function loadRandomModels(modelsDir: string): { models: BenchModel[]; missing: string[] } | undefined {
  const manifestPath = join(modelsDir, 'manifest.json');
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { models: Record<string, ManifestModel> };
  const models: BenchModel[] = [];
  const missing: string[] = [];
  for (const [family, m] of Object.entries(manifest.models)) {
    const path = join(modelsDir, m.file);
    if (!existsSync(path)) {
      missing.push(m.file);
      continue;
    }
    models.push({
      id: `${family}-random-fp32`,
      path,
      weights: 'random',
      input: m.input,
      output: m.output,
      preset: 'torchvision224',
      outputKind: 'logits',
    });
  }
  return { models, missing };
}
