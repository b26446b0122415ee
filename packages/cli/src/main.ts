import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { reportError } from './output.js';
import { registerK8sCommands } from './commands/k8s.js';
import { registerDaemonCommands } from './commands/daemon.js';
import { registerDeployCommands } from './commands/deploy.js';
import { registerQuickstartCommand } from './commands/quickstart.js';
import { registerCompletionCommand } from './commands/completion.js';

// Commands import @tachyon-serve/core lazily, so `tachyon --help` never loads onnxruntime or sharp.
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.slice(2).includes('--json');
  if (json) {
    // With --json, commander's own messages (usage errors) are not printed: the error goes out as JSON on stdout.
    const quiet = (command: Command): void => {
      command.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
      command.commands.forEach(quiet);
    };
    quiet(program);
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with their own code 0; every other commander error is a usage error.
      if (
        error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return error.exitCode;
      return reportError(error, { json, usage: true });
    }
    return reportError(error, { json });
  }
}

/** The CLI's version: the `version` of its own package.json (dist/src/main.js -> ../../package.json). */
export function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

export interface GlobalOptions {
  workspace?: string;
  modelPath?: string;
  cacheDir?: string;
  offline?: boolean;
}

function buildProgram(): Command {
  const program = new Command('tachyon')
    .description('Low-latency image model serving on ONNX Runtime')
    .version(cliVersion())
    .option('--workspace <dir>', 'folder holding tachyon.json (default: searched from the working directory upward)')
    .option(
      '--model-path <dirs>',
      'mirror folders for zoo models, ":"-separated (overrides TACHYON_MODEL_PATH and tachyon.json)',
    )
    .option('--cache-dir <dir>', 'model download cache (overrides TACHYON_CACHE_DIR; default ~/.cache/tachyon)')
    .option('--offline', 'never download: use only the cache and the mirror folders')
    .exitOverride()
    .showHelpAfterError();

  program
    .command('classify')
    .description('classify images with a zoo model or an .onnx file; prints the top-K labels per image')
    .argument('<images...>', 'JPEG, PNG or WebP files')
    .option(
      '-m, --model <id|file.onnx>',
      'zoo id or .onnx file (default: defaultModel of tachyon.json, else resnet50-int8)',
    )
    .option(
      '--preset <name>',
      "preprocessing preset: torchvision224 | caffe227 | caffe224 (default: the model's, else from the input shape)",
    )
    .addOption(
      new Option(
        '--output-kind <kind>',
        "what the model outputs (default: the zoo model's, else probabilities when the graph ends in Softmax)",
      ).choices(['logits', 'probabilities']),
    )
    .addOption(new Option('--top <k>', 'how many classes to print').default('5'))
    .option('--labels <file>', 'class names, one per line in output order (default: ImageNet)')
    .option('--json', 'one JSON object per line per image on stdout')
    .action(async (images: string[], options, command: Command) => {
      const { runClassify } = await import('./commands/classify.js');
      await runClassify(images, options, command.optsWithGlobals<GlobalOptions>());
    });

  program
    .command('train-head')
    .description(
      "train a classifier head on a featurizer's features of a folder of labelled images (one sub-folder per class); writes a service definition",
    )
    .requiredOption('--featurizer <family|id>', 'zoo backbone, e.g. mobilenetv2 (with --dtype) or mobilenetv2-int8')
    .addOption(
      new Option('--dtype <dtype>', 'backbone precision when --featurizer is a family')
        .choices(['fp32', 'int8'])
        .default('fp32'),
    )
    .requiredOption('--images <dir>', 'folder with one sub-folder of JPEG/PNG/WebP images per class')
    .requiredOption('-o, --out <file>', 'service definition zip to write')
    .option('--epochs <n>', 'training epochs (default 30)')
    .option('--validation-split <f>', 'fraction of each class held out for validation, in [0, 1) (default 0.2)')
    .option('--seed <n>', 'seed of the split, initialization, batch order and dropout (default 0)')
    .option('--learning-rate <f>', 'Adam learning rate (default 0.001)')
    .option('--batch-size <n>', 'training batch size (default 32)')
    .option('--hidden <n>', 'units of a hidden relu layer; 0 = linear softmax head (default 0)')
    .addOption(new Option('--top <k>', 'classes returned per image by the service').default('5'))
    .option('--feature-cache <dir>', 'feature vector cache (default: <cache dir>/features)')
    .option('--json', 'print the summary as JSON')
    .action(async (options, command: Command) => {
      const { runTrainHead } = await import('./commands/train-head.js');
      await runTrainHead(options, command.optsWithGlobals<GlobalOptions>());
    });

  // int8 quantization and accuracy (docs/quantization.md)
  program
    .command('quantize')
    .description('quantize an fp32 model to int8 (QDQ, onnxruntime integer kernels), calibrated on a folder of images')
    .argument('<model>', 'zoo id or .onnx file (fp32)')
    .requiredOption('--calibration <dir>', 'folder of JPEG/PNG/WebP calibration images')
    .requiredOption('-o, --out <file>', 'int8 .onnx file to write')
    .addOption(
      new Option('--method <method>', 'activation ranges from the calibration runs')
        .choices(['minmax', 'entropy', 'percentile'])
        .default('minmax'),
    )
    .option('--per-channel', 'int8 weights with one scale per output channel (the default)', true)
    .option('--no-per-channel', 'one weight scale per tensor instead')
    .option('--samples <n>', 'calibration images, spread evenly over the sorted folder', '200')
    .option('--percentile <p>', 'kept percentile of |x| for --method percentile (default 99.999)')
    .addOption(
      new Option('--activation-type <type>', 'activation element type').choices(['uint8', 'int8']).default('uint8'),
    )
    .option('--preset <name>', "preprocessing preset (default: the zoo model's; required for a bare .onnx file)")
    .option('--json', 'print the report as JSON')
    .action(async (model: string, options, command: Command) => {
      const { runQuantize } = await import('./commands/quantize.js');
      await runQuantize(model, options, command.optsWithGlobals<GlobalOptions>());
    });
  program
    .command('evaluate')
    .description('top-1/top-5 accuracy of one or two models on labelled images; with two, their difference')
    .argument('<models...>', 'zoo ids or .onnx files (e.g. the fp32 model, then its int8 version)')
    .requiredOption('--images <dir>', 'folder of the images')
    .requiredOption(
      '--labels <file>',
      'labels.tsv: a header with file and class_index columns (or FILE<TAB>INDEX lines)',
    )
    .option('--preset <name>', "preprocessing preset (default: the zoo model's, else torchvision224)")
    .option('--limit <n>', 'only the first N labelled images')
    .option('--json', 'print JSON')
    .action(async (models: string[], options, command: Command) => {
      const { runEvaluate } = await import('./commands/evaluate.js');
      await runEvaluate(models, options, command.optsWithGlobals<GlobalOptions>());
    });

  const zoo = program.command('zoo').description('the model zoo catalog');
  zoo
    .command('list')
    .description('list the catalog: id, size, preset, accuracy, and whether it is available offline')
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const { runZooList } = await import('./commands/zoo.js');
      await runZooList(options, command.optsWithGlobals<GlobalOptions>());
    });
  zoo
    .command('pull')
    .description('fetch a model into the cache (from a mirror folder or its URL), verifying its sha256')
    .argument('<id>', 'zoo id, e.g. resnet50-int8')
    .option('--json', 'print JSON')
    .action(async (id: string, options, command: Command) => {
      const { runZooPull } = await import('./commands/zoo.js');
      await runZooPull(id, options, command.optsWithGlobals<GlobalOptions>());
    });
  const svcdef = program.command('svcdef').description('service definitions: a pipeline of stages saved as one zip');
  svcdef
    .command('create')
    .description('build image -> featurizer -> head -> classifier and save it as a zip')
    .requiredOption('-o, --out <file>', 'zip to write, e.g. model_def.zip')
    .requiredOption(
      '--featurizer <family>',
      'zoo backbone: resnet50, resnet152, densenet121, vgg16, mobilenetv2, squeezenet1.1',
    )
    .addOption(new Option('--dtype <dtype>', 'backbone precision').choices(['fp32', 'int8']).default('fp32'))
    .option('--preset <name>', "preprocessing preset (default: the backbone's)")
    .option('--head <file.onnx>', "an ONNX head on the features instead of the backbone's own ImageNet head")
    .option('--keras <dir>', 'a Keras head (TensorFlow.js layers folder, e.g. from `tachyon train-head`)')
    .option('--labels <file>', 'class names of a custom head, one per line (default: <keras dir>/labels.txt)')
    .addOption(new Option('--output-kind <kind>', 'what a custom head outputs').choices(['logits', 'probabilities']))
    .addOption(new Option('--top <k>', 'classes returned per image').default('5'))
    .option('--name <name>', 'definition name (default: the zoo id)')
    .option(
      '--quantize-calibration <dir>',
      'quantize the fp32 featurizer to int8 on save, calibrated on this folder of images (docs/quantization.md)',
    )
    .addOption(
      new Option('--quantize-method <method>', 'calibration method (default minmax)').choices([
        'minmax',
        'entropy',
        'percentile',
      ]),
    )
    .option('--quantize-samples <n>', 'calibration images, spread evenly over the sorted folder (default 200)')
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const { runSvcdefCreate } = await import('./commands/svcdef.js');
      await runSvcdefCreate(options, command.optsWithGlobals<GlobalOptions>());
    });
  svcdef
    .command('inspect')
    .description('show stages, tensors, files, sizes and sha256 (after validating the zip)')
    .argument('<zip>')
    .option('--json', 'print JSON')
    .action(async (zip: string, options, command: Command) => {
      const { runSvcdefInspect } = await import('./commands/svcdef.js');
      await runSvcdefInspect(zip, options, command.optsWithGlobals<GlobalOptions>());
    });
  svcdef
    .command('validate')
    .description('unpack safely and validate schema and semantics against the real models; every issue at once')
    .argument('<zip>')
    .option('--json', 'print JSON')
    .action(async (zip: string, options, command: Command) => {
      const { runSvcdefValidate } = await import('./commands/svcdef.js');
      await runSvcdefValidate(zip, options, command.optsWithGlobals<GlobalOptions>());
    });
  svcdef
    .command('run')
    .description('classify images with a service definition')
    .argument('<zip>')
    .argument('<images...>')
    .option('--json', 'one JSON object per line per image')
    .option('--no-fuse', 'run every stage separately instead of fusing adjacent ONNX stages')
    .action(async (zip: string, images: string[], options, command: Command) => {
      const { runSvcdefRun } = await import('./commands/svcdef.js');
      await runSvcdefRun(zip, images, options, command.optsWithGlobals<GlobalOptions>());
    });

  // workspaces and the model registry (docs/registry.md)
  const repeatable = (value: string, previous: string[] = []): string[] => [...previous, value];
  const workspace = program
    .command('workspace')
    .description('workspaces: tachyon.json, the model registry and the admin key');
  workspace
    .command('create')
    .description(
      'create a workspace in DIR: tachyon.json, .tachyon/admin.key (mode 0600), the registry and the artifact folder',
    )
    .argument('<dir>', 'folder to create the workspace in (made if missing)')
    .option('--name <name>', 'workspace name (default: the folder name)')
    .option('--registry <file|url>', 'SQLite file relative to DIR, or a postgres:// URL (default: registry.db)')
    .option('--json', 'print JSON')
    .action(async (dir: string, options) => {
      const { runWorkspaceCreate } = await import('./commands/workspace.js');
      await runWorkspaceCreate(dir, options);
    });
  workspace
    .command('show')
    .description('show the workspace found by --workspace or from the working directory upward')
    .option('--admin-key', 'print the admin key (a secret) instead')
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const { runWorkspaceShow } = await import('./commands/workspace.js');
      await runWorkspaceShow(options, command.optsWithGlobals<GlobalOptions>());
    });
  workspace
    .command('migrate')
    .description(
      "move the workspace's embedded SQLite registry (rows, deployment rows and artifacts) into an empty PostgreSQL database and point tachyon.json at it",
    )
    .requiredOption(
      '--to <url>',
      'postgres://USER@HOST[:PORT]/DB, or postgres://USER@/DB?host=SOCKET_DIR (keep the password in PGPASSWORD)',
    )
    .option('--keep-artifacts', 'leave artifacts in the artifact folder (only rows move)')
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const { runWorkspaceMigrate } = await import('./commands/workspace-migrate.js');
      await runWorkspaceMigrate(options, command.optsWithGlobals<GlobalOptions>());
    });

  const model = program
    .command('model')
    .description('the model registry: versioned service definitions and ONNX models');
  model
    .command('register')
    .description('register a service-definition zip or an .onnx file as the next version of NAME')
    .argument('<file>', 'model_def.zip or model.onnx')
    .requiredOption('--name <name>', 'model name: lowercase [a-z0-9][a-z0-9._-]*')
    .option('--description <text>', 'free text')
    .option('--tag <key=value>', 'a tag (repeatable)', repeatable)
    .option('--property <key=value>', 'a fixed property (repeatable)', repeatable)
    .option('--json', 'print {"name", "version", "sha256", "size"}')
    .action(async (file: string, options, command: Command) => {
      const { runModelRegister } = await import('./commands/model.js');
      await runModelRegister(file, options, command.optsWithGlobals<GlobalOptions>());
    });
  model
    .command('list')
    .description('list registered model versions')
    .option('--name <name>', 'only versions of this model')
    .option('--tag <key[=value]>', 'only versions carrying this tag (with this value)')
    .option('--json', 'print a JSON array')
    .action(async (options, command: Command) => {
      const { runModelList } = await import('./commands/model.js');
      await runModelList(options, command.optsWithGlobals<GlobalOptions>());
    });
  model
    .command('show')
    .description('show one version: NAME (the latest) or NAME:VERSION')
    .argument('<ref>', 'NAME or NAME:VERSION')
    .option('--json', 'print JSON')
    .action(async (ref: string, options, command: Command) => {
      const { runModelShow } = await import('./commands/model.js');
      await runModelShow(ref, options, command.optsWithGlobals<GlobalOptions>());
    });
  model
    .command('download')
    .description("write a version's artifact to a file (atomically, sha256 verified)")
    .argument('<ref>', 'NAME (the latest) or NAME:VERSION')
    .requiredOption('-o, --out <file>', 'file to write, or an existing folder (gets NAME-VERSION.zip|.onnx)')
    .option('--json', 'print JSON')
    .action(async (ref: string, options, command: Command) => {
      const { runModelDownload } = await import('./commands/model.js');
      await runModelDownload(ref, options, command.optsWithGlobals<GlobalOptions>());
    });
  model
    .command('delete')
    .description(
      'delete NAME:VERSION, or EVERY version of NAME when no version is given; refused while a deployment uses it',
    )
    .argument('<ref>', 'NAME:VERSION, or NAME for all its versions')
    .option('--force', 'delete even while deployments use it (their holds are removed)')
    .option('--json', 'print JSON')
    .action(async (ref: string, options, command: Command) => {
      const { runModelDelete } = await import('./commands/model.js');
      await runModelDelete(ref, options, command.optsWithGlobals<GlobalOptions>());
    });
  model
    .command('tag')
    .description('set (key=value) and remove (--remove key) tags of one version')
    .argument('<ref>', 'NAME:VERSION (NAME alone: the latest)')
    .argument('[assignments...]', 'key=value tags to set')
    .option('--remove <key>', 'a tag to remove (repeatable)', repeatable)
    .option('--json', 'print JSON')
    .action(async (ref: string, assignments: string[], options, command: Command) => {
      const { runModelTag } = await import('./commands/model.js');
      await runModelTag(ref, assignments, options, command.optsWithGlobals<GlobalOptions>());
    });

  // the inference server (docs/consume.md, docs/security.md)
  const collectValues = (value: string, previous: string[] = []): string[] => [...previous, value];
  program
    .command('serve')
    .description(
      'serve models over HTTP (raw image, KServe v2, TF-Serving REST) and gRPC (KServe v2, TF-Serving); prints one JSON line when ready',
    )
    .option(
      '-m, --model <ref>',
      'zoo id, .onnx file or service-definition .zip; NAME=REF to serve several (repeatable; default: defaultModel of tachyon.json)',
      collectValues,
    )
    .option('--name <name>', 'the name clients use for a single --model (default: the zoo id or file base name)')
    .option(
      '--preset <name>',
      "preprocessing preset of plain models: torchvision224 | caffe227 | caffe224 (default: the zoo model's, else from the input shape)",
    )
    .addOption(
      new Option(
        '--output-kind <kind>',
        "what plain models output (default: the zoo model's, else probabilities when the graph ends in Softmax)",
      ).choices(['logits', 'probabilities']),
    )
    .option(
      '--host <host>',
      'address to listen on; non-loopback needs --tls-cert/--tls-key and keys, or --insecure (default 127.0.0.1)',
    )
    .option('--http-port <port>', 'HTTP port, 0 = pick a free one (default 8000)')
    .option('--grpc-port <port>', 'gRPC port, 0 = pick a free one (default 8001)')
    .option(
      '--keys <file>',
      'JSON {"primary": "...", "secondary": "..."}, re-read on SIGHUP (default: generated and printed once)',
    )
    .option('--tls-cert <file>', 'PEM certificate chain for HTTPS and gRPC TLS, re-read on SIGHUP')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--no-auth', 'accept requests without a key (loopback only)')
    .option('--insecure', 'allow plaintext on a non-loopback address (logs a warning; keys are still required)')
    .option('--workers <n>', 'inference worker threads (default 1)')
    .option('--max-images <n>', 'images per request (default 64)')
    .option('--body-limit <bytes>', 'request body / gRPC message size limit (default 20971520)')
    .option('--max-connections <n>', 'open HTTP connections (default 1024)')
    .option('--drain-timeout <ms>', 'how long SIGTERM waits for in-flight requests (default 30000)')
    .option('--cors <origin>', 'allow this origin by CORS, "*" for any (repeatable; default: CORS off)', collectValues)
    .option(
      '--config <file>',
      'JSON config file (docs/serve-config.md); flags and TACHYON_SERVE_* override it (default: $TACHYON_SERVE_CONFIG)',
    )
    .option(
      '--print-config',
      'print the effective config and where each value came from as JSON, then exit without serving',
    )
    .addOption(
      new Option('--log-level <level>', 'log level (default info)').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    )
    .option('--max-batch-size <n>', 'most images in one batched model call (default 8)')
    .option('--max-queue-delay-ms <ms>', 'how long the oldest request may wait for a batch to fill (default 0)')
    .option('--max-queue-size <n>', 'requests waiting per model; beyond it TCH_ERR_QUEUE_FULL (default 64)')
    .option('--no-batching', 'run every request alone (no dynamic batching)')
    .option('--otlp-endpoint <url>', 'send OpenTelemetry spans to this OTLP/HTTP traces URL (default: tracing off)')
    .option('--no-metrics', 'serve no /metrics and no metrics history')
    .action(async (options, command: Command) => {
      const { runServe } = await import('./commands/serve.js');
      await runServe(options, command.optsWithGlobals<GlobalOptions>());
    });
  registerK8sCommands(program); // docs/kubernetes.md
  registerDaemonCommands(program); // docs/deployments.md
  registerDeployCommands(program); // docs/deployments.md
  registerQuickstartCommand(program); // docs/quickstart.md
  registerCompletionCommand(program);
  return program;
}
