import {
  create,
  createRegistry,
  fromJson,
  isMessage,
  toJson,
  type DescMessage,
  type JsonValue,
  type MessageShape,
} from '@bufbuild/protobuf';
import { TachyonError } from '@tachyon-serve/protocol';
import { ModelProtoSchema, file_onnx_onnx, type ModelProto } from './proto/onnx/onnx_pb.js';

/**
 * A copy of `message` with `changes` applied and everything else kept as it was: fields the source set (and only
 * those: proto2 presence), its unknown fields, and nested messages and payloads (shared, not copied). `create()` with
 * an init object would drop the unknown fields and the presence of fields set to their default.
 */
export function withFields<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  changes: Partial<Omit<MessageShape<Desc>, '$typeName'>> = {},
): MessageShape<Desc> {
  const out = create(schema) as Record<string, unknown>;
  for (const key of Object.keys(message)) out[key] = (message as Record<string, unknown>)[key];
  for (const [key, value] of Object.entries(changes)) if (value !== undefined) out[key] = value;
  return out as MessageShape<Desc>;
}

const registry = createRegistry(file_onnx_onnx);

/**
 * A model given as a plain object in ONNX's JSON form: camelCase fields, oneof members as plain fields
 * (`type.tensorType`, `dim.dimValue`), int64 as numbers, strings or Long objects, bytes as Uint8Array. That is the
 * shape of protobufjs-built models (the `onnx-proto` package) and of `onnx.json_format` output.
 */
export interface OnnxModelObject {
  irVersion?: unknown;
  opsetImport?: readonly unknown[] | null;
  graph?: object | null;
}

/**
 * Converts a model in ONNX's JSON form (see OnnxModelObject; generated messages nested in it are accepted too) into
 * a generated ModelProto. TCH_ERR_GRAPH_INVALID when it does not follow the onnx.proto schema.
 */
export function onnxModelFromObject(value: OnnxModelObject | ModelProto): ModelProto {
  if (isMessage(value, ModelProtoSchema)) return value;
  if (typeof value !== 'object' || value === null)
    throw new TypeError('model must be an OnnxModel or an object in ONNX JSON form.');
  try {
    return fromJson(ModelProtoSchema, toJsonValue(value), { registry });
  } catch (cause) {
    throw new TachyonError('TCH_ERR_GRAPH_INVALID', 'The model object does not follow the onnx.proto schema.', {
      cause,
    });
  }
}

function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object') {
    const typeName = (value as { $typeName?: unknown }).$typeName;
    if (typeof typeName === 'string') {
      const schema = registry.getMessage(typeName);
      if (schema) return toJson(schema, value as MessageShape<typeof schema>, { registry });
    }
    // A protobufjs Long: { low, high, unsigned } with toString().
    if ('low' in value && 'high' in value && typeof (value as { toString: unknown }).toString === 'function')
      return String(value);
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value))
      if (v !== null && v !== undefined && typeof v !== 'function') out[k] = toJsonValue(v);
    return out;
  }
  throw new TypeError(`A model field holds a ${typeof value}, which ONNX JSON has no form for.`);
}
