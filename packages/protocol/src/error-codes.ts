import type { ErrorKind } from './error-kinds.js';

/**
 * THE error table: every `TCH_ERR_*` code tachyon can raise, its kind and a one-line description.
 * docs/errors.md documents each code; a test keeps this table and that file in sync.
 */
export const ERROR_CODES = {
  // configuration
  TCH_ERR_CONFIG_INVALID: {
    kind: 'INVALID_ARG',
    description: 'A configuration file or value is malformed or out of range.',
  },
  TCH_ERR_IO_NOT_FOUND: {
    kind: 'NOT_FOUND',
    description:
      'A file named by the caller does not exist or cannot be read; over HTTP, no route matches the method and path.',
  },

  // images
  TCH_ERR_IMAGE_EMPTY: { kind: 'INVALID_ARG', description: 'The image has zero bytes.' },
  TCH_ERR_IMAGE_TOO_LARGE: {
    kind: 'INVALID_ARG',
    description: 'The encoded image is larger than the configured maximum number of bytes.',
  },
  TCH_ERR_IMAGE_TOO_MANY_PIXELS: {
    kind: 'INVALID_ARG',
    description: 'The image header declares more pixels than the configured maximum; nothing was decoded.',
  },
  TCH_ERR_IMAGE_UNSUPPORTED_FORMAT: {
    kind: 'UNSUPPORTED',
    description: 'The bytes are not a JPEG, PNG or WebP image.',
  },
  TCH_ERR_IMAGE_CORRUPT: {
    kind: 'INVALID_ARG',
    description: 'The image header is valid but its data cannot be decoded (truncated or damaged).',
  },
  TCH_ERR_IMAGE_PRESET_UNKNOWN: { kind: 'NOT_FOUND', description: 'No preprocessing preset has the given name.' },
  TCH_ERR_IMAGE_PRESET_REQUIRED: {
    kind: 'INVALID_ARG',
    description:
      'The model input shape does not tell its preprocessing (only 224 and 227 pixel inputs do); a preset must be chosen.',
  },

  // runtime (backends, sessions, worker pool)
  TCH_ERR_BACKEND_NO_PROVIDER: {
    kind: 'UNAVAILABLE',
    description: 'None of the requested execution providers could create the session; every reason is listed.',
  },
  TCH_ERR_BACKEND_NOT_FOUND: { kind: 'NOT_FOUND', description: 'No backend is registered under the requested name.' },
  TCH_ERR_BACKEND_UNAVAILABLE: {
    kind: 'UNAVAILABLE',
    description:
      'None of the registered backends could be created here; every backend tried is listed with its reason.',
  },
  TCH_ERR_MODEL_LOAD_FAILED: {
    kind: 'INVALID_ARG',
    description: 'The model file is not a valid ONNX model for this runtime.',
  },
  TCH_ERR_TENSOR_INPUT_MISSING: { kind: 'INVALID_ARG', description: 'A model input was not provided.' },
  TCH_ERR_TENSOR_INPUT_UNKNOWN: {
    kind: 'INVALID_ARG',
    description: 'A tensor was provided under a name the model has no input for.',
  },
  TCH_ERR_TENSOR_DTYPE_MISMATCH: {
    kind: 'INVALID_ARG',
    description: 'A tensor has a different dtype than the model input.',
  },
  TCH_ERR_TENSOR_SHAPE_MISMATCH: {
    kind: 'INVALID_ARG',
    description: 'A tensor shape does not match the model input (rank, a fixed dimension, or data length).',
  },
  TCH_ERR_SESSION_CLOSED: { kind: 'UNAVAILABLE', description: 'The session was closed; no more runs are accepted.' },
  TCH_ERR_SESSION_RUN_FAILED: { kind: 'INTERNAL', description: 'The runtime failed while running the model.' },
  TCH_ERR_WORKER_CRASHED: {
    kind: 'INTERNAL',
    description: 'The worker thread that held the session exited unexpectedly.',
  },

  // model zoo
  TCH_ERR_ZOO_UNKNOWN_MODEL: { kind: 'NOT_FOUND', description: 'The model id is not in the zoo catalog.' },
  TCH_ERR_ZOO_FETCH_FAILED: {
    kind: 'UNAVAILABLE',
    description:
      'The model could not be found in the cache, the mirrors or at its URL; every attempt and its reason is listed.',
  },

  // ONNX graph editing
  TCH_ERR_GRAPH_INVALID: {
    kind: 'INVALID_ARG',
    description: 'The bytes are not an ONNX model, or the requested edit leaves no valid graph.',
  },
  TCH_ERR_GRAPH_TENSOR_NOT_FOUND: {
    kind: 'NOT_FOUND',
    description: 'No tensor of the given name is produced or used in the graph.',
  },
  TCH_ERR_GRAPH_FUSE_UNSUPPORTED: {
    kind: 'UNSUPPORTED',
    description:
      'The stages cannot be fused into one graph (for example their opsets differ); they still run one by one.',
  },
  TCH_ERR_GRAPH_VERSION_UNSUPPORTED: {
    kind: 'UNSUPPORTED',
    description:
      'The requested IR version or opset is newer than the ONNX schema and operator semantics the graph tools know (IR 14, opset 28).',
  },

  // service definitions
  TCH_ERR_SVCDEF_INVALID: {
    kind: 'INVALID_ARG',
    description: 'The service definition fails validation; every issue is listed with its path in details.issues.',
  },
  TCH_ERR_SVCDEF_UNSUPPORTED_VERSION: {
    kind: 'UNSUPPORTED',
    description: 'service.json has a schemaVersion this tachyon cannot read.',
  },
  TCH_ERR_SVCDEF_UNSAFE_ARCHIVE: {
    kind: 'INVALID_ARG',
    description:
      "The zip has an entry with '..', an absolute path, a symlink, a duplicate name or a file the manifest does not list.",
  },
  TCH_ERR_SVCDEF_ARCHIVE_TOO_LARGE: {
    kind: 'RESOURCE_EXHAUSTED',
    description: 'The zip exceeds a cap: entry count, total uncompressed size or compression ratio.',
  },
  TCH_ERR_SVCDEF_CHECKSUM_MISMATCH: {
    kind: 'INVALID_ARG',
    description: 'A file in the zip does not have the sha256 or size the manifest states.',
  },

  // Keras stages and head training
  TCH_ERR_KERAS_LOAD_FAILED: {
    kind: 'INVALID_ARG',
    description: 'The Keras model (TensorFlow.js layers format) cannot be loaded.',
  },
  TCH_ERR_TRAIN_DATASET_INVALID: {
    kind: 'INVALID_ARG',
    description: 'The training image folder does not hold at least two class sub-folders with images.',
  },

  // int8 quantization and accuracy evaluation
  TCH_ERR_QUANTIZE_ALREADY_QUANTIZED: {
    kind: 'INVALID_ARG',
    description:
      'The model already holds quantized operators (QuantizeLinear, QLinearConv, ...); quantize its fp32 original instead.',
  },
  TCH_ERR_QUANTIZE_UNSUPPORTED: {
    kind: 'UNSUPPORTED',
    description:
      'The model cannot be quantized: opset below 13, not exactly one float32 input, or no quantizable operator.',
  },
  TCH_ERR_QUANTIZE_VERSION_UNSUPPORTED: {
    kind: 'UNSUPPORTED',
    description:
      'The model has an IR version above 14 or a default-domain opset above 28, which the quantizer does not handle; it is refused, not rewritten.',
  },
  TCH_ERR_QUANTIZE_CALIBRATION_EMPTY: {
    kind: 'INVALID_ARG',
    description: 'The calibration set (folder or list of images) holds no samples.',
  },
  TCH_ERR_EVAL_LABELS_INVALID: {
    kind: 'INVALID_ARG',
    description: 'The labels file of an evaluation is malformed or names no image of the folder.',
  },

  // workspaces and the model registry
  TCH_ERR_WORKSPACE_NOT_FOUND: {
    kind: 'NOT_FOUND',
    description: 'No tachyon.json was found in the given folder or above the working directory.',
  },
  TCH_ERR_WORKSPACE_EXISTS: { kind: 'ALREADY_EXISTS', description: 'The folder already holds a workspace.' },
  TCH_ERR_REGISTRY_NAME_INVALID: {
    kind: 'INVALID_ARG',
    description:
      'A model name must match [a-z0-9][a-z0-9._-]* (at most 128 characters); a version is a positive integer.',
  },
  TCH_ERR_REGISTRY_MODEL_NOT_FOUND: {
    kind: 'NOT_FOUND',
    description: 'No registered model has that name (or that version).',
  },
  TCH_ERR_REGISTRY_IN_USE: {
    kind: 'PERMISSION_DENIED',
    description: 'The model version is used by a deployment; delete the deployment first or force the deletion.',
  },
  TCH_ERR_REGISTRY_ARTIFACT_INVALID: {
    kind: 'INVALID_ARG',
    description: 'The artifact is neither a valid service-definition zip nor an ONNX model.',
  },
  TCH_ERR_REGISTRY_STORAGE_FAILED: {
    kind: 'UNAVAILABLE',
    description:
      'The artifact store cannot be written or read (disk full, read-only, permissions); nothing was registered.',
  },
  TCH_ERR_REGISTRY_DATABASE_FAILED: {
    kind: 'UNAVAILABLE',
    description: 'The registry database cannot be opened, reached or migrated.',
  },

  // serving
  TCH_ERR_MODEL_NOT_FOUND: { kind: 'NOT_FOUND', description: 'No model of that name (or version) is served.' },
  TCH_ERR_MODEL_NOT_READY: {
    kind: 'UNAVAILABLE',
    description: 'The model is still loading or warming up, or failed to load.',
  },
  TCH_ERR_INFER_INVALID: {
    kind: 'INVALID_ARG',
    description: 'The inference request is malformed: unknown input or output, wrong datatype, shape or data length.',
  },
  TCH_ERR_AUTH_MISSING: {
    kind: 'UNAUTHENTICATED',
    description: 'The request carries no `Authorization: Bearer <key>`.',
  },
  TCH_ERR_AUTH_INVALID: {
    kind: 'UNAUTHENTICATED',
    description: "The key does not match the service's primary or secondary key (or the admin key for management).",
  },
  TCH_ERR_LIMIT_BODY_TOO_LARGE: {
    kind: 'INVALID_ARG',
    description: "The request body or a header is larger than the server's limit.",
  },
  TCH_ERR_LIMIT_TOO_MANY_IMAGES: {
    kind: 'INVALID_ARG',
    description: "The request carries more images than the server's per-request limit.",
  },
  TCH_ERR_LIMIT_RATE: {
    kind: 'RESOURCE_EXHAUSTED',
    description: 'The key sent more requests than its configured rate allows; retry later.',
  },
  TCH_ERR_SERVER_DRAINING: {
    kind: 'UNAVAILABLE',
    description: 'The server is shutting down and accepts no new requests.',
  },
  TCH_ERR_SERVER_INTERNAL: {
    kind: 'INTERNAL',
    description: 'An unexpected error inside the server (a bug); the server log has it under the request id.',
  },
  TCH_ERR_DEADLINE_EXCEEDED: {
    kind: 'DEADLINE_EXCEEDED',
    description:
      'The request did not complete within the deadline the caller gave (`x-request-timeout-ms` or the gRPC deadline).',
  },
  TCH_ERR_QUEUE_FULL: {
    kind: 'RESOURCE_EXHAUSTED',
    description:
      "The model's request queue is full (or a higher-priority request took the place); the request was shed before any work. Retry later.",
  },
  TCH_ERR_MODEL_UNLOADING: {
    kind: 'UNAVAILABLE',
    description: 'The model (or version) is being unloaded; requests already queued finish, new ones are refused.',
  },
  TCH_ERR_MODEL_LOAD_TIMEOUT: {
    kind: 'DEADLINE_EXCEEDED',
    description: 'Loading the model did not finish within the load timeout; everything it had loaded was released.',
  },
  TCH_ERR_MODEL_BUDGET_EXCEEDED: {
    kind: 'RESOURCE_EXHAUSTED',
    description: "Loading the model would exceed the server's memory or model budget; nothing was loaded.",
  },
  TCH_ERR_CONFIG_FILE_INVALID: {
    kind: 'INVALID_ARG',
    description:
      'The server configuration file does not match its JSON Schema; every issue is listed with its JSON path.',
  },
  TCH_ERR_SERVER_INSECURE: {
    kind: 'INVALID_ARG',
    description:
      'The server refuses to listen on a non-loopback address without TLS and keys unless started with --insecure.',
  },
  TCH_ERR_SERVER_LISTEN_FAILED: {
    kind: 'UNAVAILABLE',
    description:
      'The server cannot listen on the address: the port is in use, the address is not local, or permission is denied.',
  },
  TCH_ERR_SERVER_TLS_INVALID: {
    kind: 'INVALID_ARG',
    description: 'The TLS certificate or private key file is not valid PEM, or the key does not match the certificate.',
  },

  // deployments (controller, daemon, web services)
  TCH_ERR_SERVICE_NOT_FOUND: {
    kind: 'NOT_FOUND',
    description: 'No web service of that name is deployed in the workspace.',
  },
  TCH_ERR_SERVICE_STATE_INVALID: {
    kind: 'INVALID_ARG',
    description:
      'The service cannot make that state change now (e.g. update while it is being deleted); the allowed changes are listed.',
  },
  TCH_ERR_DEPLOY_FAILED: {
    kind: 'UNAVAILABLE',
    description:
      'The service did not become healthy: its process failed to start or kept crashing; the reason and the last log lines are in the details.',
  },
  TCH_ERR_DEPLOY_TIMEOUT: {
    kind: 'DEADLINE_EXCEEDED',
    description: 'The service did not become healthy within the wait timeout; it may still be transitioning.',
  },
  TCH_ERR_DAEMON_UNAVAILABLE: {
    kind: 'UNAVAILABLE',
    description:
      "The workspace's deployment daemon could not be started or reached; its log file is named in the details.",
  },
  TCH_ERR_DAEMON_LEASE_HELD: {
    kind: 'UNAVAILABLE',
    description:
      'Another deployment daemon holds the controller lease of this registry (named in the details); only one daemon may control a registry.',
  },

  // the TypeScript client
  TCH_ERR_CLIENT_UNREACHABLE: {
    kind: 'UNAVAILABLE',
    description: 'The client could not reach the server (connection refused, reset or closed), also after its retries.',
  },
  TCH_ERR_CLIENT_TLS_FAILED: {
    kind: 'UNAVAILABLE',
    description:
      "The TLS handshake failed: the server's certificate is not trusted (pass its CA) or does not match the host name.",
  },
  TCH_ERR_CLIENT_DEADLINE: {
    kind: 'DEADLINE_EXCEEDED',
    description: "The call did not complete within the client's timeout (retries included).",
  },
  TCH_ERR_CLIENT_BAD_RESPONSE: {
    kind: 'INTERNAL',
    description:
      'The server answered with something the protocol does not allow (not JSON, a missing output, a wrong size).',
  },

  // labels and outputs
  TCH_ERR_LABELS_MISMATCH: {
    kind: 'INVALID_ARG',
    description: 'The number of labels does not match the number of model outputs.',
  },
} as const satisfies Record<string, { kind: ErrorKind; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
