/**
 * Jointly Gaussian (X, Y) of any dimensions with a given joint covariance, and the two
 * covariance families of cbg-ethz/bmi's benchmark: dense (every pair of coordinates correlated
 * alike) and sparse (a few X–Y pairs carry the signal, weak correlation within each side).
 */
import { InputError } from '../errors';
import type { PairedSample, RandomSource, Sampler } from '../interface';
import { choleskyLower, gaussianMutualInformationOfCovariance } from '../math/covariance';

/** Checks a positive whole dimension, naming `field`. */
export function assertDimension(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 1) throw new InputError(`expected a positive whole dimension, got ${value}`, { field });
}

/** Checks a whole, non-negative row count. */
export function assertRowCount(rows: number): void {
  if (!Number.isInteger(rows) || rows < 0) throw new InputError(`expected a whole number of rows, got ${rows}`, { field: 'rows' });
}

/** Splits joint rows (xDim + yDim columns, float64) into the x and y matrices. */
export function splitJointRows(joint: Float64Array, rows: number, xDim: number, yDim: number): PairedSample {
  const size = xDim + yDim;
  const x = new Float64Array(rows * xDim);
  const y = new Float64Array(rows * yDim);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < xDim; j++) x[i * xDim + j] = joint[i * size + j];
    for (let j = 0; j < yDim; j++) y[i * yDim + j] = joint[i * size + xDim + j];
  }
  return { x: { rows, cols: xDim, data: x }, y: { rows, cols: yDim, data: y } };
}

/**
 * `rows` draws of N(0, Σ) as joint rows, Σ = L Lᵀ given by its Cholesky factor: z ~ N(0, I),
 * row = L z. Shared by the normal and Student-t samplers.
 */
export function sampleCorrelatedNormal(lower: Float64Array, size: number, rows: number, rng: RandomSource): Float64Array {
  const out = new Float64Array(rows * size);
  const z = new Float64Array(size);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < size; j++) z[j] = rng.normal();
    for (let p = 0; p < size; p++) {
      let sum = 0;
      for (let q = 0; q <= p; q++) sum += lower[p * size + q] * z[q];
      out[i * size + p] = sum;
    }
  }
  return out;
}

/** The Cholesky factor of a joint covariance, or an InputError saying it is not positive definite. */
export function requireCholesky(covariance: ArrayLike<number>, size: number, field: string): Float64Array {
  if (covariance.length !== size * size) throw new InputError(`expected ${size} × ${size} = ${size * size} values, got ${covariance.length}`, { field });
  for (let p = 0; p < size; p++) {
    for (let q = 0; q < p; q++) {
      if (covariance[p * size + q] !== covariance[q * size + p]) throw new InputError(`is not symmetric at (${p}, ${q})`, { field });
    }
  }
  const lower = choleskyLower(covariance, size);
  if (!lower) throw new InputError('is not positive definite', { field });
  return lower;
}

/**
 * (X, Y) ~ N(0, Σ) with Σ the (xDim + yDim)² joint covariance (row-major, X first). Its MI is
 * ½ ln(det Σ_X det Σ_Y / det Σ).
 */
export function multivariateNormalSampler(options: { name: string; xDim: number; yDim: number; covariance: ArrayLike<number> }): Sampler {
  const { name, xDim, yDim } = options;
  assertDimension(xDim, 'xDim');
  assertDimension(yDim, 'yDim');
  const size = xDim + yDim;
  const covariance = Float64Array.from(options.covariance);
  const lower = requireCholesky(covariance, size, 'covariance');
  const mutualInformation = gaussianMutualInformationOfCovariance(covariance, xDim);
  return {
    name,
    xDim,
    yDim,
    sample(rows: number, rng: RandomSource): PairedSample {
      assertRowCount(rows);
      return splitJointRows(sampleCorrelatedNormal(lower, size, rows, rng), rows, xDim, yDim);
    },
    mutualInformation: () => mutualInformation,
  };
}

/** The dense joint correlation of bmi's `multinormal-dense` tasks: 1 on the diagonal, `offDiagonal` everywhere else. */
export function denseCorrelation(xDim: number, yDim: number, offDiagonal: number): Float64Array {
  const size = xDim + yDim;
  const matrix = new Float64Array(size * size).fill(offDiagonal);
  for (let i = 0; i < size; i++) matrix[i * size + i] = 1;
  return matrix;
}

/**
 * A sparse joint correlation: X_i and Y_i correlated by `signal` for i < `interacting`, every
 * other pair within X or within Y by `noise`, and no other X–Y correlation.
 */
export function sparseCorrelation(xDim: number, yDim: number, interacting: number, signal: number, noise: number): Float64Array {
  if (!Number.isInteger(interacting) || interacting < 0 || interacting > Math.min(xDim, yDim)) {
    throw new InputError(`expected 0 … ${Math.min(xDim, yDim)} interacting pairs, got ${interacting}`, { field: 'interacting' });
  }
  const size = xDim + yDim;
  const matrix = new Float64Array(size * size);
  for (let p = 0; p < size; p++) {
    for (let q = 0; q < size; q++) {
      const sameSide = p < xDim === q < xDim;
      if (p === q) matrix[p * size + q] = 1;
      else if (sameSide) matrix[p * size + q] = noise;
      else {
        const [i, j] = p < xDim ? [p, q - xDim] : [q, p - xDim];
        matrix[p * size + q] = i === j && i < interacting ? signal : 0;
      }
    }
  }
  return matrix;
}
