// What run.ts and server-child.ts say to each other over the IPC channel (kept apart: importing server-child.ts
// would start a server).

/** argv[2] of the child, as JSON. */
export interface ChildConfig {
  noopZip: string;
  noopModel: string;
  tinyJpeg: string;
  modelsDir: string;
  /** Where tachyon extracts the no-op definition (a temporary folder, not ~/.cache/tachyon). */
  cacheDir: string;
  /** Serve mobilenetv2-int8 too (the e2e group), and the plain handler with onnxruntime in a worker for it. */
  mobilenet: boolean;
  /** The identity tensor model (FP32 [N, 4] -> same) served as IDENTITY_SERVICE, and the plain echo route (the tensor group). */
  identityModel?: string;
  /** The ResNet-50 int8 file served as RESNET_SERVICE (the resnet group). */
  resnetModel?: string;
}

/** The child's first message, once every model is loaded and warm and both servers listen. */
export interface ChildReady {
  type: 'ready';
  tachyonUrl: string;
  plainUrl: string;
  /** The generated primary key: sent on every tachyon request, as a client would. */
  key: string;
  /** Intra-op threads of tachyon's worker session, and of the plain handler's session. */
  intraOpThreads: number;
  workers: number;
  peerIntraOpThreads: number;
  /** onnxruntime intra-op spinning of tachyon's sessions in this child (TACHYON_INTRA_OP_SPINNING). */
  intraOpSpinning: boolean;
}

export interface ChildFailed {
  type: 'error';
  message: string;
}

export const NOOP_SERVICE = 'noop';
export const MOBILENET_SERVICE = 'mobilenetv2-int8';
export const IDENTITY_SERVICE = 'identity';
export const RESNET_SERVICE = 'resnet50-int8';
