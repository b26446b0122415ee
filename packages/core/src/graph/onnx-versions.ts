/**
 * What the graph tools know of ONNX: the vendored onnx.proto declares IR_VERSION 14, and the newest operator set of
 * the onnx release it follows (1.23.0) is 28. A model above these may carry semantics the tools would rewrite
 * wrongly, so the edits that need them refuse it (see docs/service-definition.md, docs/quantization.md).
 */
export const MAX_IR_VERSION = 14;
export const MAX_OPSET = 28;

/** '' and 'ai.onnx' both name the default operator set. */
export function isDefaultDomain(domain: string | null | undefined): boolean {
  return domain === '' || domain === 'ai.onnx' || domain === null || domain === undefined;
}

/**
 * The IR version released with each opset range (onnx/helper.py VERSION_TABLE), at least 4: initializers that are
 * not graph inputs are legal only from IR 4 on. undefined above MAX_OPSET.
 */
export function irVersionForOpset(opset: number): number | undefined {
  const table: readonly [number, number][] = [
    [9, 4],
    [10, 5],
    [11, 6],
    [14, 7],
    [18, 8],
    [20, 9],
    [22, 10],
    [23, 11],
    [24, 12],
    [MAX_OPSET, 13],
  ];
  return table.find(([maxOpset]) => opset <= maxOpset)?.[1];
}
