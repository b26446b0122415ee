// Server benchmark (issue 5, "Tests and benchmark"). Usage (after `tsc -b`):
//   node bench/dist/src/server/run.js [--groups overhead,e2e,tensor,resnet] [--overhead-iterations N] [--overhead-blocks N]
//     [--e2e-iterations N] [--e2e-blocks N] [--tensor-iterations N] [--tensor-blocks N] [--resnet-iterations N]
//     [--resnet-blocks N] [--throughput-blocks N] [--no-inprocess] [--image FILE] [--out FILE]
// The resnet group (issue 15 (c)) needs bench/models (bash bench/setup/prepare.sh); without it the group is skipped.
// Forks server-child.js (tachyon + a plain fastify app on 127.0.0.1 ephemeral ports), then measures from this
// process over keep-alive loopback connections (undici), concurrency 1. Progress on stderr, markdown on stdout,
// JSON to bench/results/<date>-<sha>-server.json and bench/results/latest-server.json.
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  OnnxRuntimeBackend,
  openServedModel,
  presetByName,
  type ServedModel,
  compileModelSources,
  imagenetClassNames,
  resolveZooModel,
  zooEntry,
} from '@tachyon-serve/core';
import { collectEnvironment } from '../environment.js';
import { calibrationImages, loadSuiteModels } from '../peers/peer-models.js';
import {
  BENCH_DIR,
  REPO_ROOT,
  createLog,
  loadImage,
  pickImage,
  positiveInt,
  resultPaths,
  sharedDir,
  writeJson,
} from './bench-common.js';
import {
  MOBILENET_SERVICE,
  NOOP_SERVICE,
  RESNET_SERVICE,
  type ChildConfig,
  type ChildFailed,
  type ChildReady,
} from './child-protocol.js';
import { HttpTarget } from './http-target.js';
import { createNoopService, tinyJpeg } from './noop-model.js';
import { RawPeerClassifier, TORCHVISION224, tachyonPreprocessor, type PeerTop } from './raw-peer.js';
import {
  computeServerDerived,
  evaluateServerTargets,
  renderServerMarkdown,
  type ServerReport,
} from './server-report.js';
import { runEndToEndGroup, runOverheadGroup, type GroupResult } from './server-scenarios.js';
import { buildIdentityModel } from './identity-model.js';
import { runResnetGroup, runThroughputAb, type ThroughputAb } from './resnet-group.js';
import { runTensorGroup } from './tensor-group.js';

/** Sized for about 1.5 minutes on the 2-core VM when it is otherwise idle (p99 of the e2e group from 1000 samples). */
const DEFAULTS = Object.freeze({
  overheadIterations: 2000,
  overheadBlocks: 20,
  e2eIterations: 1000,
  e2eBlocks: 50,
  tensorIterations: 2000,
  tensorBlocks: 20,
  resnetIterations: 200,
  resnetBlocks: 20,
  throughputBlocks: 3,
});
const GROUPS = ['overhead', 'e2e', 'tensor', 'resnet'] as const;
/** Clients and block length of the resnet group's throughput A/B. */
const THROUGHPUT = Object.freeze({ clients: 4, blockSeconds: 3 });
/** Pauses before each block: idle onnxruntime pools (server child and this process) keep spinning a while. */
const PAUSE_MS = Object.freeze({ overhead: 50, e2e: 100, tensor: 50, resnet: 100 });
const log = createLog('bench:server');

interface TopEntry {
  index: number;
  label: string;
  score: number;
}

function topOf(body: unknown): TopEntry[] {
  return (body as { results: { top: TopEntry[] }[] }).results[0]!.top;
}

function compareTop(
  a: readonly TopEntry[],
  b: readonly PeerTop[],
): { sameIndexes: boolean; sameSet: boolean; maxScoreDiff: number } {
  return {
    sameIndexes: a.length === b.length && a.every((e, i) => e.index === b[i]!.index),
    sameSet: a.length === b.length && a.every((e) => b.some((x) => x.index === e.index)),
    maxScoreDiff: Math.round(Math.max(...a.map((e, i) => Math.abs(e.score - (b[i]?.score ?? 0)))) * 1e6) / 1e6,
  };
}

