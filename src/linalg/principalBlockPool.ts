/**
 * Batches of principal sub-block spectra (principalBlocks.ts) spread over worker threads. Each
 * worker receives a base matrix once, with its first batch on it, and keeps it until released;
 * afterwards a batch is only its indices, so thousands of small eigenproblems cost a few messages
 * and the caller's thread stays free. A worker holds at most two batches at once (the one it
 * solves and the next); further batches wait here and go to whichever worker frees up first.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors';
import { checkPrincipalBlocks, type PrincipalBlockBase, type PrincipalBlocks, type PrincipalBlockSolver } from './principalBlocks';
import type { PrincipalBlockRequest, PrincipalBlockResponse } from './principalBlockWorker';

interface Batch {
  id: number;
  base: PrincipalBlockBase;
  blocks: PrincipalBlocks;
  resolve(values: Float64Array): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  /** Sent and not yet answered, oldest first (a worker answers in order). */
  batches: Batch[];
  /** Bases this worker holds. */
  bases: Set<number>;
}

const BATCHES_PER_WORKER = 2;

/** The compiled worker sits beside this file, whether that is dist/…/*.js or a TS loader's *.ts. */
const workerPath = path.join(__dirname, `principalBlockWorker${path.extname(__filename)}`);

/** A block solver on `size` worker threads (started on demand); `close` stops them. */
export function createPrincipalBlockPool(size: number = os.availableParallelism()): PrincipalBlockSolver {
  if (!Number.isSafeInteger(size) || size < 1) throw new InputError(`pool size must be a positive integer, got ${size}`, { field: 'threads' });
  const slots: Slot[] = [];
  const queue: Batch[] = [];
  let nextId = 0;
  let closed = false;
  const closedError = () => new Error('principal block pool is closed');

  function startWorker(): Slot {
    const slot: Slot = { worker: new Worker(workerPath), batches: [], bases: new Set() };
    slot.worker.on('message', (response: PrincipalBlockResponse) => {
      const batch = slot.batches[0];
      if (batch === undefined || batch.id !== response.id) return;
      slot.batches.shift();
      if ('values' in response) {
        batch.resolve(response.values);
      } else {
        const { name, message, field } = response.error;
        const error = name === 'InputError' ? new InputError(message) : new Error(message);
        if (name === 'InputError') Object.assign(error, { field });
        batch.reject(error);
      }
      dispatch();
    });
    slot.worker.on('error', (error: Error) => failSlot(slot, error));
    slot.worker.on('exit', (code: number) => failSlot(slot, new Error(`principal block worker exited with code ${code}`)));
    slots.push(slot);
    return slot;
  }

  /** A worker died (or was terminated): its batches fail, queued ones move to the others. */
  function failSlot(slot: Slot, error: Error): void {
    const index = slots.indexOf(slot);
    if (index >= 0) slots.splice(index, 1);
    for (const batch of slot.batches.splice(0)) batch.reject(closed ? closedError() : error);
    if (!closed) dispatch();
  }

  function freeSlot(): Slot | undefined {
    const idle = slots.find((candidate) => candidate.batches.length === 0);
    if (idle) return idle;
    if (slots.length < size) return startWorker();
    let best: Slot | undefined;
    for (const candidate of slots) if (candidate.batches.length < BATCHES_PER_WORKER && (!best || candidate.batches.length < best.batches.length)) best = candidate;
    return best;
  }

  function dispatch(): void {
    while (queue.length > 0) {
      const slot = freeSlot();
      if (slot === undefined) break;
      const batch = queue.shift() as Batch;
      slot.batches.push(batch);
      const known = slot.bases.has(batch.base.id);
      slot.bases.add(batch.base.id);
      // The base is copied (each worker keeps its own); the indices are small.
      const request: PrincipalBlockRequest = { kind: 'batch', id: batch.id, baseId: batch.base.id, base: known ? undefined : { matrix: batch.base.matrix, n: batch.base.n }, blocks: batch.blocks };
      slot.worker.postMessage(request);
    }
    // Idle workers must not keep the process alive; busy ones must, or results would be lost.
    for (const slot of slots) {
      if (slot.batches.length === 0) slot.worker.unref();
      else slot.worker.ref();
    }
  }

  return {
    spectra(base, blocks) {
      if (closed) return Promise.reject(closedError());
      try {
        checkPrincipalBlocks(base.n, blocks);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<Float64Array>((resolve, reject) => {
        queue.push({ id: nextId++, base, blocks, resolve, reject });
        dispatch();
      });
    },
    release(base) {
      for (const slot of slots) {
        if (slot.bases.delete(base.id)) slot.worker.postMessage({ kind: 'release', baseId: base.id } satisfies PrincipalBlockRequest);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const batch of queue.splice(0)) batch.reject(closedError());
      for (const slot of slots) for (const batch of slot.batches.splice(0)) batch.reject(closedError());
      await Promise.all(slots.slice().map((slot) => slot.worker.terminate()));
    },
  };
}
