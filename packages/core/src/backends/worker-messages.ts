import type { ErrorBody } from '@tachyon-serve/protocol';
import type { TensorMap } from '../tensor/tensor.js';
import type { IoSpec, ProviderAttempt } from './backend.js';
import type { SessionConfig } from './session-options.js';
import type { SharedChannelBuffers } from './shared-layout.js';
import type { ExecutionProvider } from './session-options.js';

/** Messages between the pool (main thread) and a session worker. Every request carries an id its reply echoes. */
export type WorkerRequest =
  | { type: 'load'; id: number; sessionId: number; modelPath: string; config: SessionConfig }
  | { type: 'run'; id: number; sessionId: number; feeds: TensorMap }
  | { type: 'unload'; id: number; sessionId: number };

export type WorkerReply =
  | {
      type: 'loaded';
      id: number;
      inputs: IoSpec[];
      outputs: IoSpec[];
      provider: ExecutionProvider;
      fallbacks: ProviderAttempt[];
    }
  | { type: 'result'; id: number; outputs: TensorMap }
  | { type: 'unloaded'; id: number }
  | { type: 'error'; id: number; error: ErrorBody };

export interface WorkerInit {
  intraOpThreads: number;
  /** `session.intra_op.allow_spinning` of every session the worker creates. */
  intraOpSpinning: boolean;
  /** The shared-memory run channel (see shared-channel.ts); load, unload and oversized runs still go by message. */
  channel: SharedChannelBuffers;
}
