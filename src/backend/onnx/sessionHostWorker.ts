/**
 * The engine thread of sessionHost: loads ONNX Runtime, creates the sessions it is sent and runs
 * them, one request at a time: start-up and creations first, then runs of urgent sessions (whose
 * results other threads wait on to go on working), then the others, each kind in arrival order.
 * Outputs are moved back, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { createSession, floatTensor, loadOnnxRuntime, type OrtSession, type OrtTensor } from './runtime';

/** An error as it crosses threads. */
export interface SerializedError {
  name: string;
  message: string;
  field?: string;
}

export type HostRequest =
  | { kind: 'start'; id: number }
  | { kind: 'create'; id: number; session: number; model: Uint8Array; threads: number; urgent: boolean }
  | { kind: 'run'; id: number; session: number; feeds: Record<string, { data: Float32Array; dims: number[] }> }
  | { kind: 'release'; id: number; session: number };

export type HostReply =
  | { kind: 'ready'; id: number }
  | { kind: 'outputs'; id: number; outputs: Record<string, Float32Array | Float64Array> }
  | { kind: 'error'; id: number; error: SerializedError };

const sessions = new Map<number, Promise<OrtSession>>();
/**
 * One staging array per feed name for inputs in shared memory, which ONNX Runtime refuses: runs
 * here are one at a time, so a feed's array is free again once its run returns. A fresh copy per
 * run would cost a new allocation's page faults (about 0.4 ms for a 90 × 768 query block, ten
 * times the copy itself), and a sweep runs one per split.
 */
const staging = new Map<string, Float32Array>();

function stagedTensor(name: string, data: Float32Array, dims: number[]): OrtTensor {
  if (!(data.buffer instanceof SharedArrayBuffer)) return floatTensor(data, dims);
  let buffer = staging.get(name);
  // Replaced, not grown, when the size changes: a tensor wraps a whole array.
  if (buffer === undefined || buffer.length !== data.length) {
    buffer = new Float32Array(data.length);
    staging.set(name, buffer);
  }
  buffer.set(data);
  return floatTensor(buffer, dims);
}
/** Sessions whose runs go before the runs of others. */
const urgentSessions = new Set<number>();

function serialize(error: unknown): SerializedError {
  const { name, message, field } = (error ?? {}) as { name?: string; message?: string; field?: string };
  return { name: name ?? 'Error', message: message ?? String(error), ...(field === undefined ? {} : { field }) };
}

async function handle(message: HostRequest): Promise<{ reply: HostReply; transfer: ArrayBuffer[] } | undefined> {
  switch (message.kind) {
    case 'start':
      loadOnnxRuntime();
      return { reply: { kind: 'ready', id: message.id }, transfer: [] };
    case 'create': {
      // A failed creation stays in the map: it is the answer to every run of that session.
      const session = createSession(message.model, { threads: message.threads });
      sessions.set(message.session, session);
      await session;
      return { reply: { kind: 'ready', id: message.id }, transfer: [] };
    }
    case 'run': {
      const session = await sessions.get(message.session);
      if (!session) throw new Error(`no ONNX Runtime session ${message.session} on the engine thread`);
      const feeds: Record<string, OrtTensor> = {};
      for (const [name, feed] of Object.entries(message.feeds)) feeds[name] = stagedTensor(name, feed.data, feed.dims);
      const results = await session.run(feeds);
      const outputs: Record<string, Float32Array | Float64Array> = {};
      const transfer: ArrayBuffer[] = [];
      for (const [name, tensor] of Object.entries(results)) {
        const data = tensor.data as Float32Array | Float64Array;
        const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer ? data : data.slice();
        outputs[name] = owned;
        if (!transfer.includes(owned.buffer as ArrayBuffer)) transfer.push(owned.buffer as ArrayBuffer);
      }
      return { reply: { kind: 'outputs', id: message.id, outputs }, transfer };
    }
    case 'release': {
      const session = sessions.get(message.session);
      sessions.delete(message.session);
      urgentSessions.delete(message.session);
      session?.then((s) => s.release()).catch(() => undefined);
      return undefined;
    }
  }
}

const port = parentPort;
if (port) {
  const first: HostRequest[] = [];
  const urgent: HostRequest[] = [];
  const later: HostRequest[] = [];
  let working = false;
  const next = (): HostRequest | undefined => first.shift() ?? urgent.shift() ?? later.shift();
  const pump = async (): Promise<void> => {
    if (working) return;
    working = true;
    for (let message = next(); message !== undefined; message = next()) {
      try {
        const result = await handle(message);
        if (result) port.postMessage(result.reply, result.transfer);
      } catch (error) {
        port.postMessage({ kind: 'error', id: message.id, error: serialize(error) } satisfies HostReply);
      }
    }
    working = false;
  };
  port.on('message', (batch: HostRequest[]) => {
    for (const message of batch) {
      // Marked on arrival: runs of the session may arrive before its creation is handled.
      if (message.kind === 'create' && message.urgent) urgentSessions.add(message.session);
      // A release waits behind every run (its session's included) that arrived before it.
      if (message.kind === 'start' || message.kind === 'create') first.push(message);
      else if (message.kind === 'run' && urgentSessions.has(message.session)) urgent.push(message);
      else later.push(message);
    }
    void pump();
  });
}
