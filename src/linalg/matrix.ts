/** Small helpers on row-major matrices (plain data in, plain data out). */
import { InputError } from '../errors';
import type { Matrix } from '../interface';
import { WASM_MATRIX_BYTES, wasmKernels, type WasmKernels } from './wasmKernels';

/** Builds a Matrix from an array of equal-length rows (`field` names it in errors). */
export function matrixFromRows(rows: ArrayLike<number>[], field = 'rows'): Matrix {
  if (rows.length === 0) throw new InputError('no rows', { field });
  const cols = rows[0].length;
  const data = new Float32Array(rows.length * cols);
  rows.forEach((row, i) => {
    if (row.length !== cols) throw new InputError(`row ${i} has ${row.length} values, row 0 has ${cols}`, { field });
    data.set(row, i * cols);
  });
  return { rows: rows.length, cols, data };
}

/** The rows at `indices`, in that order (a bootstrap resample, a held-out split). */
export function selectRows(matrix: Matrix, indices: ArrayLike<number>): Matrix {
  const { cols } = matrix;
  const data = new (matrix.data instanceof Float64Array ? Float64Array : Float32Array)(indices.length * cols);
  for (let k = 0; k < indices.length; k++) {
    const start = indices[k] * cols;
    data.set(matrix.data.subarray(start, start + cols), k * cols);
  }
  return { rows: indices.length, cols, data };
}

/** The rows of `a` then the rows of `b` (same columns), in float32 when both are: two splits pooled. */
export function stackRows(a: Matrix, b: Matrix): Matrix {
  const data = new (a.data instanceof Float32Array && b.data instanceof Float32Array ? Float32Array : Float64Array)(a.rows * a.cols + b.rows * b.cols);
  data.set(a.data.subarray(0, a.rows * a.cols), 0);
  data.set(b.data.subarray(0, b.rows * b.cols), a.rows * a.cols);
  return { rows: a.rows + b.rows, cols: a.cols, data };
}

/**
 * (a + b) / 2 element-wise, in float32: the query embedding (z_v + z_t) / 2. In shared memory, as
 * it goes to the native engine's thread for every split, where a copy would cost more than the sum.
 */
export function averageOfTwo(a: Matrix, b: Matrix): Matrix {
  const out = new Float32Array(new SharedArrayBuffer(a.rows * a.cols * 4));
  // The float32 pair (every split read from .npy) goes to the WASM kernel, or else gets its own
  // monomorphic loop: a loop over the union of element types runs several times slower in V8.
  // The values are the same on every path.
  const kernels = wasmKernels();
  if (a.data instanceof Float32Array && b.data instanceof Float32Array) {
    if (kernels) averageFloat32Wasm(kernels, a.data, b.data, out);
    else averageFloat32(a.data, b.data, out);
  } else {
    averageAny(a.data, b.data, out);
  }
  return { rows: a.rows, cols: a.cols, data: out };
}

/** Values averageFloat32 takes per call: three arrays of them fit in the kernels' matrix area. */
const WASM_AVERAGE_CHUNK = 0x8000;

/**
 * The average in the WASM kernel, a chunk at a time: compiled code from the first of a sweep's 35
 * calls, where the JS loop runs unoptimised at first (9–10 ms for them in a sweep against 13–24 ms
 * for the loop; most of what is left is the fresh output's page faults).
 */
function averageFloat32Wasm(kernels: WasmKernels, left: Float32Array, right: Float32Array, out: Float32Array): void {
  // Made per call: an eigen solve may have grown the memory, which replaces its buffer.
  const area = new Float32Array(kernels.memory.buffer, WASM_MATRIX_BYTES, 3 * WASM_AVERAGE_CHUNK);
  for (let start = 0; start < out.length; start += WASM_AVERAGE_CHUNK) {
    const end = Math.min(out.length, start + WASM_AVERAGE_CHUNK);
    area.set(left.subarray(start, end), 0);
    area.set(right.subarray(start, end), WASM_AVERAGE_CHUNK);
    kernels.averageFloat32(end - start);
    out.set(area.subarray(2 * WASM_AVERAGE_CHUNK, 2 * WASM_AVERAGE_CHUNK + end - start), start);
  }
}

function averageFloat32(left: Float32Array, right: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = (left[i] + right[i]) * 0.5;
}

/** `averageOfTwo` of float32 matrices in plain JS, as it runs without WebAssembly SIMD; exported to check the kernel against. */
export function averageOfTwoPortable(a: Matrix, b: Matrix): Matrix {
  const out = new Float32Array(a.rows * a.cols);
  if (a.data instanceof Float32Array && b.data instanceof Float32Array) averageFloat32(a.data, b.data, out);
  else averageAny(a.data, b.data, out);
  return { rows: a.rows, cols: a.cols, data: out };
}

