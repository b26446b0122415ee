import { create } from '@bufbuild/protobuf';
import { TachyonError } from '@tachyon-serve/protocol';
import { buildPrunedModel } from './build-pruned-model.js';
import { assertFusable, mergeMetadata } from './fusable-part.js';
import { indexGraph, selectNodes } from './graph-index.js';
import { mergeFunctions, mergeOpsets } from './merge-opsets.js';
import { withFields } from './onnx-message.js';
import {
  graphOf,
  toInt,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensorProto,
  type OnnxValueInfo,
} from './onnx-model.js';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  ValueInfoProtoSchema,
  type SparseTensorProto,
  type TensorAnnotation,
} from './proto/onnx/onnx_pb.js';
import { buildRename, renameGraph } from './rename-graph.js';
import { tensorNotFound, validateTensorNames } from './tensor-info.js';

/** One model of a fused sequence and how its ports connect to the pipeline tensors. */
export interface FusePart {
  model: OnnxModel;
  /** Every node, initializer and value name of this part becomes `<prefix>/<name>`; unique among the parts. */
  prefix: string;
  /** Model input name -> pipeline tensor (a fused graph input or an earlier part's output). */
  inputs: Readonly<Record<string, string>>;
  /** Model output name -> pipeline tensor; outputs left out are dropped (with what only they needed). */
  outputs: Readonly<Record<string, string>>;
}

export interface FuseGraph {
  /** Pipeline tensors fed to the fused model. */
  inputs: readonly string[];
  /** Pipeline tensors the fused model returns. */
  outputs: readonly string[];
  /** @default 'fused' */
  name?: string;
}

/** Older IRs required every initializer to be listed as a graph input; the fused graph lists only `inputs`. */
const MIN_FUSED_IR = 4;

/**
 * Fuses models that run in sequence into one graph, run by one session call. Each part's names are prefixed
 * (`<prefix>/...`) except the tensors connecting parts, which take the pipeline tensor names. The graph inputs are
 * `graph.inputs` (declared as the first part reading each declares it), the outputs `graph.outputs`; nodes no
 * output needs are dropped. IR version: the highest of the parts (at least 4). Model and graph metadata entries of
 * the parts are merged; local functions are carried (one copy of each).
 * Errors: TCH_ERR_GRAPH_FUSE_UNSUPPORTED when the parts import different versions of an operator set, when a part
 * has an IR version above 14, fields newer than the vendored onnx.proto at model or graph level, training info or
 * device configurations (what a fused model could not keep faithfully), or when two parts give one metadata key
 * different values (the caller then runs them one by one); TCH_ERR_GRAPH_TENSOR_NOT_FOUND for a port the model does not have;
 * TCH_ERR_GRAPH_INVALID for a wiring that leaves no valid graph (an input left unconnected, a pipeline tensor read
 * before it is written or written twice, an output nothing writes, a name collision).
 */
