import { create } from '@bufbuild/protobuf';
import { TachyonError } from '@tachyon-serve/protocol';
import { TensorProtoSchema } from './proto/onnx/onnx_pb.js';
import type { OnnxGraph, OnnxNode, OnnxTensorProto, OnnxValueInfo } from './onnx-model.js';

/** Where each tensor of a graph comes from; built once per edit, after checking that every name is defined once. */
export interface GraphIndex {
  readonly graph: OnnxGraph;
  readonly nodes: readonly OnnxNode[];
  /** tensor -> index of the node producing it */
  readonly producers: ReadonlyMap<string, number>;
  /** Initializers, dense and sparse (by the name of their values tensor). */
  readonly initializers: ReadonlyMap<string, OnnxTensorProto>;
  /** Graph inputs that no initializer backs: what a caller must feed. */
  readonly inputs: ReadonlyMap<string, OnnxValueInfo>;
  /** Graph inputs that an initializer backs (older models list every weight as an input too). */
  readonly initializerInputs: ReadonlySet<string>;
  /** Per node: the tensors it reads, its subgraphs' outer-scope references (If/Loop/Scan bodies) included. */
  readonly reads: readonly (readonly string[])[];
}

export function indexGraph(graph: OnnxGraph): GraphIndex {
  const nodes = graph.node ?? [];
  const initializers = new Map<string, OnnxTensorProto>();
  const duplicates = new Set<string>();
  for (const t of graph.initializer ?? []) addOnce(initializers, t.name ?? '', t, duplicates);
  for (const s of graph.sparseInitializer ?? [])
    addOnce(initializers, s.values?.name ?? '', s.values ?? create(TensorProtoSchema), duplicates);
  const inputs = new Map<string, OnnxValueInfo>();
  const initializerInputs = new Set<string>();
  for (const vi of graph.input ?? []) {
    const name = vi.name ?? '';
    if (initializers.has(name)) {
      if (initializerInputs.has(name)) duplicates.add(name);
      initializerInputs.add(name);
    } else {
      addOnce(inputs, name, vi, duplicates);
    }
  }
  const producers = new Map<string, number>();
  nodes.forEach((node, i) => {
    for (const out of node.output ?? []) {
      if (out === '') continue;
      if (producers.has(out) || initializers.has(out) || inputs.has(out)) duplicates.add(out);
      producers.set(out, i);
    }
  });
  if (duplicates.size > 0) {
    const names = [...duplicates];
    throw new TachyonError(
      'TCH_ERR_GRAPH_INVALID',
      `The graph defines ${names.length} tensor name(s) more than once, e.g. "${names[0]}".`,
      { details: { names: names.slice(0, 20) } },
    );
  }
  const reads = nodes.map((node) => {
    const own = (node.input ?? []).filter((n) => n !== '');
    const outer = subgraphs(node).flatMap((g) => [...outerScopeReads(g)]);
    return outer.length === 0 ? own : [...new Set([...own, ...outer])];
  });
  return { graph, nodes, producers, initializers, inputs, initializerInputs, reads };
}

/** The subgraphs held by a node's attributes (If branches, Loop/Scan bodies). */
export function subgraphs(node: OnnxNode): OnnxGraph[] {
  const out: OnnxGraph[] = [];
  for (const a of node.attribute ?? []) {
    if (a.g) out.push(a.g);
    out.push(...(a.graphs ?? []));
  }
  return out;
}

/** Names a subgraph reads from enclosing scopes: read in it (or deeper) but defined by none of its own inputs, initializers or nodes. */
export function outerScopeReads(graph: OnnxGraph): Set<string> {
  const defined = new Set<string>();
  for (const vi of graph.input ?? []) defined.add(vi.name ?? '');
  for (const t of graph.initializer ?? []) defined.add(t.name ?? '');
  for (const s of graph.sparseInitializer ?? []) defined.add(s.values?.name ?? '');
  for (const node of graph.node ?? []) for (const o of node.output ?? []) defined.add(o);
  const reads = new Set<string>();
  for (const node of graph.node ?? []) {
    for (const i of node.input ?? []) if (i !== '' && !defined.has(i)) reads.add(i);
    for (const g of subgraphs(node)) for (const i of outerScopeReads(g)) if (!defined.has(i)) reads.add(i);
  }
  for (const vi of graph.output ?? []) if (!defined.has(vi.name ?? '')) reads.add(vi.name ?? '');
  return reads;
}

/** What computing some tensors needs: the nodes (as indexes), the initializers, and the graph inputs reached. */
export interface Selection {
  readonly nodes: ReadonlySet<number>;
  readonly initializers: ReadonlySet<string>;
  /** Graph inputs (not initializer-backed) the outputs depend on. */
  readonly inputs: ReadonlySet<string>;
  /** Boundary tensors the walk stopped at. */
  readonly boundary: ReadonlySet<string>;
}

/**
 * Walks back from `outputs`, stopping at `boundary` tensors, initializers and graph inputs.
 * `outputs` must exist in the graph (TCH_ERR_GRAPH_TENSOR_NOT_FOUND); a read of an undefined tensor deeper in is a
 * broken graph (TCH_ERR_GRAPH_INVALID).
 */
export function selectNodes(
  index: GraphIndex,
  outputs: readonly string[],
  boundary: ReadonlySet<string> = new Set(),
): Selection {
  const nodes = new Set<number>();
  const initializers = new Set<string>();
  const inputs = new Set<string>();
  const reached = new Set<string>();
  const seen = new Set<string>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    if (boundary.has(name)) {
      reached.add(name);
      continue;
    }
    const producer = index.producers.get(name);
    if (producer !== undefined) {
      if (!nodes.has(producer)) {
        nodes.add(producer);
        stack.push(...index.reads[producer]!);
      }
    } else if (index.initializers.has(name)) {
      initializers.add(name);
    } else if (index.inputs.has(name)) {
      inputs.add(name);
    } else {
      throw new TachyonError('TCH_ERR_GRAPH_INVALID', `The graph reads tensor "${name}", which nothing defines.`, {
        details: { name },
      });
    }
  }
  return { nodes, initializers, inputs, boundary: reached };
}

/** True when the tensor is produced, fed or stored in the graph (a name an edit may refer to). */
export function hasTensor(index: GraphIndex, name: string): boolean {
  return index.producers.has(name) || index.initializers.has(name) || index.inputs.has(name);
}

function addOnce<T>(map: Map<string, T>, name: string, value: T, duplicates: Set<string>): void {
  if (map.has(name)) duplicates.add(name);
  map.set(name, value);
}
