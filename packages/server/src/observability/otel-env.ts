import type { TracingOptions, TracingSampler } from './observability-options.js';

/**
 * The standard OpenTelemetry SDK environment variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 * and the OTLP exporter's), read into TracingOptions. Only what is set is returned: the serve command puts this layer
 * below its own flags, TACHYON_SERVE_* variables and config file, so tachyon's own settings take precedence.
 *
 * - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`);
 * - `OTEL_EXPORTER_OTLP_HEADERS` then `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (`k=v,k2=v2`, values percent-decoded);
 * - `OTEL_SERVICE_NAME`, else `service.name` of `OTEL_RESOURCE_ATTRIBUTES`; `OTEL_RESOURCE_ATTRIBUTES` (`k=v,...`);
 * - `OTEL_TRACES_SAMPLER` (always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off,
 *   parentbased_traceidratio) and `OTEL_TRACES_SAMPLER_ARG` (the ratio);
 * - `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`: nothing (no endpoint from the environment).
 *
 * Malformed values are ignored, as the SDKs do, and named in `ignored`.
 */
export function tracingFromOtelEnv(env: Readonly<Record<string, string | undefined>>): {
  options: TracingOptions;
  ignored: string[];
} {
  const options: TracingOptions = {};
  const ignored: string[] = [];
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  if (get('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { options, ignored };

  const exporters = get('OTEL_TRACES_EXPORTER')
    ?.split(',')
    .map((e) => e.trim().toLowerCase());
  if (!exporters?.includes('none')) {
    const signal = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    const base = get('OTEL_EXPORTER_OTLP_ENDPOINT');
    const endpoint = signal ?? (base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/traces`);
    if (endpoint !== undefined) {
      if (/^https?:\/\/\S+$/.test(endpoint)) options.otlpEndpoint = endpoint;
      else ignored.push(signal === undefined ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    }
  }
  const headers = {
    ...parseList(get('OTEL_EXPORTER_OTLP_HEADERS'), 'OTEL_EXPORTER_OTLP_HEADERS', ignored),
    ...parseList(get('OTEL_EXPORTER_OTLP_TRACES_HEADERS'), 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', ignored),
  };
  if (Object.keys(headers).length > 0) options.headers = headers;
  const resource = parseList(get('OTEL_RESOURCE_ATTRIBUTES'), 'OTEL_RESOURCE_ATTRIBUTES', ignored);
  if (Object.keys(resource).length > 0) options.resourceAttributes = resource;
  const serviceName = get('OTEL_SERVICE_NAME') ?? resource['service.name'];
  if (serviceName !== undefined) options.serviceName = serviceName;

  const sampler = get('OTEL_TRACES_SAMPLER')?.toLowerCase();
  if (sampler !== undefined) {
    if ((SAMPLERS as readonly string[]).includes(sampler)) options.sampler = sampler as TracingSampler;
    else ignored.push('OTEL_TRACES_SAMPLER');
  }
  const arg = get('OTEL_TRACES_SAMPLER_ARG');
  if (arg !== undefined && (options.sampler === 'traceidratio' || options.sampler === 'parentbased_traceidratio')) {
    const ratio = Number(arg);
    if (ratio >= 0 && ratio <= 1) options.sampleRatio = ratio;
    else ignored.push('OTEL_TRACES_SAMPLER_ARG');
  }
  return { options, ignored };
}

const SAMPLERS: readonly TracingSampler[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/** The W3C Baggage-like `key=value,key2=value2` list of OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS. */
function parseList(value: string | undefined, name: string, ignored: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  for (const item of value.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    const key = eq < 0 ? '' : item.slice(0, eq).trim();
    let decoded: string | undefined;
    try {
      decoded = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      decoded = undefined;
    }
    if (key === '' || decoded === undefined) {
      ignored.push(name);
      return {};
    }
    out[key] = decoded;
  }
  return out;
}
