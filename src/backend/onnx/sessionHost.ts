/**
 * ONNX Runtime inference sessions hosted on one engine thread (a worker) instead of the caller's.
 *
 * onnxruntime-node creates sessions and runs them synchronously on the thread that calls it, so
 * on the main thread every session set-up (tens of milliseconds) and every run blocks reading
 * files, solving eigenproblems and dispatching work to other threads. Here the runtime loads,
 * sessions are built and runs execute on the engine thread while the caller goes on; the caller
 * pays one message each way (inputs copied, outputs moved). Results are the same numbers: the
 * same runtime runs the same graphs.
 *
 * The thread starts on first use (or on `startSessionHost`), keeps the process alive only while
 * a request is pending, and sessions are released when the handle that owns them is collected.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError } from '../../errors';
import { disableOnnxRuntimeTelemetry } from './runtime';
import type { HostReply, HostRequest, SerializedError } from './sessionHostWorker';

/** One float32 input: data and shape (row-major). */
export interface FloatFeed {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** The element type of a graph's outputs: float32, or float64 for graphs that widen their results. */
export type OutputData = Float32Array | Float64Array;

/** An inference session on the engine thread, whose graph's outputs are all of type `Output`. */
export interface HostedSession<Output extends OutputData = Float32Array> {
  /** Runs the graph; resolves to every output's data (row-major), by output name. */
  run(feeds: Readonly<Record<string, FloatFeed>>): Promise<Record<string, Output>>;
}

export interface HostedSessionOptions {
  /**
   * Intra-op threads of this session (default: one fewer than the cores, at least one: the
   * caller's thread keeps a core for its own work).
   */
  threads?: number | undefined;
  /**
   * Runs of an urgent session go before waiting runs of other sessions: for results that other
   * threads wait on to go on working (the matrix products behind a sweep's eigenproblems).
   */
  urgent?: boolean | undefined;
}

/** The default intra-op thread count of hosted sessions. */
export function defaultHostedThreads(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

interface Pending {
  resolve(reply: HostReply): void;
  reject(error: Error): void;
}

/** The compiled worker sits beside this file, whether that is dist/…/*.js or a TS loader's *.ts. */
const workerPath = path.join(__dirname, `sessionHostWorker${path.extname(__filename)}`);

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();
const released = new FinalizationRegistry<number>((session) => {
  // The handle is gone, so nobody can run the session again; free its weights in the engine.
  if (worker) worker.postMessage([{ kind: 'release', id: 0, session }] satisfies HostRequest[]);
});

function reviveError(error: SerializedError): Error {
  if (error.name === 'InputError') return new InputError(error.message, error.field === undefined ? {} : { field: error.field });
  const revived = new Error(error.message);
  revived.name = error.name;
  return revived;
}

function failAll(error: Error): void {
  const waiting = [...pending.values()];
  pending.clear();
  for (const request of waiting) request.reject(error);
}

function engine(): Worker {
  if (worker) return worker;
  // Set here, on the caller's thread: the engine thread's process.env is a copy the runtime does not read.
  disableOnnxRuntimeTelemetry();
  const started = new Worker(workerPath);
  started.on('message', (reply: HostReply) => {
    const request = pending.get(reply.id);
    if (!request) return;
    pending.delete(reply.id);
    if (pending.size === 0) started.unref();
    if (reply.kind === 'error') request.reject(reviveError(reply.error));
    else request.resolve(reply);
  });
  started.on('error', (error: Error) => {
    if (worker === started) worker = undefined;
    failAll(error);
  });
  started.on('exit', (code: number) => {
    if (worker === started) worker = undefined;
    failAll(new Error(`the ONNX Runtime engine thread exited with code ${code}`));
  });
  started.unref();
  worker = started;
  return started;
}

/** Requests made in one turn of the caller's code, sent together when it yields. */
let outbox: { requests: HostRequest[]; transfer: ArrayBuffer[] } | undefined;

/**
 * Requests are batched per turn: one message carries every request the caller made before it
 * yielded, and an array used by several of them (a split's answers, fed to its estimate and to
 * its products) crosses once, as structured cloning copies each buffer once per message.
 */
function request(message: HostRequest, transfer: ArrayBuffer[] = [], batched = true): Promise<HostReply> {
  const host = engine();
  return new Promise<HostReply>((resolve, reject) => {
    pending.set(message.id, { resolve, reject });
    host.ref();
    if (!batched) {
      // Start-up work goes at once (after whatever is already waiting), not at the end of the turn.
      const waiting = outbox;
      outbox = undefined;
      if (waiting) host.postMessage(waiting.requests, waiting.transfer);
      host.postMessage([message], transfer);
      return;
    }
    if (!outbox) {
      const batch = { requests: [] as HostRequest[], transfer: [] as ArrayBuffer[] };
      outbox = batch;
      queueMicrotask(() => {
        if (outbox !== batch) return;
        outbox = undefined;
        host.postMessage(batch.requests, batch.transfer);
      });
    }
    outbox.requests.push(message);
    outbox.transfer.push(...transfer);
  });
}

/**
 * Starts the engine thread and loads ONNX Runtime there, without waiting: a caller that knows it
 * will need sessions soon overlaps the thread's start-up with its own work.
 */
export function startSessionHost(): void {
  request({ kind: 'start', id: nextId++ }, [], false).catch(() => undefined);
}

/** A copy that owns its whole buffer, so it can be moved to the engine thread. */
function movable(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
}

/**
 * A session over in-memory model bytes (see modelBuilder) on the engine thread. It is created
 * there at once; runs wait for it. `model` is moved to the engine thread (do not reuse it).
 */
export function createHostedSession<Output extends OutputData = Float32Array>(model: Uint8Array, options: HostedSessionOptions = {}): HostedSession<Output> {
  const threads = options.threads ?? defaultHostedThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`thread count must be a positive integer, got ${threads}`);
  const id = nextId++;
  const bytes = movable(model);
  // Runs are sent at once, not after the creation is confirmed: the engine thread creates sessions
  // before it runs anything, and runs (urgent sessions' first) in the order they were asked for.
  // A failed creation is the answer to every run of the session.
  request({ kind: 'create', id, session: id, model: bytes, threads, urgent: options.urgent ?? false }, [bytes.buffer as ArrayBuffer], false).catch(() => undefined);
  const handle: HostedSession<Output> = {
    async run(feeds) {
      const message: HostRequest = { kind: 'run', id: nextId++, session: id, feeds: Object.fromEntries(Object.entries(feeds).map(([name, feed]) => [name, { data: feed.data, dims: [...feed.dims] }])) };
      const reply = await request(message);
      if (reply.kind !== 'outputs') throw new Error(`unexpected reply '${reply.kind}' from the ONNX Runtime engine thread`);
      // The caller declared the graph's output type when it created the session.
      return reply.outputs as Record<string, Output>;
    },
  };
  released.register(handle, id);
  return handle;
}
