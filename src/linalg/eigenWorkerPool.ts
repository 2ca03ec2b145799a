/**
 * A small pool of worker threads computing symmetric spectra in parallel (one WASM instance per
 * worker). Matrices and spectra cross threads by transfer, not by copy, wherever that is safe.
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
  task?: Task;
}

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
    const slot: Slot = { worker: new Worker(workerPath) };
    slot.worker.on('message', (response: EigenResponse) => {
      const task = slot.task;
      if (task === undefined || task.id !== response.id) return;
      slot.task = undefined;
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
    const task = slot.task;
    slot.task = undefined;
    if (task !== undefined) task.reject(closed ? closedError() : error);
    if (!closed) dispatch();
  }

  function dispatch(): void {
    for (;;) {
      if (queue.length === 0) break;
      let slot = slots.find((candidate) => candidate.task === undefined);
      if (slot === undefined) {
        if (slots.length >= size) break;
        slot = startWorker();
      }
      const task = queue.shift() as Task;
      slot.task = task;
      const request: EigenRequest = { id: task.id, matrix: task.matrix, n: task.n };
      slot.worker.postMessage(request, task.transfer);
      // The matrix now belongs to the worker; drop our reference so it can be collected.
      task.matrix = EMPTY;
    }
    // Idle workers must not keep the process alive; busy ones must, or results would be lost.
    for (const slot of slots) {
      if (slot.task === undefined) slot.worker.unref();
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
      for (const slot of slots) {
        slot.task?.reject(closedError());
        slot.task = undefined;
      }
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
