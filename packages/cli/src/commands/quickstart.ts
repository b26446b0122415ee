import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { TachyonError, isTachyonError } from '@tachyon-serve/protocol';
import type { ClassifyResult, Model, Webservice, Workspace } from 'tachyon-serve';
import { createCliContext } from '../context.js';
import type { GlobalOptions } from '../main.js';
import { printClassification, printError, printJson, printLine } from '../output.js';

/** Sample images classified by default: clear top-1 classes with the zoo's ImageNet models. */
export const QUICKSTART_SAMPLES = Object.freeze([
  'n01440764_tench.JPEG',
  'n01443537_goldfish.JPEG',
  'n07747607_orange.JPEG',
]);
const BUILTIN_MODEL = 'resnet50-int8';

export interface QuickstartCliOptions {
  model?: string;
  image?: string[];
  calls?: string;
  json?: boolean;
  keep?: boolean;
}

export function registerQuickstartCommand(program: Command): void {
  const repeatable = (value: string, previous: string[] = []): string[] => [...previous, value];
  program
    .command('quickstart')
    .description(
      'the whole flow in one command: service definition, register, deploy with TLS and keys, classify, latency, clean up',
    )
    .option(
      '-m, --model <id>',
      `zoo id of the featurizer (default: defaultModel of tachyon.json, else ${BUILTIN_MODEL})`,
    )
    .option(
      '--image <file>',
      'an image to classify (repeatable; default: three samples of ../shared/images/imagenet-sample, else the copies the package carries)',
      repeatable,
    )
    .option('--calls <n>', 'calls timed for the latency percentiles', '100')
    .option(
      '--keep',
      'leave the service, the model (and a temporary workspace with its daemon) in place, and print how to remove them',
    )
    .option('--json', 'print one JSON object on stdout (progress goes to stderr)')
    .action(async (options: QuickstartCliOptions, command: Command) => {
      await runQuickstart(options, command.optsWithGlobals<GlobalOptions>());
    });
}

/** The samples the CLI package carries (samples/, 256 px copies of the three ImageNet validation images). */
export const BUNDLED_SAMPLES_DIR = fileURLToPath(new URL('../../../samples/', import.meta.url));

/**
 * ../shared/images/imagenet-sample: $TACHYON_SHARED_DIR, else ../shared beside the working directory or beside this
 * repository; else the copies the package carries, so an installed CLI needs no checkout.
 */
