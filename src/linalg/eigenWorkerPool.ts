/**
 * A small pool of worker threads computing symmetric spectra in parallel (one WASM instance per
 * worker). Matrices and spectra cross threads by transfer, not by copy, wherever that is safe.
 * Each worker holds its next problem while it solves one, so that it never waits for the
 * caller's thread (busy with other work) to send the next.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors';
import type { EigenRequest, EigenResponse } from './eigenWorker';

export interface EigenOptions {
  /**
   * Hand the matrix's ArrayBuffer over to the worker instead of copying it (default true). The
   * caller's array is then detached (length 0). Only done when the array spans its whole buffer
   * (otherwise unrelated data would go too); a SharedArrayBuffer is shared, never copied.
   */
  transfer?: boolean | undefined;
}

export interface EigenPool {
  /** Number of worker threads (started on demand, up to this many). */
  readonly size: number;
  /**
   * Eigenvalues, ascending, of the symmetric n×n row-major matrix (lower triangle used). Takes
   * ownership of `matrix` unless `{ transfer: false }` is passed.
   */
  eigenvalues(matrix: Float64Array, n: number, options?: EigenOptions): Promise<Float64Array>;
  /**
   * Stops the workers. Problems not yet solved are rejected. Resolves once every worker has
   * exited; the pool then holds nothing that keeps the process alive.
   */
  close(): Promise<void>;
}

interface Task {
  id: number;
  matrix: Float64Array;
  n: number;
  transfer: ArrayBuffer[];
  resolve(values: Float64Array): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  /** Sent and not yet answered, oldest first (a worker answers in order). */
  tasks: Task[];
}

/** Problems a worker holds at once: the one it solves and the next. */
const TASKS_PER_WORKER = 2;

/** The compiled worker sits beside this file, whether that is dist/…/*.js or a TS loader's *.ts. */
const workerPath = path.join(__dirname, `eigenWorker${path.extname(__filename)}`);

export function createEigenPool(size: number = os.availableParallelism()): EigenPool {
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new InputError(`pool size must be a positive integer, got ${size}`, { field: 'size' });
  }
  const slots: Slot[] = [];
  const queue: Task[] = [];
  let nextId = 0;
  let closed = false;

  const closedError = (): Error => new Error('eigen pool is closed');

  function startWorker(): Slot {
    const slot: Slot = { worker: new Worker(workerPath), tasks: [] };
    slot.worker.on('message', (response: EigenResponse) => {
      const task = slot.tasks[0];
      if (task === undefined || task.id !== response.id) return;
      slot.tasks.shift();
      if ('values' in response) {
        task.resolve(response.values);
      } else {
        const { name, message, field } = response.error;
        const error = name === 'InputError' ? new InputError(message) : new Error(message);
        if (name === 'InputError') Object.assign(error, { field });
        task.reject(error);
      }
      dispatch();
    });
    slot.worker.on('error', (error: Error) => failSlot(slot, error));
    slot.worker.on('exit', (code: number) => {
      failSlot(slot, new Error(`eigen worker exited with code ${code}`));
    });
    slots.push(slot);
    return slot;
  }

  /** A worker died (or was terminated): its task fails, and queued work moves to the others. */
  function failSlot(slot: Slot, error: Error): void {
    const index = slots.indexOf(slot);
    if (index >= 0) slots.splice(index, 1);
    for (const task of slot.tasks.splice(0)) task.reject(closed ? closedError() : error);
    if (!closed) dispatch();
  }

  /** The least loaded worker that can take a problem, starting one while the pool is not full. */
  function freeSlot(): Slot | undefined {
    const idle = slots.find((candidate) => candidate.tasks.length === 0);
    if (idle) return idle;
    if (slots.length < size) return startWorker();
    let best: Slot | undefined;
    for (const candidate of slots) if (candidate.tasks.length < TASKS_PER_WORKER && (!best || candidate.tasks.length < best.tasks.length)) best = candidate;
    return best;
  }

  function dispatch(): void {
    for (;;) {
      if (queue.length === 0) break;
      const slot = freeSlot();
      if (slot === undefined) break;
      const task = queue.shift() as Task;
      slot.tasks.push(task);
      const request: EigenRequest = { id: task.id, matrix: task.matrix, n: task.n };
      slot.worker.postMessage(request, task.transfer);
      // The matrix now belongs to the worker; drop our reference so it can be collected.
      task.matrix = EMPTY;
    }
    // Idle workers must not keep the process alive; busy ones must, or results would be lost.
    for (const slot of slots) {
      if (slot.tasks.length === 0) slot.worker.unref();
      else slot.worker.ref();
    }
  }

  return {
    size,
    eigenvalues(matrix, n, options = {}) {
      if (closed) return Promise.reject(closedError());
      try {
        checkShape(matrix, n);
      } catch (error) {
        return Promise.reject(error);
      }
      const { payload, transfer } = prepareMessage(matrix, options.transfer ?? true);
      return new Promise<Float64Array>((resolve, reject) => {
        queue.push({ id: nextId++, matrix: payload, n, transfer, resolve, reject });
        dispatch();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const task of queue.splice(0)) task.reject(closedError());
      // Settled now rather than on the workers' exit, so that a result racing the termination
      // cannot make the outcome depend on timing.
      for (const slot of slots) for (const task of slot.tasks.splice(0)) task.reject(closedError());
      await Promise.all(slots.slice().map((slot) => slot.worker.terminate()));
    },
  };
}

const EMPTY = new Float64Array(0);

function checkShape(matrix: Float64Array, n: number): void {
  if (!(matrix instanceof Float64Array)) throw new InputError('matrix must be a Float64Array', { field: 'matrix' });
  if (!Number.isSafeInteger(n) || n < 0) throw new InputError(`matrix size must be a non-negative integer, got ${n}`, { field: 'n' });
  if (matrix.length !== n * n) {
    throw new InputError(`matrix has ${matrix.length} values, expected ${n} × ${n} = ${n * n}`, { field: 'matrix' });
  }
}

/**
 * Chooses the cheapest safe way to get the matrix to a worker. Posting a view without a transfer
 * would structured-clone its entire underlying buffer, so a view of part of a buffer is sliced
 * first and the slice transferred: at most one copy, of just the matrix.
 */
function prepareMessage(matrix: Float64Array, transfer: boolean): { payload: Float64Array; transfer: ArrayBuffer[] } {
  const buffer = matrix.buffer;
  if (typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer) {
    return { payload: matrix, transfer: [] };
  }
  if (transfer && matrix.byteOffset === 0 && matrix.byteLength === buffer.byteLength) {
    return { payload: matrix, transfer: [buffer as ArrayBuffer] };
  }
  const copy = matrix.slice();
  return { payload: copy, transfer: [copy.buffer] };
}
