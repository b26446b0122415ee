// Multiply-accumulates of one batch-1 inference, counted from the ONNX graph: every Conv / Gemm / MatMul (and their
// integer forms) with its shapes, where the shapes of intermediate tensors come from onnxruntime's shape inference
// through core's probeTensorInfo (the model cut at those tensors and loaded, not run). 1 MAC = 2 operations.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OnnxRuntimeBackend, probeTensorInfo, readOnnxModel, toInt, type OnnxModel } from '@tachyon-serve/core';

/** Which inputs of a compute node are the data (A / X) and the weight (B / W), by op type. */
const COMPUTE_OPS: Readonly<Record<string, { kind: 'conv' | 'gemm' | 'matmul'; data: number; weight: number }>> =
  Object.freeze({
    Conv: { kind: 'conv', data: 0, weight: 1 },
    ConvInteger: { kind: 'conv', data: 0, weight: 1 },
    QLinearConv: { kind: 'conv', data: 0, weight: 3 },
    Gemm: { kind: 'gemm', data: 0, weight: 1 },
    QGemm: { kind: 'gemm', data: 0, weight: 3 },
    MatMul: { kind: 'matmul', data: 0, weight: 1 },
    MatMulInteger: { kind: 'matmul', data: 0, weight: 1 },
    QLinearMatMul: { kind: 'matmul', data: 0, weight: 3 },
  });

export interface ModelMacs {
  /** Multiply-accumulates of one image (batch dimension taken as 1). */
  macs: number;
  /** Compute nodes counted, by op type. */
  nodes: Record<string, number>;
}

type Dims = readonly number[];

/** Batch 1: a dynamic dimension (-1, the batch) counts as 1. */
const elements = (dims: Dims): number => dims.reduce((n, d) => n * (d < 0 ? 1 : d), 1);

/** MACs of one node from the dims of its data input, weight and output (pure). */
export function nodeMacs(
  opType: string,
  attributes: { transA?: number },
  data: Dims,
  weight: Dims,
  output: Dims,
): number {
  const op = COMPUTE_OPS[opType];
  if (op === undefined) throw new RangeError(`opType: '${opType}' is not a counted compute op`);
  if (op.kind === 'conv') return elements(output) * elements(weight.slice(1)); // W [M, C/group, kH, kW]
  const k = op.kind === 'gemm' && attributes.transA ? data[data.length - 2]! : data[data.length - 1]!;
  return elements(output) * Math.max(1, k);
}

/** The tensors whose dims the count needs, and the dims already known from initializers and graph inputs. */
function plan(model: OnnxModel): { known: Map<string, Dims>; probe: string[] } {
  const graph = model.graph!;
  const known = new Map<string, Dims>();
  for (const t of graph.initializer ?? [])
    known.set(
      t.name ?? '',
      (t.dims ?? []).map((d) => toInt(d)),
    );
  for (const vi of graph.input ?? []) {
    if (known.has(vi.name ?? '')) continue;
    const type = vi.type?.value;
    const dims =
      type?.case === 'tensorType'
        ? type.value.shape?.dim.map((d) => (d.value.case === 'dimValue' ? toInt(d.value.value) : -1))
        : undefined;
    if (dims) known.set(vi.name ?? '', dims);
  }
  const probe = new Set<string>();
  for (const node of graph.node ?? []) {
    const op = COMPUTE_OPS[node.opType ?? ''];
    if (!op) continue;
    for (const name of [node.input?.[op.data], node.input?.[op.weight], node.output?.[0]]) {
      if (name && !known.has(name)) probe.add(name);
    }
  }
  return { known, probe: [...probe] };
}

/** Counts the MACs of a decoded model; `backend` serves the shape probe. */
export async function countModelMacs(model: OnnxModel, backend: OnnxRuntimeBackend): Promise<ModelMacs> {
  const { known, probe } = plan(model);
  if (probe.length > 0)
    for (const info of await probeTensorInfo(model, probe, backend)) known.set(info.name, info.dims);
  let macs = 0;
  const nodes: Record<string, number> = {};
  for (const node of model.graph!.node ?? []) {
    const op = COMPUTE_OPS[node.opType ?? ''];
    if (!op) continue;
    const dims = (i: number | 'out') => known.get((i === 'out' ? node.output?.[0] : node.input?.[i]) ?? '') ?? [];
    const transA = (node.attribute ?? []).find((a) => a.name === 'transA');
    macs += nodeMacs(
      node.opType!,
      { transA: transA ? toInt(transA.i) : 0 },
      dims(op.data),
      dims(op.weight),
      dims('out'),
    );
    nodes[node.opType!] = (nodes[node.opType!] ?? 0) + 1;
  }
  return { macs, nodes };
}

/**
 * MACs of each .onnx file, cached in `cacheFile` by path, size and modification time (probing a 550 MB VGG-16 takes
 * a while; the count never changes for the same file).
 */
export async function modelMacsCached(
  paths: readonly string[],
  cacheFile: string,
  log: (m: string) => void,
): Promise<Map<string, ModelMacs>> {
  const cache: Record<string, ModelMacs> = existsSync(cacheFile)
    ? (JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, ModelMacs>)
    : {};
  const result = new Map<string, ModelMacs>();
  let backend: OnnxRuntimeBackend | undefined;
  try {
    for (const path of paths) {
      const st = statSync(path);
      const key = `${path}|${st.size}|${Math.round(st.mtimeMs)}`;
      if (!cache[key]) {
        log(`counting MACs of ${path} (shape probe in onnxruntime)...`);
        backend ??= new OnnxRuntimeBackend({ workers: 1 });
        cache[key] = await countModelMacs(await readOnnxModel(path), backend);
      }
      result.set(path, cache[key]);
    }
  } finally {
    await backend?.close();
  }
  await mkdir(dirname(cacheFile), { recursive: true });
  await writeFile(`${cacheFile}.${process.pid}.tmp`, `${JSON.stringify(cache, null, 2)}\n`);
  await rename(`${cacheFile}.${process.pid}.tmp`, cacheFile);
  return result;
}
