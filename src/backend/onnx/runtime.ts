/**
 * Access to ONNX Runtime (onnxruntime-node), the project's native compute engine.
 *
 * The module is required lazily: loading it maps a large shared library, and commands that never
 * touch a neural network or a big matrix product should neither pay for that nor fail when the
 * optional native binary is absent.
 */
import * as os from 'node:os';
import type * as OrtModule from 'onnxruntime-node';

export type Ort = typeof OrtModule;
export type OrtSession = OrtModule.InferenceSession;
export type OrtTensor = OrtModule.Tensor;

export interface OnnxSessionOptions {
  /** Intra-op threads; defaults to `os.availableParallelism()`. */
  threads?: number | undefined;
  /** ORT graph optimisation level; 'all' enables the fusions (e.g. Gemm + activation). */
  optimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all' | undefined;
}

let ort: Ort | undefined;

/**
 * Turns ONNX Runtime's telemetry off for this process unless the user has set the switch
 * themselves. Since 1.30 the runtime starts, on Linux and macOS too, an uploader that sends a
 * process-information event to Microsoft and keeps a device id under
 * ~/.cache/Microsoft/DeveloperTools, fsync-ing a SQLite file while it starts (a few milliseconds of
 * every process that runs a session, and up to a second when the disk is slow to sync). emishift
 * sends nothing anywhere.
 * The runtime reads the variable when it initialises, from the process's real environment, which
 * only the main thread's `process.env` writes: so this runs there, before ONNX Runtime loads in
 * this thread or on the engine thread.
 */
export function disableOnnxRuntimeTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
}

/** Loads onnxruntime-node on first use; throws an Error that says what to install if it is missing. */
export function loadOnnxRuntime(): Ort {
  if (ort !== undefined) return ort;
  disableOnnxRuntimeTelemetry();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ort = require('onnxruntime-node') as Ort;
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException | undefined)?.code === 'MODULE_NOT_FOUND';
    const reason = missing
      ? 'the package is not installed'
      : `its native binding failed to load (${cause instanceof Error ? cause.message : String(cause)})`;
    throw new Error(
      `onnxruntime-node is required for this computation but ${reason}. ` +
        'Install it with `npm install onnxruntime-node` (the native binary for this platform must be present).',
      { cause },
    );
  }
  return ort;
}

/** Whether onnxruntime-node can be loaded, for callers that have a slower fallback. */
export function isOnnxRuntimeAvailable(): boolean {
  try {
    loadOnnxRuntime();
    return true;
  } catch {
    return false;
  }
}

export function defaultThreadCount(): number {
  return Math.max(1, os.availableParallelism());
}

export function resolveThreadCount(threads: number | undefined): number {
  if (threads === undefined) return defaultThreadCount();
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`thread count must be a positive integer, got ${threads}`);
  return threads;
}

/** Creates an inference session over in-memory model bytes (see modelBuilder). */
export async function createSession(model: Uint8Array, options: OnnxSessionOptions = {}): Promise<OrtSession> {
  const { InferenceSession } = loadOnnxRuntime();
  return InferenceSession.create(model, {
    intraOpNumThreads: resolveThreadCount(options.threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: options.optimizationLevel ?? 'all',
    // Warnings such as "initializer not used" are about our generated graphs, not the user's
    // data, and would only clutter CLI output.
    logSeverityLevel: 3,
    extra: {
      session: {
        // Spinning worker threads keep a core busy between ops and between calls; on a shared
        // machine (and with JS work interleaved between runs) that costs more than the wake-up.
        'intra_op.allow_spinning': '0',
        'inter_op.allow_spinning': '0',
      },
    },
  });
}

/** Wraps a Float32Array (no copy) as an ORT tensor. */
export function floatTensor(data: Float32Array, dims: readonly number[]): OrtTensor {
  const { Tensor } = loadOnnxRuntime();
  // ONNX Runtime's binding refuses views of shared memory ("Invalid argument" at run time); a
  // copy on the engine's thread costs less than the main thread's copy when posting the message.
  return new Tensor('float32', data.buffer instanceof SharedArrayBuffer ? data.slice() : data, dims);
}

/** The data as float32: the same array when it already is one, otherwise a rounded copy. */
export function toFloat32(data: Float32Array | Float64Array): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}
