import { PIPELINE_INPUT, type ServiceManifest, type StageManifest } from './manifest.js';
import type { TensorInfo } from '../graph/tensor-info.js';
import {
  classCount,
  dimsCompatible,
  formatDims,
  imageStageOutput,
  type StageIo,
  type StageIoResolver,
} from './stage-io.js';
import { toIssuePath, type ValidationIssue } from './validation-issue.js';

/** A pipeline tensor's spec and where it comes from. */
interface Produced {
  readonly info: TensorInfo;
  readonly stage: string;
  readonly port: string;
}

/**
 * The io part of pass 2: each stage's mapped ports exist on its model and every model input is mapped; each tensor's
 * producer spec agrees with the consumer's (same dtype, same rank, fixed dims equal); the classifier reads float
 * scores with as many classes as its labels file has lines. Stages the resolver says nothing about are skipped.
 */
export function findIoIssues(
  manifest: ServiceManifest,
  io: StageIoResolver | undefined,
  labelCounts: ReadonlyMap<string, number> | undefined,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const produced = new Map<string, Produced>();
  const addOutput = (tensor: string, info: TensorInfo, stage: StageManifest, port: string): void => {
    if (tensor !== PIPELINE_INPUT && !produced.has(tensor)) produced.set(tensor, { info, stage: stage.name, port });
  };
  manifest.stages.forEach((stage, i) => {
    switch (stage.kind) {
      case 'image': {
        const tensor = stage.outputs['tensor'];
        if (tensor !== undefined) addOutput(tensor, imageStageOutput(stage), stage, 'tensor');
        return;
      }
      case 'classifier': {
        const tensor = stage.inputs['scores'];
        const from = tensor === undefined ? undefined : produced.get(tensor);
        if (tensor === undefined || from === undefined) return;
        const path = toIssuePath(['stages', i, 'inputs', 'scores']);
        if (!['float32', 'float16', 'float64'].includes(from.info.dtype)) {
          issues.push({
            path,
            message: `dtype mismatch: a classifier reads float scores but tensor '${tensor}' from stage '${from.stage}' is ${from.info.dtype}`,
          });
        }
        if (from.info.dims.length < 2) {
          issues.push({
            path,
            message: `dims mismatch: a classifier reads [batch, classes] but tensor '${tensor}' from stage '${from.stage}' is ${formatDims(from.info.dims)}`,
          });
          return;
        }
        const classes = classCount(from.info.dims);
        const labels = labelCounts?.get(stage.labels);
        if (classes !== undefined && labels !== undefined && classes !== labels) {
          issues.push({
            path: toIssuePath(['stages', i, 'labels']),
            message: `labels count vs classes: '${stage.labels}' has ${labels} labels but tensor '${tensor}' from stage '${from.stage}' has ${classes} classes`,
          });
        }
        return;
      }
      default: {
        const ports = io?.(stage, i);
        if (ports === undefined) return;
        checkResolved(ports, stage);
        issues.push(...portIssues(stage, i, ports, produced));
        const outputs = new Map(ports.outputs.map((t) => [t.name, t]));
        for (const [port, tensor] of Object.entries(stage.outputs)) {
          const info = outputs.get(port);
          if (info !== undefined) addOutput(tensor, info, stage, port);
        }
      }
    }
  });
  return issues;
}

function portIssues(
  stage: StageManifest,
  i: number,
  ports: StageIo,
  produced: ReadonlyMap<string, Produced>,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const inputs = new Map(ports.inputs.map((t) => [t.name, t]));
  const outputs = new Set(ports.outputs.map((t) => t.name));
  for (const [port, tensor] of Object.entries(stage.inputs)) {
    const path = toIssuePath(['stages', i, 'inputs', port]);
    const expected = inputs.get(port);
    if (expected === undefined) {
      issues.push({
        path,
        message: `the model of stage '${stage.name}' has no input '${port}' (its inputs: ${names(ports.inputs)})`,
      });
      continue;
    }
    const from = produced.get(tensor);
    if (from === undefined) continue;
    if (from.info.dtype !== expected.dtype) {
      issues.push({
        path,
        message: `dtype mismatch: tensor '${tensor}' from stage '${from.stage}' (output '${from.port}') is ${from.info.dtype} but input '${port}' of stage '${stage.name}' expects ${expected.dtype}`,
      });
    }
    if (!dimsCompatible(from.info.dims, expected.dims)) {
      issues.push({
        path,
        message: `dims mismatch: tensor '${tensor}' from stage '${from.stage}' (output '${from.port}') is ${formatDims(from.info.dims)} but input '${port}' of stage '${stage.name}' expects ${formatDims(expected.dims)}`,
      });
    }
  }
  for (const input of ports.inputs) {
    if (!Object.hasOwn(stage.inputs, input.name)) {
      issues.push({
        path: toIssuePath(['stages', i, 'inputs']),
        message: `input '${input.name}' of the model of stage '${stage.name}' is not mapped to a tensor`,
      });
    }
  }
  for (const port of Object.keys(stage.outputs)) {
    if (!outputs.has(port)) {
      issues.push({
        path: toIssuePath(['stages', i, 'outputs', port]),
        message: `the model of stage '${stage.name}' has no output '${port}' (its outputs: ${names(ports.outputs)})`,
      });
    }
  }
  return issues;
}

function names(infos: readonly TensorInfo[]): string {
  return infos.length === 0 ? 'none' : infos.map((t) => `'${t.name}'`).join(', ');
}

function checkResolved(ports: StageIo, stage: StageManifest): void {
  const ok = (list: unknown): boolean =>
    Array.isArray(list) &&
    list.every((t: TensorInfo) => typeof t?.name === 'string' && typeof t.dtype === 'string' && Array.isArray(t.dims));
  if (typeof ports !== 'object' || ports === null || !ok(ports.inputs) || !ok(ports.outputs)) {
    throw new TypeError(
      `context.io must return { inputs, outputs } of { name, dtype, dims } for stage '${stage.name}'.`,
    );
  }
}