export function fuseModels(parts: readonly FusePart[], graph: FuseGraph): OnnxModel {
  validateArguments(parts, graph);
  parts.forEach((part) => assertFusable(part.model, part.prefix));
  const metadataProps = mergeMetadata(parts, (m) => m.metadataProps, 'model');
  const graphMetadataProps = mergeMetadata(parts, (m) => m.graph?.metadataProps ?? [], 'graph');
  const opsetImport = mergeOpsets(parts);
  const functions = mergeFunctions(parts);
  const writers = new Map<string, string>(graph.inputs.map((n) => [n, 'graph inputs']));
  const read = new Set<string>();
  const inputDecl = new Map<string, OnnxValueInfo>();
  const outputDecl = new Map<string, OnnxValueInfo>();
  const nodes: OnnxNode[] = [];
  const initializer: OnnxTensorProto[] = [];
  const sparseInitializer: SparseTensorProto[] = [];
  const valueInfo: OnnxValueInfo[] = [];
  const quantizationAnnotation: TensorAnnotation[] = [];
  parts.forEach((part, p) => {
    const g = graphOf(part.model, `parts[${p}].model`);
    const index = indexGraph(g);
    const where = `part "${part.prefix}"`;
    for (const [port, tensor] of Object.entries(part.inputs)) {
      if (!index.inputs.has(port) && !index.initializerInputs.has(port))
        throw tensorNotFound(port, `the inputs of ${where}`);
      if (!writers.has(tensor))
        throw invalid(`Part "${part.prefix}" reads pipeline tensor "${tensor}" before anything writes it.`, {
          part: part.prefix,
          tensor,
        });
      read.add(tensor);
      const declared = index.inputs.get(port) ?? (g.input ?? []).find((vi) => vi.name === port)!;
      if (!inputDecl.has(tensor)) inputDecl.set(tensor, withFields(ValueInfoProtoSchema, declared, { name: tensor }));
    }
    for (const port of index.inputs.keys()) {
      if (!Object.hasOwn(part.inputs, port))
        throw invalid(`Input "${port}" of part "${part.prefix}" is connected to no pipeline tensor.`, {
          part: part.prefix,
          input: port,
        });
    }
    const fixed = new Map(Object.entries(part.inputs));
    const copies: [string, string][] = [];
    for (const [port, tensor] of Object.entries(part.outputs)) {
      const declared = (g.output ?? []).find((vi) => vi.name === port);
      if (!declared) throw tensorNotFound(port, `the outputs of ${where}`);
      if (writers.has(tensor))
        throw invalid(
          `Pipeline tensor "${tensor}" is written by ${writers.get(tensor)} and again by part "${part.prefix}".`,
          { part: part.prefix, tensor },
        );
      writers.set(tensor, `part "${part.prefix}"`);
      outputDecl.set(tensor, withFields(ValueInfoProtoSchema, declared, { name: tensor }));
      // An output that no node of the part computes (a pass-through input, a constant) is copied by an Identity.
      if (index.producers.has(port)) fixed.set(port, tensor);
      else copies.push([port, tensor]);
    }
    const fed = new Set(Object.keys(part.inputs));
    const rename = buildRename(part.prefix, fixed);
    // An initializer-backed input that the pipeline feeds loses its initializer (the default it held).
    const own = withFields(GraphProtoSchema, g, {
      initializer: g.initializer.filter((t) => !fed.has(t.name)),
      sparseInitializer: g.sparseInitializer.filter((s) => !fed.has(s.values?.name ?? '')),
    });
    const renamed = renameGraph(own, rename, buildRename(part.prefix, new Map()));
    nodes.push(...renamed.node);
    for (const [port, tensor] of copies) {
      nodes.push(
        create(NodeProtoSchema, {
          opType: 'Identity',
          name: `${part.prefix}/${port}/copy`,
          input: [rename(port)],
          output: [tensor],
        }),
      );
    }
    initializer.push(...renamed.initializer);
    sparseInitializer.push(...renamed.sparseInitializer);
    valueInfo.push(...renamed.valueInfo);
    quantizationAnnotation.push(...renamed.quantizationAnnotation);
  });
  for (const name of graph.inputs)
    if (!read.has(name)) throw invalid(`Graph input "${name}" is read by no part.`, { input: name });
  for (const name of graph.outputs) {
    const writer = writers.get(name);
    if (writer === undefined || writer === 'graph inputs')
      throw invalid(`Graph output "${name}" is written by no part.`, { output: name });
  }
  // Connecting tensors keep the type their producer declared, which helps shape inference across the seams.
  for (const [name, vi] of outputDecl) if (!graph.outputs.includes(name)) valueInfo.push(vi);
  const inputs = graph.inputs.map((n) => inputDecl.get(n)!);
  const outputs = graph.outputs.map((n) => outputDecl.get(n)!);
  const irVersion = Math.max(MIN_FUSED_IR, ...parts.map((p) => toInt(p.model.irVersion)));
  const fused = create(ModelProtoSchema, {
    irVersion: BigInt(irVersion),
    opsetImport,
    producerName: 'tachyon',
    docString: `Fused from: ${parts.map((p) => p.prefix).join(', ')}`,
    metadataProps,
    functions,
    graph: {
      name: graph.name ?? 'fused',
      node: nodes,
      initializer,
      sparseInitializer,
      input: inputs,
      output: outputs,
      valueInfo,
      quantizationAnnotation,
      metadataProps: graphMetadataProps,
    },
  });
  // Indexing checks that prefixed names collide neither with each other nor with pipeline tensor names.
  const index = indexGraph(fused.graph!);
  return buildPrunedModel(fused, index, selectNodes(index, graph.outputs), inputs, outputs);
}

function validateArguments(parts: readonly FusePart[], graph: FuseGraph): void {
  if (!Array.isArray(parts)) throw new TypeError('parts must be an array.');
  if (parts.length === 0) throw new RangeError('parts must hold at least one model.');
  const prefixes = new Set<string>();
  parts.forEach((part, i) => {
    if (typeof part !== 'object' || part === null) throw new TypeError(`parts[${i}] must be an object.`);
    if (typeof part.model !== 'object' || part.model === null)
      throw new TypeError(`parts[${i}].model must be an OnnxModel.`);
    if (typeof part.prefix !== 'string' || part.prefix === '')
      throw new TypeError(`parts[${i}].prefix must be a non-empty string.`);
    if (prefixes.has(part.prefix)) throw new RangeError(`parts[${i}].prefix "${part.prefix}" is used by another part.`);
    prefixes.add(part.prefix);
    for (const key of ['inputs', 'outputs'] as const) {
      const map = part[key];
      if (typeof map !== 'object' || map === null || Array.isArray(map))
        throw new TypeError(`parts[${i}].${key} must be an object of name -> pipeline tensor.`);
      for (const [port, tensor] of Object.entries(map)) {
        if (typeof tensor !== 'string' || tensor === '')
          throw new TypeError(`parts[${i}].${key}["${port}"] must be a non-empty string.`);
      }
    }
  });
  if (typeof graph !== 'object' || graph === null) throw new TypeError('graph must be an object { inputs, outputs }.');
  validateTensorNames(graph.inputs, 'graph.inputs');
  validateTensorNames(graph.outputs, 'graph.outputs');
  if (graph.name !== undefined && typeof graph.name !== 'string') throw new TypeError('graph.name must be a string.');
}

function invalid(message: string, details: Record<string, unknown>): TachyonError {
  return new TachyonError('TCH_ERR_GRAPH_INVALID', message, { details });
}
