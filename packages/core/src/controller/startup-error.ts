/** The `{"startupError": {code, message}}` line a service process writes when it cannot start. */
export function parseStartupError(line: string): string | undefined {
  if (!line.includes('"startupError"')) return undefined;
  try {
    const parsed = JSON.parse(line) as { startupError?: { code?: unknown; message?: unknown } };
    const e = parsed.startupError;
    if (e === undefined) return undefined;
    return `${typeof e.code === 'string' ? `${e.code}: ` : ''}${String(e.message)}`;
  } catch {
    return undefined;
  }
}