function averageAny(left: Float32Array | Float64Array, right: Float32Array | Float64Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = (left[i] + right[i]) * 0.5;
}

/** Index of the first NaN or ±Infinity, or -1. */
export function firstNonFinite(values: Float32Array | Float64Array): number {
  // One loop per element type keeps each monomorphic (several times faster in V8 than a loop
  // over the union); value − value is NaN exactly for NaN and ±Infinity.
  return values instanceof Float32Array ? firstNonFinite32(values) : firstNonFinite64(values);
}

function firstNonFinite32(values: Float32Array): number {
  const kernels = wasmKernels();
  return kernels ? firstNonFinite32Wasm(kernels, values) : firstNonFinite32Js(values);
}

/** `firstNonFinite` in plain JS, as it runs without WebAssembly SIMD; exported to check the kernel against. */
export function firstNonFinitePortable(values: Float32Array | Float64Array): number {
  return values instanceof Float32Array ? firstNonFinite32Js(values) : firstNonFinite64(values);
}

/** Values the WASM check takes per call: what fits in its matrix area without growing the memory. */
const WASM_CHECK_CHUNK = 0x20000;

/**
 * The check in the WASM kernel, a chunk at a time copied into its memory: a sweep checks every
 * matrix it reads (140 of 90 × 768 at n = 90), and the copy and the SIMD test together take about
 * half the time of the JS loop below, without its optimising compile (five of them per process).
 */
function firstNonFinite32Wasm(kernels: WasmKernels, values: Float32Array): number {
  // Made per call: an eigen solve may have grown the memory, which replaces its buffer.
  const scratch = new Float32Array(kernels.memory.buffer, WASM_MATRIX_BYTES, WASM_CHECK_CHUNK);
  for (let start = 0; start < values.length; start += WASM_CHECK_CHUNK) {
    const count = Math.min(WASM_CHECK_CHUNK, values.length - start);
    scratch.set(values.subarray(start, start + count));
    const found = kernels.firstNonFinite32(count);
    if (found >= 0) return start + found;
  }
  return -1;
}

function firstNonFinite32Js(values: Float32Array): number {
  // A float32 is NaN or ±Infinity exactly when its 8 exponent bits are all ones. Adding one
  // exponent step to the masked exponent carries into the sign bit only then, so OR-ing those
  // sums over a block tells whether the block holds any: integer work that V8 runs about twice
  // as fast as a float comparison per element. Only a flagged block is searched element by element.
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const BLOCK = 4096;
  for (let start = 0; start < bits.length; start += BLOCK) {
    const end = Math.min(start + BLOCK, bits.length);
    let flags = 0;
    let i = start;
    for (; i + 3 < end; i += 4) {
      flags |=
        ((bits[i] & 0x7f800000) + 0x00800000) |
        ((bits[i + 1] & 0x7f800000) + 0x00800000) |
        ((bits[i + 2] & 0x7f800000) + 0x00800000) |
        ((bits[i + 3] & 0x7f800000) + 0x00800000);
    }
    for (; i < end; i++) flags |= (bits[i] & 0x7f800000) + 0x00800000;
    if (flags < 0) {
      for (let k = start; k < end; k++) if ((bits[k] & 0x7f800000) === 0x7f800000) return k;
    }
  }
  return -1;
}

function firstNonFinite64(values: Float64Array): number {
  for (let i = 0; i < values.length; i++) if (values[i] - values[i] !== 0) return i;
  return -1;
}

/** Throws an InputError naming the first non-finite entry's row and column. */
export function assertFiniteMatrix(matrix: Matrix, location: { file?: string; field?: string }): void {
  const index = firstNonFinite(matrix.data);
  if (index >= 0) {
    const r = Math.floor(index / matrix.cols);
    const c = index % matrix.cols;
    throw new InputError(`non-finite value ${matrix.data[index]} at row ${r}, column ${c}`, location);
  }
}

/** Copies rows `order[start, end)` of a matrix into `buffer`, contiguous and in that order (a mini-batch without allocating). */
export function gatherRowsInto(matrix: Matrix, order: Int32Array, start: number, end: number, buffer: Float32Array): void {
  const { cols, data } = matrix;
  for (let k = start; k < end; k++) {
    const from = order[k] * cols;
    buffer.set(data.subarray(from, from + cols), (k - start) * cols);
  }
}
