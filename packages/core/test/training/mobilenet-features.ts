import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { sharedModel } from '@tachyon-serve/test-support';

const { onnx } = onnxProto;

/** MobileNetV2's pooled features: Flatten(GlobalAveragePool(last conv)), float32 [N, 1280], just before the Gemm. */
export const MOBILENET_POOLED_TENSOR = 'flatten_301';
export const MOBILENET_FEATURE_SIZE = 1280;

/**
 * Test support only (core/graph's cutModel will do this properly): a copy of ../shared/models/mobilenetv2-fp32.onnx
 * with the pooled feature tensor added as a second graph output, written to `dir`.
 */
export async function writeMobilenetWithFeatures(dir: string): Promise<string> {
  const model = onnx.ModelProto.decode(await readFile(sharedModel('mobilenetv2-fp32.onnx')));
  const graph = model.graph!;
  if (!graph.node!.some((n) => n.output!.includes(MOBILENET_POOLED_TENSOR))) {
    throw new Error(`mobilenetv2-fp32.onnx has no tensor "${MOBILENET_POOLED_TENSOR}"`);
  }
  graph.output!.push(
    onnx.ValueInfoProto.create({
      name: MOBILENET_POOLED_TENSOR,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: [{ dimParam: 'N' }, { dimValue: MOBILENET_FEATURE_SIZE }] },
        },
      },
    }),
  );
  const path = join(dir, 'mobilenetv2-fp32-features.onnx');
  await writeFile(path, onnx.ModelProto.encode(model).finish());
  return path;
}