function sampleImages(): string[] {
  const repoRoot = resolve(fileURLToPath(new URL('../../../../../', import.meta.url)));
  const candidates = [
    process.env['TACHYON_SHARED_DIR'],
    resolve('..', 'shared'),
    resolve(repoRoot, '..', 'shared'),
  ].filter((d): d is string => d !== undefined);
  for (const dir of candidates) {
    const files = QUICKSTART_SAMPLES.map((f) => join(dir, 'images', 'imagenet-sample', f));
    if (files.every((f) => existsSync(f))) return files;
  }
  const bundled = QUICKSTART_SAMPLES.map((f) => join(BUNDLED_SAMPLES_DIR, f));
  if (bundled.every((f) => existsSync(f))) return bundled;
  candidates.push(BUNDLED_SAMPLES_DIR);
  throw new TachyonError(
    'TCH_ERR_IO_NOT_FOUND',
    'The sample images were not found; pass --image FILE or set TACHYON_SHARED_DIR.',
    { details: { searched: candidates } },
  );
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runQuickstart(options: QuickstartCliOptions, globals: GlobalOptions): Promise<void> {
  const calls = Number(options.calls ?? '100');
  if (!Number.isInteger(calls) || calls < 1)
    throw new RangeError(`--calls: expected an integer >= 1, got "${options.calls}".`);
  const images = options.image?.length ? options.image.map((f) => resolve(f)) : sampleImages();
  const progress = (line: string) => printError(line);
  const { Model, ServiceDefinition, Webservice, Workspace, defaultClassifier, featurizerStage, imageStage } =
    await import('tachyon-serve');
  const { resolveZooModel, zooEntry } = await import('@tachyon-serve/core');

  // 1. The model: --model > tachyon.json defaultModel > resnet50-int8; it must be available before anything is made.
  const context = await createCliContext(globals);
  const id = options.model ?? context.workspace.defaultModel ?? BUILTIN_MODEL;
  if (id.endsWith('.onnx'))
    throw new TypeError(
      `--model: the quickstart builds a featurizer from a zoo id such as "mobilenetv2-int8", got the file "${id}".`,
    );
  const entry = zooEntry(id);
  try {
    const found = await resolveZooModel(entry, context.sources);
    progress(`model ${id}: ${found.path} (${found.source})`);
  } catch (error) {
    if (!isTachyonError(error, 'TCH_ERR_ZOO_FETCH_FAILED')) throw error;
    throw new TachyonError(
      'TCH_ERR_ZOO_FETCH_FAILED',
      `Model "${id}" is not in the cache or a mirror folder and could not be downloaded (offline?); pass a model you have, e.g. \`--model mobilenetv2-int8 --model-path ../shared/models\`, or set TACHYON_MODEL_PATH.`,
      { details: error.details ?? {}, cause: error },
    );
  }

  // 2. The workspace: --workspace when given; otherwise a temporary one, so nothing is left registered anywhere.
  const scratch = await mkdtemp(join(tmpdir(), 'tachyon-quickstart-'));
  const temporary = globals.workspace === undefined;
  const cleanedUp: string[] = [];
  let ws: Workspace | undefined;
  let model: Model | undefined;
  let service: Webservice | undefined;
  const suffix = randomBytes(3).toString('hex');
  const name = `quickstart-${suffix}`;
  try {
    ws = temporary
      ? await Workspace.create(join(scratch, 'workspace'), { name: 'quickstart' })
      : await Workspace.fromConfig(globals.workspace);
    progress(`workspace ${ws.root}${temporary ? ' (temporary)' : ''}`);

    // 3. Service definition: image -> featurizer -> the backbone's own ImageNet head (default classifier).
    const def = new ServiceDefinition(name, `tachyon quickstart: ${id} featurizer + default classifier`);
    def.pipeline.push(
      imageStage(entry.preset),
      featurizerStage(entry.family, { dtype: entry.dtype }),
      defaultClassifier({ topK: 5 }),
    );
    const zip = join(scratch, 'model_def.zip');
    await def.save(zip, { sources: context.sources });
    progress(`saved the service definition (${def.pipeline.length} stages)`);

    // 4. Register, then get-or-deploy over TLS (self-signed for localhost) with keys.
    model = await Model.register(ws, zip, name, { description: `quickstart ${id}` });
    progress(`registered ${model.id}`);
    try {
      service = await Webservice.get(ws, name);
    } catch (error) {
      if (!isTachyonError(error, 'TCH_ERR_SERVICE_NOT_FOUND')) throw error;
      service = await Webservice.deployFromModel(ws, name, [model], undefined, { tls: 'self-signed' });
    }
    await service.waitForDeployment({ showOutput: true });

    // 5. Classify the images, then time `calls` calls of one image.
    const results = (await service.classify(images)) as ClassifyResult[];
    const bytes = await readFile(images[0]!);
    await service.classify(bytes); // warm the connection
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      const started = performance.now();
      await service.classify(bytes);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const tls = service.caFile !== undefined;
    const latency = {
      calls,
      protocol: tls ? 'https' : 'http',
      p50Ms: round(percentile(times, 50)),
      p99Ms: round(percentile(times, 99)),
    };
    const summary = {
      model: id,
      registeredModel: model.name,
      version: model.version,
      service: name,
      workspace: { root: ws.root, temporary },
      scoringUri: service.scoringUri ?? null,
      tls,
      results: results.map((r, i) => ({ file: images[i]!, top: r.top })),
      latency,
      cleanedUp,
    };

    // 6. Clean up (unless --keep): service, model, then a temporary workspace and its daemon.
    await cleanup({ ws, service, model, temporary, keep: options.keep === true, scratch, cleanedUp, progress });
    ws = undefined;
    if (options.json) {
      printJson(summary);
      return;
    }
    for (const r of summary.results) printClassification(basename(r.file), r.top, false);
    printLine(
      `latency over ${calls} calls (${tls ? 'HTTPS' : 'HTTP'}, with key): p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms`,
    );
    printLine(
      options.keep
        ? `kept: service ${name} at ${service.scoringUri ?? '?'} and model ${model.id}`
        : `cleaned up: ${cleanedUp.join(', ')}`,
    );
  } finally {
    // On failure: remove what was made, and say so.
    if (ws !== undefined)
      await cleanup({ ws, service, model, temporary, keep: options.keep === true, scratch, cleanedUp, progress }).catch(
        (e: unknown) => progress(`cleanup failed: ${String(e)}`),
      );
    else if (cleanedUp.length === 0 && !options.keep) await rm(scratch, { recursive: true, force: true });
  }
}

interface CleanupState {
  ws: Workspace;
  service: Webservice | undefined;
  model: Model | undefined;
  temporary: boolean;
  keep: boolean;
  scratch: string;
  cleanedUp: string[];
  progress: (line: string) => void;
}

async function cleanup(s: CleanupState): Promise<void> {
  if (s.keep) {
    await s.service?.close();
    await s.ws.close();
    if (s.temporary)
      s.progress(
        `kept the temporary workspace ${join(s.scratch, 'workspace')}: remove it with \`tachyon --workspace ${join(s.scratch, 'workspace')} delete ${s.service?.name ?? ''}\` and rm -r`,
      );
    return;
  }
  try {
    if (s.service) {
      await s.service.delete();
      s.cleanedUp.push(`service ${s.service.name}`);
    }
    if (s.model) {
      await s.model.delete();
      s.cleanedUp.push(`model ${s.model.id}`);
    }
    if (s.temporary) {
      await s.ws.stopDaemon();
      s.cleanedUp.push('daemon');
    }
  } finally {
    await s.ws.close();
    await rm(s.scratch, { recursive: true, force: true });
    if (s.temporary) s.cleanedUp.push('temporary workspace');
  }
  s.progress(`cleaned up: ${s.cleanedUp.join(', ')}`);
}

const round = (ms: number) => Math.round(ms * 100) / 100;
