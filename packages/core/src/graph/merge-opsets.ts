import { create, toBinary } from '@bufbuild/protobuf';
import { TachyonError } from '@tachyon-serve/protocol';
import { toInt, type OnnxModel } from './onnx-model.js';
import {
  FunctionProtoSchema,
  OperatorSetIdProtoSchema,
  type FunctionProto,
  type OperatorSetIdProto,
} from './proto/onnx/onnx_pb.js';

interface Part {
  readonly model: OnnxModel;
  readonly prefix: string;
}

/** '' and 'ai.onnx' both name the default operator set. */
function domainOf(domain: string | null | undefined): string {
  return domain === 'ai.onnx' || domain === null || domain === undefined ? '' : domain;
}

/**
 * The operator sets of the fused model. An operator's meaning depends on its opset version, so every part that
 * imports a domain must import the same version of it; otherwise TCH_ERR_GRAPH_FUSE_UNSUPPORTED.
 */
export function mergeOpsets(parts: readonly Part[]): OperatorSetIdProto[] {
  const versions = new Map<string, { version: number; prefix: string }>();
  for (const part of parts) {
    for (const opset of part.model.opsetImport ?? []) {
      const domain = domainOf(opset.domain);
      const version = toInt(opset.version);
      const seen = versions.get(domain);
      if (seen === undefined) {
        versions.set(domain, { version, prefix: part.prefix });
      } else if (seen.version !== version) {
        const name = domain === '' ? 'the default (ai.onnx) operator set' : `operator set "${domain}"`;
        throw new TachyonError(
          'TCH_ERR_GRAPH_FUSE_UNSUPPORTED',
          `Part "${seen.prefix}" imports ${name} version ${seen.version} but part "${part.prefix}" imports version ${version}.`,
          { details: { domain, versions: { [seen.prefix]: seen.version, [part.prefix]: version } } },
        );
      }
    }
  }
  return [...versions].map(([domain, { version }]) =>
    create(OperatorSetIdProtoSchema, { domain, version: BigInt(version) }),
  );
}

/** Model-local functions of all parts; the same (domain, name) defined differently by two parts cannot be fused. */
export function mergeFunctions(parts: readonly Part[]): FunctionProto[] {
  const byKey = new Map<string, { fn: FunctionProto; bytes: string; prefix: string }>();
  for (const part of parts) {
    for (const fn of part.model.functions ?? []) {
      const key = `${fn.domain}::${fn.name}::${fn.overload}`;
      const bytes = Buffer.from(toBinary(FunctionProtoSchema, fn)).toString('base64');
      const seen = byKey.get(key);
      if (seen === undefined) byKey.set(key, { fn, bytes, prefix: part.prefix });
      else if (seen.bytes !== bytes) {
        throw new TachyonError(
          'TCH_ERR_GRAPH_FUSE_UNSUPPORTED',
          `Parts "${seen.prefix}" and "${part.prefix}" define different functions named "${fn.name ?? ''}".`,
          { details: { domain: fn.domain ?? '', name: fn.name ?? '' } },
        );
      }
    }
  }
  return [...byKey.values()].map((v) => v.fn);
}
