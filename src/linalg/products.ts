/**
 * The matrix products the bound needs: AᵀA (the d × d second moment) and A Bᵀ (Gram blocks).
 * Large products run in ONNX Runtime's native multi-threaded kernels (float32 inputs, as the
 * embeddings are); small ones, and machines without ONNX Runtime, use the portable loops here,
 * which accumulate in float64.
 */
import type { Matrix } from '../interface';

/** Below this many multiply-adds the native call's fixed overhead outweighs its speed. */
const NATIVE_THRESHOLD = 2e5;

type NativeProducts = typeof import('../backend/onnx/gram');
let native: NativeProducts | null | undefined;

function nativeProducts(): NativeProducts | null {
  if (native === undefined) {
    try {
      require.resolve('onnxruntime-node');
      native = require('../backend/onnx/gram') as NativeProducts;
    } catch {
      native = null;
    }
  }
  return native;
}

/** AᵀA, cols × cols, row-major float64. */
export async function crossProduct(a: Matrix): Promise<Float64Array> {
  const engine = a.rows * a.cols * a.cols > NATIVE_THRESHOLD ? nativeProducts() : null;
  return engine ? engine.crossProduct(a) : crossProductPortable(a);
}

/** A Bᵀ (A Aᵀ when b is omitted), a.rows × b.rows, row-major float64. */
export async function outerProduct(a: Matrix, b?: Matrix): Promise<Float64Array> {
  const other = b ?? a;
  const engine = a.rows * other.rows * a.cols > NATIVE_THRESHOLD ? nativeProducts() : null;
  return engine ? engine.outerProduct(a, b) : outerProductPortable(a, b);
}

export function crossProductPortable(a: Matrix): Float64Array {
  const { rows, cols, data } = a;
  const out = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    const offset = r * cols;
    for (let i = 0; i < cols; i++) {
      const value = data[offset + i];
      if (value === 0) continue;
      const outOffset = i * cols;
      // Lower triangle only; mirrored below, halving the work.
      for (let j = 0; j <= i; j++) out[outOffset + j] += value * data[offset + j];
    }
  }
  for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) out[j * cols + i] = out[i * cols + j];
  return out;
}

export function outerProductPortable(a: Matrix, b?: Matrix): Float64Array {
  const other = b ?? a;
  const { cols } = a;
  const out = new Float64Array(a.rows * other.rows);
  for (let i = 0; i < a.rows; i++) {
    const aOffset = i * cols;
    for (let j = b ? 0 : i; j < other.rows; j++) {
      const bOffset = j * cols;
      let sum = 0;
      for (let k = 0; k < cols; k++) sum += a.data[aOffset + k] * other.data[bOffset + k];
      out[i * other.rows + j] = sum;
      if (!b) out[j * other.rows + i] = sum;
    }
  }
  return out;
}
