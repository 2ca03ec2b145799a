/**
 * Plain-JS float64 versions of the CLUB network, loss and Adam, written directly from the
 * formulas, as references for the ONNX graphs.
 */
import type { Matrix } from '../../../src/interface';
import { CLUB_TENSORS, type ClubParameters, type ClubShape, type ClubTensorField } from '../../../src/estimators/club/clubParameters';
import { createRng } from '../../../src/random';

/** PyTorch's default Linear init, U(−1/√fan_in, 1/√fan_in), times `scale`. */
export function randomClubParameters(shape: ClubShape, seed: number, scale = 1): ClubParameters {
  const rng = createRng(seed);
  const tensors = {} as Record<ClubTensorField, Float32Array>;
  for (const t of CLUB_TENSORS) {
    const dims = t.shape(shape);
    const fanIn = t.field.endsWith('W1') || t.field.endsWith('B1') ? shape.xDim : shape.hiddenDim;
    const size = dims.reduce((a, b) => a * b, 1);
    tensors[t.field] = Float32Array.from({ length: size }, () => (scale * (2 * rng.next() - 1)) / Math.sqrt(fanIn));
  }
  return { ...shape, ...tensors };
}

export function gaussianMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  return { rows, cols, data: Float32Array.from({ length: rows * cols }, () => rng.normal()) };
}

/** out = act(in · Wᵀ + b) for row-major in [n, k], W [m, k]. */
function linear(input: ArrayLike<number>, n: number, k: number, w: Float32Array, b: Float32Array, m: number, tanh: boolean): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let sum = b[j];
      for (let kk = 0; kk < k; kk++) sum += input[i * k + kk] * w[j * k + kk];
      out[i * m + j] = tanh ? Math.tanh(sum) : sum;
    }
  }
  return out;
}

export function clubForward64(p: ClubParameters, x: Matrix): { mu: Float64Array; logvar: Float64Array } {
  const n = x.rows;
  const hiddenMu = linear(x.data, n, p.xDim, p.muW1, p.muB1, p.hiddenDim, true);
  const hiddenLv = linear(x.data, n, p.xDim, p.logvarW1, p.logvarB1, p.hiddenDim, true);
  return {
    mu: linear(hiddenMu, n, p.hiddenDim, p.muW2, p.muB2, p.yDim, false),
    logvar: linear(hiddenLv, n, p.hiddenDim, p.logvarW2, p.logvarB2, p.yDim, true),
  };
}

/** L = mean_i Σ_d [(μ − y)² e^{−logvar} + logvar]. */
export function clubLoss64(p: ClubParameters, x: Matrix, y: Matrix): number {
  const { mu, logvar } = clubForward64(p, x);
  let total = 0;
  for (let i = 0; i < mu.length; i++) total += (mu[i] - y.data[i]) ** 2 * Math.exp(-logvar[i]) + logvar[i];
  return total / x.rows;
}

/** Adam state for one tensor, in float64. */
export interface AdamState {
  m: Float64Array;
  v: Float64Array;
}

/** torch.optim.Adam defaults, step t (1-based), applied in float64. Returns the new parameter. */
export function adamStep64(param: ArrayLike<number>, grad: ArrayLike<number>, state: AdamState, t: number, lr: number): Float64Array {
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  const out = new Float64Array(param.length);
  const bc1 = 1 - beta1 ** t;
  const bc2 = 1 - beta2 ** t;
  for (let i = 0; i < param.length; i++) {
    state.m[i] = beta1 * state.m[i] + (1 - beta1) * grad[i];
    state.v[i] = beta2 * state.v[i] + (1 - beta2) * grad[i] * grad[i];
    const mHat = state.m[i] / bc1;
    const vHat = state.v[i] / bc2;
    out[i] = param[i] - (lr * mHat) / (Math.sqrt(vHat) + eps);
  }
  return out;
}
