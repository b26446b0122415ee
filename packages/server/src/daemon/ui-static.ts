import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { TachyonError } from '@tachyon-serve/protocol';

/** Content types of what a Vite build emits (anything else is served as octet-stream, with nosniff). */
const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
});

/**
 * The dashboard's page policy: everything from the daemon itself (no CDN, no inline script), images also from
 * blob: (the "Try it" preview), no framing.
 */
export const UI_SECURITY_HEADERS = Object.freeze({
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
});

/**
 * Where the built dashboard is: `$TACHYON_DASHBOARD_DIR`, else `dist/ui` of the `@tachyon-serve/dashboard` package (found
 * through node resolution, or beside this package in the monorepo).
 */
export function defaultDashboardDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['TACHYON_DASHBOARD_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  try {
    const pkg = createRequire(import.meta.url).resolve('@tachyon-serve/dashboard/package.json');
    return join(dirname(pkg), 'dist', 'ui');
  } catch {
    // not installed as a package: the monorepo layout (this file is packages/server/dist/src/daemon/)
    return fileURLToPath(new URL('../../../../dashboard/dist/ui/', import.meta.url));
  }
}

/**
 * Serves the built single-page dashboard under `/ui/`: `GET /ui` redirects to `/ui/`, `/ui/` is index.html, and
 * `/ui/<path>` a file of the folder. No path leaves the folder (no `..`, no encoded separators, symlinks resolved
 * and checked), hashed `assets/` are cached for a year, everything else revalidates (ETag).
 */
export function registerUiStatic(app: FastifyInstance, dir: string): void {
  const root = resolve(dir);
  app.get('/ui', async (_request, reply) => reply.redirect('/ui/', 301));
  app.get('/ui/', async (_request, reply) => sendFile(reply, root, 'index.html'));
  app.get<{ Params: { '*': string } }>('/ui/*', async (request, reply) => {
    const path = request.params['*'];
    if (path.startsWith('api/') || path === 'api') {
      throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `No route matches "GET /ui/${path.slice(0, 200)}".`, {
        details: { method: 'GET', path: `/ui/${path.slice(0, 200)}` },
      });
    }
    return sendFile(reply, root, path);
  });
}

async function sendFile(reply: FastifyReply, root: string, relative: string): Promise<FastifyReply> {
  if (!existsSync(join(root, 'index.html'))) {
    throw new TachyonError(
      'TCH_ERR_IO_NOT_FOUND',
      'The dashboard is not built; run `npm run build` (it builds packages/dashboard into dist/ui).',
      { details: { dir: root } },
    );
  }
  const file = await resolveInside(root, relative);
  const info = file === undefined ? undefined : await stat(file).catch(() => undefined);
  if (file === undefined || info === undefined || !info.isFile()) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `The dashboard has no file "${relative.slice(0, 200)}".`, {
      details: { path: `/ui/${relative.slice(0, 200)}` },
    });
  }
  const etag = `"${createHash('sha1').update(`${info.size}:${info.mtimeMs}:${file}`).digest('base64url')}"`;
  reply.headers({
    ...UI_SECURITY_HEADERS,
    'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    // Vite names assets by content hash: they never change. The rest (index.html) must be revalidated.
    'cache-control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag,
  });
  if (reply.request.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.send(await readFile(file));
}

/** The real path of `relative` under `root`, or undefined when it is malformed or escapes the folder. */
async function resolveInside(root: string, relative: string): Promise<string | undefined> {
  if (relative === '' || relative.length > 512 || /[\\\0]/.test(relative)) return undefined;
  const segments = relative.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.startsWith('.'))) return undefined;
  const candidate = resolve(root, ...segments);
  if (!candidate.startsWith(root + sep)) return undefined;
  try {
    const [real, realRoot] = await Promise.all([realpath(candidate), realpath(root)]);
    return real.startsWith(realRoot + sep) ? real : undefined;
  } catch {
    return undefined;
  }
}
