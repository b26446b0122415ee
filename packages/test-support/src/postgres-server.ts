import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';

/**
 * A throwaway PostgreSQL cluster for one test file: initdb into a temp folder, `postgres` listening on a Unix
 * socket in that folder only (no TCP port, so parallel test files never collide), torn down by an `after` hook.
 * The server binaries come from Debian's postgresql package (`bash scripts/ci-deps.sh` installs it); a missing
 * package is a test FAILURE with that instruction, never a skip.
 */
export interface PostgresTestServer {
  /** Folder holding the Unix socket (and the data directory). */
  readonly dir: string;
  readonly port: number;
  /** URL of the `postgres` maintenance database (superuser `postgres`, trust authentication). */
  readonly adminUrl: string;
  /** Creates a fresh empty database and returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server (fast shutdown: clients are disconnected) but keeps its data, as an outage would. */
  pause(): Promise<void>;
  /** Starts the paused server again on the same data, socket and port. */
  resume(): Promise<void>;
  /** Stops the server and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

const INSTALL_HINT = "run `bash scripts/ci-deps.sh` as root (it installs Debian's postgresql package)";
const START_TIMEOUT_MS = 30_000;
const PORT = 5432;

/**
 * The folder holding initdb and postgres: $TACHYON_PG_BIN_DIR when set (and then only it), else the newest
 * /usr/lib/postgresql/<version>/bin (Debian's layout), else PATH.
 */
export function findPostgresBinDir(): string {
  const has = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));
  const fromEnv = process.env['TACHYON_PG_BIN_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!has(fromEnv))
      throw new Error(
        `TACHYON_PG_BIN_DIR="${fromEnv}" holds no initdb and postgres: point it at PostgreSQL's bin folder, or unset it and ${INSTALL_HINT}.`,
      );
    return fromEnv;
  }
  const candidates: string[] = [];
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  candidates.push(...(process.env['PATH'] ?? '').split(delimiter).filter((p) => p !== ''));
  const found = candidates.find(has);
  if (found === undefined) {
    throw new Error(
      `PostgreSQL server binaries (initdb, postgres) were not found in /usr/lib/postgresql/*/bin or PATH: ${INSTALL_HINT}.`,
    );
  }
  return found;
}

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` user the package creates. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(
      `Running as root, the PostgreSQL test server needs the "postgres" system user, which does not exist: ${INSTALL_HINT}.`,
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPostgresServer(): Promise<PostgresTestServer> {
  const bin = findPostgresBinDir();
  const user = serverUser();
  // As root the folder must be reachable by the postgres user, and a socket path has at most 107 bytes: /tmp then.
  const base = user !== undefined || tmpdir().length > 60 ? '/tmp' : tmpdir();
  const dir = mkdtempSync(join(base, 'tachyon-pg-'));
  const data = join(dir, 'data');
  let child: ChildProcess | undefined;
  const cleanupOnExit = (): void => {
    child?.kill('SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanupOnExit);
  try {
    if (user !== undefined) chownSync(dir, user.uid, user.gid);
    const init = spawnSync(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      // cwd: the server user may not be allowed into the caller's working directory (e.g. a checkout under /root).
      { encoding: 'utf8', timeout: START_TIMEOUT_MS, cwd: dir, ...user },
    );
    if (init.status !== 0)
      throw new Error(
        `initdb failed (status ${init.status}): ${tail(`${init.stderr ?? ''}${init.error?.message ?? ''}`)}`,
      );
    let log = '';
    const launch = (): ChildProcess => {
      const proc = spawn(
        join(bin, 'postgres'),
        [
          '-D',
          data,
          '-k',
          dir,
          '-p',
          String(PORT),
          '-c',
          'listen_addresses=',
          // A throwaway cluster: durability off makes CREATE DATABASE and commits fast.
          '-c',
          'fsync=off',
          '-c',
          'synchronous_commit=off',
          '-c',
          'full_page_writes=off',
          '-c',
          'max_connections=200',
          '-c',
          'shared_buffers=32MB',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...user },
      );
      proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        log = (log + chunk).slice(-4000);
      });
      return proc;
    };
    child = launch();
    const adminUrl = urlFor(dir, 'postgres');
    await waitUntilReady(adminUrl, child, () => log);
    let server = child;
    let counter = 0;
    let stopped: Promise<void> | undefined;
    return {
      dir,
      port: PORT,
      adminUrl,
      async createDatabase(prefix = 'test') {
        if (!/^[a-z][a-z0-9_]*$/.test(prefix))
          throw new RangeError(`prefix must match [a-z][a-z0-9_]*, got "${prefix}"`);
        const name = `${prefix}_${process.pid}_${++counter}`;
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE "${name}"`);
        } finally {
          await client.end();
        }
        return urlFor(dir, name);
      },
      async pause() {
        await stopProcess(server);
      },
      async resume() {
        if (server.exitCode === null && server.signalCode === null) return;
        server = launch();
        child = server;
        await waitUntilReady(adminUrl, server, () => log);
      },
      stop() {
        stopped ??= (async () => {
          process.removeListener('exit', cleanupOnExit);
          await stopProcess(server);
          rmSync(dir, { recursive: true, force: true });
        })();
        return stopped;
      },
    };
  } catch (error) {
    if (child !== undefined) await stopProcess(child);
    process.removeListener('exit', cleanupOnExit);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Starts a server for the calling test file in a top-level `before` hook and stops it in an `after` hook; call at
 * the top level of the file. Returns the accessor to use inside tests (the server exists once `before` has run).
 */
export function usePostgresServer(): () => PostgresTestServer {
  let server: PostgresTestServer | undefined;
  before(async () => {
    server = await startPostgresServer();
  });
  after(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined)
      throw new Error('the PostgreSQL test server is not running (did its `before` hook fail?)');
    return server;
  };
}

/** pg's URL form for a Unix socket: an empty host and the socket folder in `host=`. */
export function urlFor(socketDir: string, database: string): string {
  return `postgres://postgres@/${database}?host=${encodeURIComponent(socketDir)}&port=${PORT}`;
}

async function waitUntilReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`postgres exited during startup: ${tail(log())}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error(
          `postgres did not accept connections within ${START_TIMEOUT_MS} ms (${String(error)}): ${tail(log())}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Fast shutdown (SIGINT: disconnects clients, no checkpoint wait matters), then SIGKILL if it lingers. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-8).join(' | ');
}
