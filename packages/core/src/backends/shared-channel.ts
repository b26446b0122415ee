// Main-thread side of the shared-memory run channel of one session worker (layout in shared-layout.ts).
import type { ErrorBody } from '@tachyon-serve/protocol';
import type { TensorData, TensorMap } from '../tensor/tensor.js';
import {
  CTRL_COMPLETED,
  CTRL_SUBMITTED,
  HDR_ERROR_BYTES,
  HDR_INPUTS,
  HDR_OUTPUTS,
  HDR_RUN_ID,
  HDR_SESSION,
  HDR_STATUS,
  HEADER_INTS,
  MAX_TENSORS,
  RING_SLOTS,
  STATUS_ERROR,
  STATUS_OK,
  createChannelBuffers,
  ensureArena,
  readTensors,
  tensorsBytes,
  waitAsync,
  writeTensors,
  type SharedChannelBuffers,
} from './shared-layout.js';

/** How a run submitted on the channel ended: outputs, an error body, or 'by-message' (the reply comes as a message). */
export type ChannelOutcome = { outputs: TensorMap } | { error: ErrorBody } | 'by-message';

const decoder = new TextDecoder();

/**
 * Submits runs to one worker through shared memory: the inputs are copied into the slot's arena, the worker is woken
 * with Atomics.notify, and completion is awaited with Atomics.waitAsync, so no message crosses threads and nothing
 * spins. At most RING_SLOTS runs are in flight; `trySubmit` returns false when the run must go by message instead.
 */
export class SharedRunChannel {
  readonly buffers: SharedChannelBuffers = createChannelBuffers();
  readonly #control = new Int32Array(this.buffers.control);
  readonly #headers: Int32Array[];
  readonly #slots: ({ runId: number; outputNames: readonly string[] } | undefined)[] = new Array(RING_SLOTS).fill(
    undefined,
  );
  #submitted = 0;
  #completed = 0;
  #waiting = false;
  #closed = false;

  constructor(private readonly settle: (runId: number, outcome: ChannelOutcome) => void) {
    this.#headers = Array.from(
      { length: RING_SLOTS },
      (_, i) => new Int32Array(this.buffers.headers, i * HEADER_INTS * 4, HEADER_INTS),
    );
  }

  get inFlight(): number {
    return this.#submitted - this.#completed;
  }

  /** Queues a run whose inputs are in the session's input order; false when the ring is full or the run does not fit. */
  trySubmit(sessionId: number, runId: number, inputs: readonly TensorData[], outputNames: readonly string[]): boolean {
    if (this.#closed || this.#submitted - this.#completed >= RING_SLOTS) return false;
    if (inputs.length + outputNames.length > MAX_TENSORS) return false;
    const slot = this.#submitted % RING_SLOTS;
    const arena = this.buffers.arenas[slot]!;
    const bytes = tensorsBytes(inputs, 0);
    if (bytes < 0 || !ensureArena(arena, bytes)) return false;
    const header = this.#headers[slot]!;
    header[HDR_SESSION] = sessionId;
    header[HDR_RUN_ID] = runId;
    header[HDR_INPUTS] = inputs.length;
    writeTensors(header, 0, arena, 0, inputs);
    this.#slots[slot] = { runId, outputNames };
    this.#submitted++;
    Atomics.store(this.#control, CTRL_SUBMITTED, this.#submitted);
    Atomics.notify(this.#control, CTRL_SUBMITTED, 1);
    this.#wait();
    return true;
  }

  /** Stops reading completions (the worker died or the pool closed); the caller fails the runs still pending. */
  close(): void {
    this.#closed = true;
    // Wakes our own pending waitAsync so that it does not outlive the channel.
    Atomics.notify(this.#control, CTRL_COMPLETED);
  }

  #wait(): void {
    if (this.#waiting) return;
    this.#waiting = true;
    const result = waitAsync(this.#control, CTRL_COMPLETED, this.#completed);
    if (result.async) void result.value.then(this.#onCompleted);
    else this.#onCompleted();
  }

  readonly #onCompleted = (): void => {
    this.#waiting = false;
    if (this.#closed) return;
    const completed = Atomics.load(this.#control, CTRL_COMPLETED);
    while (this.#completed < completed) {
      const slot = this.#completed % RING_SLOTS;
      const { runId, outputNames } = this.#slots[slot]!;
      this.#slots[slot] = undefined;
      // Read before the slot can be reused: the next submit to it happens only after this.#completed moves on.
      const outcome = this.#read(slot, outputNames);
      this.#completed++;
      this.settle(runId, outcome);
    }
    if (this.#submitted > this.#completed) this.#wait();
  };

  #read(slot: number, outputNames: readonly string[]): ChannelOutcome {
    const header = this.#headers[slot]!;
    const arena = this.buffers.arenas[slot]!;
    const status = header[HDR_STATUS];
    if (status === STATUS_OK) return { outputs: readTensors(header, 0, header[HDR_OUTPUTS]!, arena, outputNames) };
    if (status === STATUS_ERROR) {
      const bytes = new Uint8Array(arena, 0, header[HDR_ERROR_BYTES]!).slice();
      return { error: JSON.parse(decoder.decode(bytes)) as ErrorBody };
    }
    return 'by-message';
  }
}
