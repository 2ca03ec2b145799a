/**
 * Worker-thread entry for principalBlockPool: holds the base matrices it is sent (by id) and
 * answers each batch with its blocks' spectra, transferring the result's buffer back.
 */
import { parentPort } from 'node:worker_threads';
import { principalBlockSpectra, type PrincipalBlocks } from './principalBlocks';
import { workerErrorOf } from './workerError';

/** What the pool sends: a batch (with the base the first time this worker sees it), or a base to drop. */
export type PrincipalBlockRequest =
  | { kind: 'batch'; id: number; baseId: number; base?: { matrix: Float64Array; n: number }; blocks: PrincipalBlocks }
  | { kind: 'release'; baseId: number };

/** What the worker answers: the spectra, or the error (classes do not survive the thread hop). */
export type PrincipalBlockResponse = { id: number; values: Float64Array } | { id: number; error: { name: string; message: string; field?: string } };

const port = parentPort;
if (port === null) throw new Error('principalBlockWorker.js must be started as a worker thread by principalBlockPool');

const bases = new Map<number, { matrix: Float64Array; n: number }>();

port.on('message', (request: PrincipalBlockRequest) => {
  if (request.kind === 'release') {
    bases.delete(request.baseId);
    return;
  }
  let response: PrincipalBlockResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    if (request.base) bases.set(request.baseId, request.base);
    const base = bases.get(request.baseId);
    if (!base) throw new Error(`base matrix ${request.baseId} was never sent to this worker`);
    const values = principalBlockSpectra(base.matrix, base.n, request.blocks);
    response = { id: request.id, values };
    transfer = [values.buffer as ArrayBuffer];
  } catch (error) {
    response = { id: request.id, error: workerErrorOf(error) };
  }
  port.postMessage(response, transfer);
});
