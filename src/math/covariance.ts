/**
 * Dense symmetric matrices in float64 as flat row-major arrays: Cholesky factors, log
 * determinants, sample covariances, and the mutual information of a Gaussian with a given joint
 * covariance. Shared by the Gaussian samplers (their true MI) and the `gaussian` estimator (its
 * estimate), so truth and estimate come from one formula.
 */
import { InputError } from '../errors';

/**
 * The lower-triangular L with L Lᵀ = `matrix` (size × size, row-major), or undefined when the
 * matrix is not numerically positive definite.
 */
export function choleskyLower(matrix: ArrayLike<number>, size: number): Float64Array | undefined {
  const lower = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * size + j];
      for (let k = 0; k < j; k++) sum -= lower[i * size + k] * lower[j * size + k];
      if (i === j) {
        if (!(sum > 0)) return undefined;
        lower[i * size + i] = Math.sqrt(sum);
      } else {
        lower[i * size + j] = sum / lower[j * size + j];
      }
    }
  }
  return lower;
}

/** ln det of a symmetric positive-definite matrix, from its Cholesky factor; undefined when it is not positive definite. */
export function logDeterminant(matrix: ArrayLike<number>, size: number): number | undefined {
  const lower = choleskyLower(matrix, size);
  if (!lower) return undefined;
  let sum = 0;
  for (let i = 0; i < size; i++) sum += Math.log(lower[i * size + i]);
  return 2 * sum;
}

/** The square block of `matrix` (size × size) on rows and columns [from, to). */
export function principalBlock(matrix: ArrayLike<number>, size: number, from: number, to: number): Float64Array {
  const width = to - from;
  const block = new Float64Array(width * width);
  for (let i = 0; i < width; i++) for (let j = 0; j < width; j++) block[i * width + j] = matrix[(from + i) * size + from + j];
  return block;
}

/**
 * I(X; Y) = ½ ln(det Σ_X det Σ_Y / det Σ) nats for (X, Y) jointly Gaussian with covariance Σ
 * (the first `dimX` coordinates are X). A Σ that is not positive definite is an InputError
 * naming `field`.
 */
export function gaussianMutualInformationOfCovariance(covariance: ArrayLike<number>, dimX: number, field = 'covariance'): number {
  const size = Math.round(Math.sqrt(covariance.length));
  if (size * size !== covariance.length) throw new InputError(`expected a square matrix, got ${covariance.length} values`, { field });
  if (!Number.isInteger(dimX) || dimX < 1 || dimX >= size) throw new InputError(`expected 1 ≤ dimX < ${size}, got ${dimX}`, { field });
  const joint = logDeterminant(covariance, size);
  const x = logDeterminant(principalBlock(covariance, size, 0, dimX), dimX);
  const y = logDeterminant(principalBlock(covariance, size, dimX, size), size - dimX);
  if (joint === undefined || x === undefined || y === undefined) {
    throw new InputError('the covariance is not positive definite (a coordinate is constant or a linear combination of others)', { field });
  }
  return 0.5 * (x + y - joint);
}

/**
 * The sample covariance (divisor n − 1) of the columns of two row-paired blocks taken together:
 * (cols of a + cols of b) squared, in float64 with the means removed first for accuracy.
 */
export function jointSampleCovariance(a: { rows: number; cols: number; data: ArrayLike<number> }, b: { rows: number; cols: number; data: ArrayLike<number> }): Float64Array {
  const rows = a.rows;
  const size = a.cols + b.cols;
  const centred = new Float64Array(rows * size);
  const means = new Float64Array(size);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < a.cols; j++) means[j] += a.data[i * a.cols + j];
    for (let j = 0; j < b.cols; j++) means[a.cols + j] += b.data[i * b.cols + j];
  }
  for (let j = 0; j < size; j++) means[j] /= rows;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < a.cols; j++) centred[i * size + j] = a.data[i * a.cols + j] - means[j];
    for (let j = 0; j < b.cols; j++) centred[i * size + a.cols + j] = b.data[i * b.cols + j] - means[a.cols + j];
  }
  const covariance = new Float64Array(size * size);
  for (let i = 0; i < rows; i++) {
    const offset = i * size;
    for (let p = 0; p < size; p++) {
      const value = centred[offset + p];
      for (let q = p; q < size; q++) covariance[p * size + q] += value * centred[offset + q];
    }
  }
  for (let p = 0; p < size; p++) {
    for (let q = p; q < size; q++) {
      const value = covariance[p * size + q] / (rows - 1);
      covariance[p * size + q] = value;
      covariance[q * size + p] = value;
    }
  }
  return covariance;
}
