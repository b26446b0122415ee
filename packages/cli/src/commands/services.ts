import type { ServiceStatus } from 'tachyon-serve';
import type { GlobalOptions } from '../main.js';
import { printJson, printLine } from '../output.js';
import { positiveInt, withWorkspace } from './deploy.js';

const modelOf = (s: ServiceStatus) =>
  `${s.spec.model.name}:${s.spec.model.version}${s.spec.canary ? ` + ${s.spec.canary.model.name}:${s.spec.canary.model.version} (${s.spec.canary.percent}%)` : ''}`;

/** Columns padded to their widest cell; the last column is not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export async function runServices(options: { json?: boolean }, globals: GlobalOptions): Promise<void> {
  const { Webservice } = await import('tachyon-serve');
  const services = await withWorkspace(globals, (ws) => Webservice.list(ws));
  const statuses = services.map((s) => s.status);
  if (options.json) {
    printJson(statuses);
    return;
  }
  if (statuses.length === 0) {
    printLine('no services (deploy one with `tachyon deploy NAME --model MODEL`)');
    return;
  }
  const rows = statuses.map((s) => [s.name, s.state, modelOf(s), String(s.restarts), s.scoringUri ?? '-']);
  for (const line of formatTable(['NAME', 'STATE', 'MODEL', 'RESTARTS', 'SCORING URI'], rows)) printLine(line);
}

export async function runServiceShow(name: string, options: { json?: boolean }, globals: GlobalOptions): Promise<void> {
  const { Webservice } = await import('tachyon-serve');
  const status = await withWorkspace(globals, async (ws) => (await Webservice.get(ws, name)).status);
  if (options.json) {
    printJson(status);
    return;
  }
  const rows: [string, string | number | undefined][] = [
    ['name', status.name],
    ['state', status.state + (status.reason ? ` (${status.reason})` : '')],
    ['model', modelOf(status)],
    ['workers', status.spec.workers ?? 1],
    ['tls', typeof status.spec.tls === 'object' ? 'certificate files' : (status.spec.tls ?? 'none')],
    ['scoring uri', status.scoringUri],
    ['http', status.httpUrl],
    ['grpc', status.grpcAddress],
    ['ca file', status.caFile],
    ['pid', status.pid],
    ['restarts', status.restarts],
    ['generation', status.generation],
    ['created', status.createdAt],
    ['updated', status.updatedAt],
  ];
  for (const [key, value] of rows) printLine(`${`${key}:`.padEnd(13)}${value ?? '-'}`);
}

export async function runLogs(
  name: string,
  options: { tail?: string; json?: boolean },
  globals: GlobalOptions,
): Promise<void> {
  const { Webservice } = await import('tachyon-serve');
  const tail = positiveInt(options.tail, '--tail');
  const lines = await withWorkspace(globals, async (ws) =>
    (await Webservice.get(ws, name)).getLogs(tail === undefined ? {} : { tail }),
  );
  if (options.json) printJson({ service: name, lines });
  else for (const line of lines) printLine(line);
}

export async function runKeys(
  name: string,
  options: { regenerate?: 'primary' | 'secondary'; json?: boolean },
  globals: GlobalOptions,
): Promise<void> {
  const { Webservice } = await import('tachyon-serve');
  const keys = await withWorkspace(globals, async (ws) => {
    const service = await Webservice.get(ws, name);
    return options.regenerate === undefined ? service.getKeys() : service.regenerateKey(options.regenerate);
  });
  if (options.json) printJson(keys);
  else {
    printLine(`primary:   ${keys.primary}`);
    printLine(`secondary: ${keys.secondary}`);
  }
}

export async function runDelete(name: string, options: { json?: boolean }, globals: GlobalOptions): Promise<void> {
  const { Webservice } = await import('tachyon-serve');
  const deleted = await withWorkspace(globals, async (ws) => (await Webservice.get(ws, name)).delete());
  if (options.json) printJson({ service: name, deleted });
  else printLine(`deleted ${name}${deleted.length > 0 ? `: ${deleted.join(', ')}` : ''}`);
}
