import { TachyonError } from '@tachyon-serve/protocol';
import { toInt, type OnnxModel } from './onnx-model.js';
import { MAX_IR_VERSION } from './onnx-versions.js';
import type { StringStringEntryProto } from './proto/onnx/onnx_pb.js';

interface Part {
  readonly model: OnnxModel;
  readonly prefix: string;
}

/**
 * A fused model is built anew, so a part may only hold what fusion knows how to carry: nodes, tensors, value infos,
 * annotations, functions and metadata. Anything else would be dropped or kept with a meaning that no longer holds
 * (training of the part's own graph, device placement, fields newer than the schema): TCH_ERR_GRAPH_FUSE_UNSUPPORTED.
 */
export function assertFusable(model: OnnxModel, prefix: string): void {
  const irVersion = toInt(model.irVersion);
  const reasons: string[] = [];
  if (irVersion > MAX_IR_VERSION)
    reasons.push(`IR version ${irVersion} is above ${MAX_IR_VERSION}, the newest the vendored onnx.proto knows`);
  if ((model.$unknown ?? []).length > 0)
    reasons.push(`the model has fields newer than the vendored onnx.proto (numbers ${fieldNumbers(model.$unknown)})`);
  if ((model.graph?.$unknown ?? []).length > 0)
    reasons.push(
      `the graph has fields newer than the vendored onnx.proto (numbers ${fieldNumbers(model.graph!.$unknown)})`,
    );
  if (model.trainingInfo.length > 0) reasons.push('the model has training info, which describes its own graph only');
  if (model.configuration.length > 0)
    reasons.push('the model has device configurations, which describe its own graph only');
  if (reasons.length > 0) {
    throw new TachyonError('TCH_ERR_GRAPH_FUSE_UNSUPPORTED', `Part "${prefix}" cannot be fused: ${reasons[0]}.`, {
      details: { part: prefix, reasons, irVersion },
    });
  }
}

/** Metadata entries of all parts in order, each key once; a key two parts give different values is refused. */
export function mergeMetadata(
  parts: readonly Part[],
  entriesOf: (model: OnnxModel) => readonly StringStringEntryProto[],
  level: 'model' | 'graph',
): StringStringEntryProto[] {
  const seen = new Map<string, { value: string; prefix: string }>();
  const out: StringStringEntryProto[] = [];
  for (const part of parts) {
    for (const entry of entriesOf(part.model)) {
      const before = seen.get(entry.key);
      if (before === undefined) {
        seen.set(entry.key, { value: entry.value, prefix: part.prefix });
        out.push(entry);
      } else if (before.value !== entry.value) {
        throw new TachyonError(
          'TCH_ERR_GRAPH_FUSE_UNSUPPORTED',
          `Parts "${before.prefix}" and "${part.prefix}" give ${level} metadata key "${entry.key}" different values.`,
          { details: { key: entry.key, level, parts: [before.prefix, part.prefix] } },
        );
      }
    }
  }
  return out;
}

function fieldNumbers(unknown: readonly { no: number }[] | undefined): string {
  return [...new Set((unknown ?? []).map((u) => u.no))].join(', ');
}
