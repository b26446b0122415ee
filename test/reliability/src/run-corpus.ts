// Runs the bad-input corpus against one real HTTPS server process and checks, after every kind, that the process
// is alive, ready, and still classifies a real image correctly.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BAD_INPUT_KINDS,
  writeKeysFile,
  type BadInputKind,
  type CorpusContext,
  type Observed,
} from './bad-input-corpus.js';
import { documentedStatus } from './documented-codes.js';
import { call, closeTarget, type Target } from './http-call.js';
import { ORANGE, sampleImage } from './paths.js';
import { ServeProcess } from './server-process.js';
import { createSelfSignedTls } from './tls-files.js';

export interface KindResult {
  id: string;
  title: string;
  expected: string;
  expectedStatus: number | null;
  observed: Observed;
  /** The answer matched the documented code and status. */
  answered: boolean;
  /** After it, the process was alive and a good request got the right top-1. */
  servingAfter: boolean;
  ms: number;
}

export interface CorpusResult {
  kinds: KindResult[];
  /** Exits of the server process during the corpus (0 expected). */
  crashes: number;
  peakRssBytes: number;
}

const key = () => randomBytes(24).toString('base64url');

export interface CorpusOptions {
  workDir: string;
  /** Include the kinds marked slow (slowloris). @default false */
  includeSlow?: boolean;
  /** Only these kind ids. @default all */
  only?: readonly string[];
  /** Called after each kind (progress). */
  onKind?: (result: KindResult) => void;
}

/** A good request with a key in force: 200 and the orange's class on top. */
export async function servesGoodRequest(target: Target, model: string, apiKey: string): Promise<boolean> {
  try {
    const a = await call(target, `/v1/services/${model}/classify?top=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'image/jpeg' },
      body: sampleImage(ORANGE.file),
    });
    const top = (a.body as { results?: { top: { index: number }[] }[] }).results?.[0]?.top[0]?.index;
    return a.status === 200 && top === ORANGE.index;
  } catch {
    return false;
  }
}

export async function runCorpus(options: CorpusOptions): Promise<CorpusResult> {
  const { workDir } = options;
  mkdirSync(workDir, { recursive: true });
  const tls = createSelfSignedTls(workDir);
  const keysFile = join(workDir, 'keys.json');
  let keys = { primary: key(), secondary: key(), admin: key() };
  writeKeysFile(keysFile, keys);
  const server = await ServeProcess.start({
    cwd: workDir,
    args: [
      '--model',
      'mnv2=mobilenetv2-int8',
      '--keys',
      keysFile,
      '--tls-cert',
      tls.certFile,
      '--tls-key',
      tls.keyFile,
      '--workers',
      '1',
    ],
  });
  const { RssSampler } = await import('./rss-sampler.js');
  const rss = new RssSampler(server.pid);
  const target: Target = { origin: server.ready.http, ca: tls.ca };
  const ctx: CorpusContext = {
    target,
    model: 'mnv2',
    key: () => keys.primary,
    adminKey: keys.admin,
    workDir,
    async rotateKeys() {
      // Rotation as docs/security.md describes it: a fresh primary, the old primary kept as secondary; the old secondary is revoked.
      const revoked = keys.secondary;
      keys = { primary: key(), secondary: keys.primary, admin: keys.admin };
      writeKeysFile(keysFile, keys);
      const from = server.stderrLines.length;
      server.child.kill('SIGHUP');
      await server.waitForLog(/keys reloaded/, from);
      return revoked;
    },
  };
  const kinds = BAD_INPUT_KINDS.filter(
    (k) =>
      (options.includeSlow === true || k.slow !== true) && (options.only === undefined || options.only.includes(k.id)),
  );
  const results: KindResult[] = [];
  let crashes = 0;
  let peakRssBytes = 0;
  try {
    // Slow kinds (slowloris) run in the background from the start, so their wait overlaps the others.
    const background = kinds
      .filter((k) => k.slow === true)
      .map((k) => ({ kind: k, started: performance.now(), observed: k.send(ctx) }));
    for (const kind of kinds.filter((k) => k.slow !== true)) {
      const started = performance.now();
      const observed = await kind
        .send(ctx)
        .catch((error: unknown) => ({ note: `client error: ${(error as Error).message}` }) as Observed);
      results.push(await judge(kind, observed, performance.now() - started, server, target, ctx));
      options.onKind?.(results.at(-1)!);
    }
    for (const b of background) {
      const observed = await b.observed.catch(
        (error: unknown) => ({ note: `client error: ${(error as Error).message}` }) as Observed,
      );
      results.push(await judge(b.kind, observed, performance.now() - b.started, server, target, ctx));
      options.onKind?.(results.at(-1)!);
    }
  } finally {
    crashes = server.alive ? 0 : 1;
    await server.stop();
    await closeTarget(target);
    peakRssBytes = rss.stop().peakBytes;
  }
  return { kinds: results, crashes, peakRssBytes };
}

async function judge(
  kind: BadInputKind,
  observed: Observed,
  ms: number,
  server: ServeProcess,
  target: Target,
  ctx: CorpusContext,
): Promise<KindResult> {
  const expectedStatus = kind.expected === 'closed' ? null : (documentedStatus(kind.expected) ?? -1);
  let answered: boolean;
  if (kind.expected === 'closed') answered = observed.closedWithoutAnswer === true;
  else if (observed.exitCode !== undefined) answered = observed.code === kind.expected && observed.exitCode === 1;
  else answered = observed.code === kind.expected && observed.status === expectedStatus;
  const ready = await call(target, '/v2/health/ready').then(
    (a) => a.status === 200,
    () => false,
  );
  const servingAfter = server.alive && ready && (await servesGoodRequest(target, ctx.model, ctx.key()));
  return {
    id: kind.id,
    title: kind.title,
    expected: kind.expected,
    expectedStatus,
    observed,
    answered,
    servingAfter,
    ms: Math.round(ms),
  };
}