function startChild(
  config: ChildConfig,
  logFile: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; ready: ChildReady }> {
  const fd = openSync(logFile, 'a');
  const child = fork(fileURLToPath(new URL('./server-child.js', import.meta.url)), [JSON.stringify(config)], {
    stdio: ['ignore', 'ignore', fd, 'ipc'],
    execArgv: [],
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the server child was not ready within 180 s (log: ${logFile})`));
    }, 180_000);
    child.once('message', (message: ChildReady | ChildFailed) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve({ child, ready: message });
      else reject(new Error(`the server child failed: ${message.message} (log: ${logFile})`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server child exited with code ${code} before it was ready (log: ${logFile})`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ type: 'close' });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      groups: { type: 'string' },
      'overhead-iterations': { type: 'string' },
      'overhead-blocks': { type: 'string' },
      'e2e-iterations': { type: 'string' },
      'e2e-blocks': { type: 'string' },
      'tensor-iterations': { type: 'string' },
      'tensor-blocks': { type: 'string' },
      'resnet-iterations': { type: 'string' },
      'resnet-blocks': { type: 'string' },
      'throughput-blocks': { type: 'string' },
      'no-inprocess': { type: 'boolean' },
      image: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'node bench/dist/src/server/run.js [--groups overhead,e2e,tensor,resnet] [--overhead-iterations N] [--overhead-blocks N] [--e2e-iterations N] [--e2e-blocks N] [--tensor-iterations N] [--tensor-blocks N] [--resnet-iterations N] [--resnet-blocks N] [--throughput-blocks N] [--no-inprocess] [--image FILE] [--out FILE]\n',
    );
    return;
  }
  const groups = new Set((values.groups ?? GROUPS.join(',')).split(',').map((s) => s.trim()));
  for (const g of groups)
    if (!(GROUPS as readonly string[]).includes(g))
      throw new RangeError(`--groups: unknown group "${g}" (${GROUPS.join(', ')})`);
  const overheadIterations =
    positiveInt(values['overhead-iterations'], '--overhead-iterations') ?? DEFAULTS.overheadIterations;
  const overheadBlocks = positiveInt(values['overhead-blocks'], '--overhead-blocks') ?? DEFAULTS.overheadBlocks;
  const e2eIterations = positiveInt(values['e2e-iterations'], '--e2e-iterations') ?? DEFAULTS.e2eIterations;
  const e2eBlocks = positiveInt(values['e2e-blocks'], '--e2e-blocks') ?? DEFAULTS.e2eBlocks;
  const tensorIterations = positiveInt(values['tensor-iterations'], '--tensor-iterations') ?? DEFAULTS.tensorIterations;
  const tensorBlocks = positiveInt(values['tensor-blocks'], '--tensor-blocks') ?? DEFAULTS.tensorBlocks;
  const resnetIterations = positiveInt(values['resnet-iterations'], '--resnet-iterations') ?? DEFAULTS.resnetIterations;
  const resnetBlocks = positiveInt(values['resnet-blocks'], '--resnet-blocks') ?? DEFAULTS.resnetBlocks;
  const throughputBlocks = positiveInt(values['throughput-blocks'], '--throughput-blocks') ?? DEFAULTS.throughputBlocks;
  const started = Date.now();
  const shared = sharedDir();
  const modelsDir = join(shared, 'models');
  const environment = await collectEnvironment(REPO_ROOT);
  const image = values.image
    ? await loadImage(values.image)
    : await pickImage(join(shared, 'images', 'imagenet-sample'));
  log(
    `image ${image.name} (${image.width}x${image.height}); ${environment.cpuModel}, ${environment.cores} cores; load average ${environment.loadAverage1m}`,
  );

  const workDir = await mkdtemp(join(tmpdir(), 'tachyon-bench-server-'));
  const sources = compileModelSources({
    modelPath: [modelsDir],
    cacheDir: join(workDir, 'cache'),
    allowDownload: false,
    env: {},
  });
  const noop = await createNoopService(workDir, sources);
  const tiny = await tinyJpeg(image.bytes);
  const tinyPath = join(workDir, 'tiny.jpg');
  await writeFile(tinyPath, tiny);
  const logFile = join(workDir, 'server-child.log');
  const identityPath = join(workDir, 'identity.onnx');
  await writeFile(identityPath, buildIdentityModel());
  const notes: string[] = [];
  let resnetPath: string | undefined;
  if (groups.has('resnet')) {
    try {
      const calibration = await calibrationImages(join(shared, 'images', 'imagenet-sample'), 8);
      const [model] = await loadSuiteModels(['resnet50-int8'], shared, join(BENCH_DIR, 'models'), calibration, log);
      resnetPath = model!.path;
    } catch (error) {
      groups.delete('resnet');
      const why = `resnet group skipped: ${error instanceof Error ? error.message : String(error)}`;
      log(why);
      notes.push(why);
    }
  }

  let child: ChildProcess | undefined;
  let spinningChild: ChildProcess | undefined;
  let tensor: GroupResult | undefined;
  let resnet: GroupResult | undefined;
  let throughput: ThroughputAb | undefined;
  let spinningReady: ChildReady | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  let overhead: GroupResult | undefined;
  let e2e: GroupResult | undefined;
  const checks: Record<string, unknown> = {};
  let ready: ChildReady | undefined;
  let inProcessThreads: number | undefined;
  let serverLogLines = 0;
  try {
    log('starting the server child (tachyon + plain fastify)...');
    const cfg: ChildConfig = {
      noopZip: noop.zipPath,
      noopModel: noop.modelPath,
      tinyJpeg: tinyPath,
      modelsDir,
      cacheDir: join(workDir, 'child-cache'),
      mobilenet: groups.has('e2e'),
      ...(groups.has('tensor') ? { identityModel: identityPath } : {}),
      ...(resnetPath ? { resnetModel: resnetPath } : {}),
    };
    // Pinned, so that an A/B variable set in the shell does not change what the main child measures.
    ({ child, ready } = await startChild(cfg, logFile, { TACHYON_INTRA_OP_SPINNING: '0' }));
    log(`tachyon ${ready.tachyonUrl}, plain fastify ${ready.plainUrl} (server child pid ${child.pid})`);
    const tachyon = new HttpTarget(ready.tachyonUrl, { authorization: `Bearer ${ready.key}` }, true);
    const plain = new HttpTarget(ready.plainUrl, { authorization: `Bearer ${ready.key}` });
    closers.push(
      () => tachyon.close(),
      () => plain.close(),
    );

    if (groups.has('overhead')) {
      const a = topOf((await tachyon.request('POST', `/v1/services/${NOOP_SERVICE}/classify`, tiny)).body);
      const b = topOf((await plain.request('POST', '/classify', tiny)).body);
      checks['noop'] = { ...compareTop(a, b as PeerTop[]), tachyonTop1: a[0], plainTop1: b[0] };
      overhead = await runOverheadGroup({ tachyon, plain }, tiny, {
        iterations: overheadIterations,
        blocks: overheadBlocks,
        switchPauseMs: PAUSE_MS.overhead,
        childPid: child.pid,
        log,
      });
    }
    if (groups.has('e2e')) {
      const entry = zooEntry(MOBILENET_SERVICE);
      const { path } = await resolveZooModel(entry, sources);
      const peer = await RawPeerClassifier.create({
        modelPath: path,
        input: entry.input,
        output: entry.output,
        preprocess: TORCHVISION224,
        labels: imagenetClassNames(),
        outputKind: entry.outputKind,
      });
      closers.push(() => peer.release());
      let inProcess: ServedModel | undefined;
      if (!values['no-inprocess']) {
        const backend = new OnnxRuntimeBackend();
        inProcessThreads = backend.config.intraOpThreads;
        closers.push(() => backend.close());
        inProcess = await openServedModel(path, { preset: entry.preset, outputKind: entry.outputKind, backend });
      }
      const viaHttp = topOf(
        (await tachyon.request('POST', `/v1/services/${MOBILENET_SERVICE}/classify`, image.bytes)).body,
      );
      const viaPeer = await peer.classify(image.bytes, 5);
      checks['mobilenetv2-int8'] = { ...compareTop(viaHttp, viaPeer), tachyonTop1: viaHttp[0], peerTop1: viaPeer[0] };
      if (viaHttp[0]!.index !== viaPeer[0]!.index)
        log(`warning: tachyon and the peer disagree on the top-1 (${viaHttp[0]!.label} vs ${viaPeer[0]!.label})`);
      e2e = await runEndToEndGroup(tachyon, plain, peer, inProcess, image.bytes, {
        iterations: e2eIterations,
        blocks: e2eBlocks,
        switchPauseMs: PAUSE_MS.e2e,
        childPid: child.pid,
        log,
      });
    }
    if (groups.has('tensor')) {
      const check = (
        await tachyon.request(
          'POST',
          '/v2/models/identity/infer',
          new TextEncoder().encode('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}'),
          'application/json',
        )
      ).body as { outputs: { data: number[] }[] };
      checks['identity'] = { echoed: JSON.stringify(check.outputs[0]?.data) === '[1,2,3,4]' };
      tensor = await runTensorGroup(
        { tachyon, plain },
        {
          iterations: tensorIterations,
          blocks: tensorBlocks,
          switchPauseMs: PAUSE_MS.tensor,
          childPid: child.pid,
          log,
        },
      );
    }
    if (groups.has('resnet') && resnetPath) {
      log('starting the second server child (TACHYON_INTRA_OP_SPINNING=1: the A/B of intra-op spinning)...');
      const spinningCfg: ChildConfig = {
        noopZip: noop.zipPath,
        noopModel: noop.modelPath,
        tinyJpeg: tinyPath,
        modelsDir,
        cacheDir: join(workDir, 'child-cache-spinning'),
        mobilenet: false,
        resnetModel: resnetPath,
      };
      let spinningChildStarted: ChildProcess;
      ({ child: spinningChildStarted, ready: spinningReady } = await startChild(spinningCfg, logFile, {
        TACHYON_INTRA_OP_SPINNING: '1',
      }));
      spinningChild = spinningChildStarted;
      const spinning = new HttpTarget(spinningReady.tachyonUrl, { authorization: `Bearer ${spinningReady.key}` }, true);
      closers.push(() => spinning.close());
      const peerOptions = {
        modelPath: resnetPath,
        input: 'data',
        output: 'logits',
        preprocess: TORCHVISION224,
        labels: imagenetClassNames(),
        outputKind: 'logits' as const,
      };
      const peer = await RawPeerClassifier.create({ ...peerOptions, intraOpSpinning: false });
      const peerSpinning = await RawPeerClassifier.create({ ...peerOptions, intraOpSpinning: true });
      closers.push(
        () => peer.release(),
        () => peerSpinning.release(),
      );
      let inProcess: ServedModel | undefined;
      if (!values['no-inprocess']) {
        const backend = new OnnxRuntimeBackend({ intraOpSpinning: false });
        closers.push(() => backend.close());
        inProcess = await openServedModel(resnetPath, { preset: 'torchvision224', outputKind: 'logits', backend });
      }
      const viaHttp = topOf(
        (await tachyon.request('POST', `/v1/services/${RESNET_SERVICE}/classify`, image.bytes)).body,
      );
      const viaSpinning = topOf(
        (await spinning.request('POST', `/v1/services/${RESNET_SERVICE}/classify`, image.bytes)).body,
      );
      const viaPeer = await peer.classify(image.bytes, 5, tachyonPreprocessor(presetByName('torchvision224')));
      checks[RESNET_SERVICE] = {
        ...compareTop(viaHttp, viaPeer),
        spinningSameTop: compareTop(viaSpinning, viaPeer).sameIndexes,
        tachyonTop1: viaHttp[0],
        peerTop1: viaPeer[0],
      };
      const pids = [child.pid, spinningChild.pid].filter((p): p is number => p !== undefined);
      resnet = await runResnetGroup({ tachyon, spinning }, { peer, peerSpinning, inProcess }, image.bytes, {
        iterations: resnetIterations,
        blocks: resnetBlocks,
        switchPauseMs: PAUSE_MS.resnet,
        childPid: pids,
        log,
      });
      const many = (r: ChildReady) =>
        Array.from(
          { length: THROUGHPUT.clients },
          () => new HttpTarget(r.tachyonUrl, { authorization: `Bearer ${r.key}` }),
        );
      const sides = [
        { name: 'tachyon-http (spinning off)', targets: many(ready) },
        { name: 'tachyon-http-spinning', targets: many(spinningReady) },
      ];
      for (const side of sides) for (const t of side.targets) closers.push(() => t.close());
      throughput = await runThroughputAb(sides, image.bytes, {
        blockSeconds: THROUGHPUT.blockSeconds,
        blocks: throughputBlocks,
        log,
      });
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    if (child) await stopChild(child);
    if (spinningChild) await stopChild(spinningChild);
    try {
      serverLogLines = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l !== '').length;
      if (child?.exitCode)
        log(
          `server child exited with ${child.exitCode}; last log lines:\n${readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n')}`,
        );
    } catch {
      // no log
    }
    await rm(workDir, { recursive: true, force: true });
  }
  environment.loadAverage1mEnd = Math.round(loadavg()[0]! * 100) / 100;

  const derived = computeServerDerived(overhead, e2e, tensor, resnet, throughput);
  const report: ServerReport = {
    environment,
    image: { name: image.name, path: image.path, width: image.width, height: image.height, tinyJpegBytes: tiny.length },
    config: {
      groups: [...groups],
      overhead: { iterations: overheadIterations, blocks: overheadBlocks, switchPauseMs: PAUSE_MS.overhead },
      e2e: { iterations: e2eIterations, blocks: e2eBlocks, switchPauseMs: PAUSE_MS.e2e },
      tensor: { iterations: tensorIterations, blocks: tensorBlocks, switchPauseMs: PAUSE_MS.tensor },
      resnet: {
        iterations: resnetIterations,
        blocks: resnetBlocks,
        switchPauseMs: PAUSE_MS.resnet,
        model: resnetPath,
        throughput: { ...THROUGHPUT, blocks: throughputBlocks },
      },
      client: 'undici Client, one keep-alive connection per server, pipelining 1, concurrency 1, 127.0.0.1',
      tachyon: {
        workers: ready?.workers,
        intraOpThreads: ready?.intraOpThreads,
        intraOpSpinning: ready?.intraOpSpinning,
        spinningChild: spinningReady ? { intraOpSpinning: spinningReady.intraOpSpinning } : undefined,
        auth: 'generated keys (Bearer sent)',
        requestLog: 'info level, JSON lines to a file',
      },
      peer: {
        intraOpNumThreads: ready?.peerIntraOpThreads,
        executionMode: 'sequential',
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      },
      inProcessIntraOpThreads: inProcessThreads,
      serverLogLines,
    },
    notes: [
      'The servers run in a forked child process (tachyon via startServer, as `tachyon serve`; the plain fastify app beside it); the client, the in-process peer and tachyon in-process run in the parent.',
      "CPU used by the server child counts as the benchmark's own in the contention guard (other cores = everything but parent and child).",
      'Compare only what this run measured; figures of other servers are not measured here.',
      ...notes,
    ],
    checks,
    scenarios: [...(overhead?.rows ?? []), ...(e2e?.rows ?? []), ...(tensor?.rows ?? []), ...(resnet?.rows ?? [])],
    derived,
    targets: evaluateServerTargets(derived, overhead, e2e, tensor, resnet),
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
  const paths = resultPaths(environment, 'server', values.out);
  await writeJson(report, paths);
  log(`wrote ${paths.join(' and ')} (${report.durationSeconds} s)`);
  process.stdout.write(`${renderServerMarkdown(report, overhead, e2e, tensor, resnet)}\n`);
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
