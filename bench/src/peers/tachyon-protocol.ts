// What the peer benchmark and its tachyon server child say to each other over IPC (kept apart from
// tachyon-child.ts: importing that file would start a server).

export interface TachyonChildConfig {
  /** A zoo id or an .onnx path. */
  ref: string;
  outputKind: 'logits' | 'probabilities';
  modelsDir: string;
  cacheDir: string;
}

export interface TachyonChildReady {
  type: 'ready';
  httpUrl: string;
  grpcAddress: string;
  key: string;
  workers: number;
  scheduler: { batching: boolean; maxBatchSize: number };
}

/** The name the child serves its one model under. */
export const SERVED_NAME = 'm';
