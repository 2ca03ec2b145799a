/**
 * The WebAssembly kernels of kernels.wat (symmetric eigenvalues, the float32 finite check of
 * every matrix a sweep reads, the average that is a split's query embedding), one instance per
 * thread, made on first use. A one-shot process runs them from their first call in compiled code,
 * where a JS loop would first be interpreted and then cost the optimising compiler its time.
 */
import { kernelsWasmBase64 } from './kernelsWasm.generated';

/** Byte offset of the kernels' matrix area A (kernels.wat's layout), where inputs are copied. */
export const WASM_MATRIX_BYTES = 0x180000;

/** The little of the WebAssembly JS API used here (the project's lib settings do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** The module's exports. */
export interface WasmKernels {
  readonly memory: WasmMemory;
  /** The spectrum of the n × n matrix at A into d; 0, or 1 (non-finite input), or 2 (no convergence, see failedAt). */
  readonly eigenvalues: (n: number, maxSweeps: number) => number;
  readonly failedAt: { readonly value: number };
  /** Index of the first NaN or infinity among `count` float32 values at A, or -1. */
  readonly firstNonFinite32: (count: number) => number;
  /** (a + b) / 2 of `count` ≤ 32768 float32 values, a at A, b at A + 0x20000, into A + 0x40000 (in float64, rounded once). */
  readonly averageFloat32: (count: number) => void;
}

/** This thread's instance; null once instantiation has failed. */
let instance: WasmKernels | null | undefined;

/** The kernels, or undefined where WebAssembly SIMD is not available (the JS paths run instead). */
export function wasmKernels(): WasmKernels | undefined {
  if (instance === undefined) {
    instance = null;
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (api !== undefined) {
      try {
        const { exports } = new api.Instance(new api.Module(Buffer.from(kernelsWasmBase64, 'base64')), {});
        instance = exports as unknown as WasmKernels;
      } catch {
        // No SIMD support: instance stays null, and the JS paths are used instead.
      }
    }
  }
  return instance ?? undefined;
}
