// Classify one image with the TypeScript client, @tachyon-serve/client: the raw-image endpoint (top-K labels) and KServe v2
// with the binary-data extension (every class confidence as a Float32Array). `npm run build` compiles this file to
// examples/dist/consume/client.js; run it with node.
//   TACHYON_URL (default http://127.0.0.1:8000), TACHYON_KEY (omit for a --no-auth server), TACHYON_MODEL (default
//   mnv2), TACHYON_IMAGE (a JPEG/PNG/WebP file), TACHYON_CA (PEM CA to trust for an https URL, optional)
import { readFileSync } from 'node:fs';
import { createClient, isTachyonError } from '@tachyon-serve/client';

const env = process.env;
const client = createClient({
  url: env['TACHYON_URL'] ?? 'http://127.0.0.1:8000',
  key: env['TACHYON_KEY'] || undefined,
  ca: env['TACHYON_CA'] ? readFileSync(env['TACHYON_CA']) : undefined,
  timeoutMs: 10_000, // per call, retries included; sent as x-request-timeout-ms
  retries: 2, // on connection errors and 503 (draining, not ready), with exponential backoff
});
const model = env['TACHYON_MODEL'] ?? 'mnv2';
const image = readFileSync(env['TACHYON_IMAGE'] ?? '../shared/images/imagenet-sample/n01443537_goldfish.JPEG');

try {
  if (!(await client.ready(model))) throw new Error(`model "${model}" is not ready`);

  const [result] = await client.classify(model, image, { top: 3 });
  const best = result!.top[0]!;
  console.log(JSON.stringify({ via: 'client-classify', index: best.index, label: best.label, score: best.score }));

  const [scores] = await client.infer(model, image);
  const index = scores!.indexOf(Math.max(...scores!));
  console.log(JSON.stringify({ via: 'client-infer', index, score: scores![index] }));
} catch (error) {
  // Server errors keep their code (TCH_ERR_AUTH_INVALID, ...); the client adds TCH_ERR_CLIENT_UNREACHABLE & co.
  if (isTachyonError(error)) console.error(`${error.code}: ${error.message}`);
  else console.error(error);
  process.exitCode = 1;
} finally {
  await client.close();
}
