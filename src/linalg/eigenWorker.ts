/**
 * Worker-thread entry for eigenWorkerPool: solves one eigenproblem per message with this thread's
 * own WASM instance, and hands the spectrum back by transferring its buffer.
 */
import { parentPort } from 'node:worker_threads';
import { symmetricEigenvalues } from './symmetricEigenvalues';
import { workerErrorOf } from './workerError';

/** What the pool sends. */
export interface EigenRequest {
  id: number;
  matrix: Float64Array;
  n: number;
}

/** What the worker answers: the spectrum, or the error (classes do not survive the thread hop). */
export type EigenResponse =
  | { id: number; values: Float64Array }
  | { id: number; error: { name: string; message: string; field?: string } };

const port = parentPort;
if (port === null) throw new Error('eigenWorker.js must be started as a worker thread by eigenWorkerPool');

port.on('message', (request: EigenRequest) => {
  let response: EigenResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const values = symmetricEigenvalues(request.matrix, request.n);
    response = { id: request.id, values };
    transfer = [values.buffer as ArrayBuffer];
  } catch (error) {
    response = { id: request.id, error: workerErrorOf(error) };
  }
  port.postMessage(response, transfer);
});
