import { withFields } from './onnx-message.js';
import type { OnnxGraph, OnnxNode, OnnxValueInfo } from './onnx-model.js';
import {
  AttributeProtoSchema,
  GraphProtoSchema,
  NodeProtoSchema,
  SparseTensorProtoSchema,
  StringStringEntryProtoSchema,
  TensorAnnotationSchema,
  TensorProtoSchema,
  ValueInfoProtoSchema,
} from './proto/onnx/onnx_pb.js';

export type Rename = (name: string) => string;

/** `<prefix>/<name>` for every name but the ones `fixed` maps (the tensors connecting fused parts); '' stays ''. */
export function buildRename(prefix: string, fixed: ReadonlyMap<string, string>): Rename {
  return (name) => (name === '' ? '' : (fixed.get(name) ?? `${prefix}/${name}`));
}

/**
 * A copy of a node with its tensor names and node name renamed, recursively into subgraph attributes (names in an
 * If/Loop body are renamed the same way, so their outer-scope references keep pointing at the renamed tensors).
 * Every other field is kept as it was; tensor payloads are shared, not copied.
 */
export function renameNode(node: OnnxNode, rename: Rename, renameNodeName: Rename): OnnxNode {
  const attribute = node.attribute.map((a) => {
    if (!a.g && a.graphs.length === 0) return a;
    return withFields(AttributeProtoSchema, a, {
      ...(a.g ? { g: renameGraph(a.g, rename, renameNodeName) } : {}),
      graphs: a.graphs.map((g) => renameGraph(g, rename, renameNodeName)),
    });
  });
  return withFields(NodeProtoSchema, node, {
    name: renameNodeName(node.name),
    input: node.input.map(rename),
    output: node.output.map(rename),
    attribute,
  });
}

export function renameValueInfo(vi: OnnxValueInfo, rename: Rename): OnnxValueInfo {
  return withFields(ValueInfoProtoSchema, vi, { name: rename(vi.name) });
}

/** A copy of a graph with every tensor and node name renamed (initializers, value infos and annotations too). */
export function renameGraph(graph: OnnxGraph, rename: Rename, renameNodeName: Rename): OnnxGraph {
  return withFields(GraphProtoSchema, graph, {
    node: graph.node.map((n) => renameNode(n, rename, renameNodeName)),
    initializer: graph.initializer.map((t) => withFields(TensorProtoSchema, t, { name: rename(t.name) })),
    sparseInitializer: graph.sparseInitializer.map((s) =>
      s.values
        ? withFields(SparseTensorProtoSchema, s, {
            values: withFields(TensorProtoSchema, s.values, { name: rename(s.values.name) }),
          })
        : s,
    ),
    input: graph.input.map((vi) => renameValueInfo(vi, rename)),
    output: graph.output.map((vi) => renameValueInfo(vi, rename)),
    valueInfo: graph.valueInfo.map((vi) => renameValueInfo(vi, rename)),
    quantizationAnnotation: graph.quantizationAnnotation.map((a) =>
      withFields(TensorAnnotationSchema, a, {
        tensorName: rename(a.tensorName),
        quantParameterTensorNames: a.quantParameterTensorNames.map((e) =>
          withFields(StringStringEntryProtoSchema, e, { value: rename(e.value) }),
        ),
      }),
    ),
  });
}
