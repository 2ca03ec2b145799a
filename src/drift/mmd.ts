/**
 * The kernel two-sample statistic: the unbiased MMD² (Gretton et al., 2012) with a Gaussian RBF
 * kernel k(a, b) = exp(−‖a − b‖² / (2σ²)), σ the median pairwise Euclidean distance of the pooled
 * sample, and its permutation p-value.
 *
 * The kernel matrix of the pooled rows is built once (from one Gram matrix in float64); every
 * permutation only re-sums it under another split membership, O(n²) and independent of the
 * dimension.
 */
import { InputError } from '../errors';
import type { Matrix, RandomSource } from '../interface';
import { stackRows as stackMatrixRows } from '../linalg/matrix';
import { outerProductPortable } from '../linalg/products';
import { createRng, shuffleInPlace } from '../random';

/**
 * The pooled rows [p; q] as one matrix, p's rows first (the products below accumulate in float64
 * from the values, so float32 rows give the same numbers as widened ones).
 */
export function stackRows(p: Matrix, q: Matrix): Matrix {
  if (p.cols !== q.cols) throw new InputError(`the two samples have ${p.cols} and ${q.cols} columns`, { field: 'q' });
  return stackMatrixRows(p, q);
}

/** The pooled Gram matrix G = X Xᵀ of the rows (float64 accumulation), and the squared distances it gives. */
export interface PooledGeometry {
  readonly size: number;
  /** X Xᵀ, size × size. */
  readonly gram: Float64Array;
  /** ‖x_i − x_j‖², size × size, from the Gram matrix (rounding below 0 clamped to 0). */
  readonly squaredDistances: Float64Array;
}

/** The Gram matrix and squared distances of the pooled rows. */
export function pooledGeometry(pooled: Matrix): PooledGeometry {
  const size = pooled.rows;
  const gram = outerProductPortable(pooled);
  const squaredDistances = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) {
      const value = Math.max(0, gram[i * size + i] + gram[j * size + j] - 2 * gram[i * size + j]);
      squaredDistances[i * size + j] = value;
      squaredDistances[j * size + i] = value;
    }
  }
  return { size, gram, squaredDistances };
}

/**
 * The median of the pairwise Euclidean distances ‖x_i − x_j‖ over the pairs i < j (the
 * diagonal's zeros excluded; an even count of pairs takes the mean of the two middle ones, as
 * numpy's median).
 */
export function medianPairwiseDistance(geometry: PooledGeometry): number {
  const { size, squaredDistances } = geometry;
  if (size < 2) throw new InputError(`needs at least 2 rows, got ${size}`, { field: 'rows' });
  const values = new Float64Array((size * (size - 1)) / 2);
  let k = 0;
  for (let i = 0; i < size; i++) for (let j = i + 1; j < size; j++) values[k++] = squaredDistances[i * size + j];
  values.sort();
  const middle = values.length >> 1;
  const squared = values.length % 2 === 1 ? values[middle] : undefined;
  // The median of distances is the root of the median of squared distances (a monotone map).
  if (squared !== undefined) return Math.sqrt(squared);
  return (Math.sqrt(values[middle - 1]) + Math.sqrt(values[middle])) / 2;
}

/** exp(−‖x_i − x_j‖² / (2σ²)) for every pair, size × size. */
export function rbfKernelMatrix(geometry: PooledGeometry, bandwidth: number): Float64Array {
  if (!(bandwidth > 0) || !Number.isFinite(bandwidth)) {
    throw new InputError(`the RBF bandwidth must be a finite number > 0, got ${bandwidth} (are all rows identical?)`, { field: 'bandwidth' });
  }
  const scale = -1 / (2 * bandwidth * bandwidth);
  const kernel = new Float64Array(geometry.squaredDistances.length);
  for (let i = 0; i < kernel.length; i++) kernel[i] = Math.exp(geometry.squaredDistances[i] * scale);
  return kernel;
}

/** Σ K[a][b] over ordered pairs a ≠ b of the rows `order[start, end)`. */
function withinSum(kernel: Float64Array, size: number, order: Int32Array, start: number, end: number): number {
  let sum = 0;
  for (let a = start; a < end; a++) {
    const row = order[a] * size;
    let rowSum = 0;
    for (let b = a + 1; b < end; b++) rowSum += kernel[row + order[b]];
    sum += rowSum;
  }
  return 2 * sum;
}

/**
 * The unbiased MMD² of a pooled kernel matrix when the rows `order[0, m)` are one sample and
 * `order[m, size)` the other:
 *   1/(m(m−1)) Σ_{i≠j∈P} k + 1/(n(n−1)) Σ_{i≠j∈Q} k − 2/(mn) Σ_{i∈P, j∈Q} k,
 * with the cross sum taken from the total off-diagonal sum, so one evaluation is (m² + n²)/2 reads.
 */
function unbiasedMmd2Of(kernel: Float64Array, size: number, order: Int32Array, m: number, offDiagonalTotal: number): number {
  const n = size - m;
  const pp = withinSum(kernel, size, order, 0, m);
  const qq = withinSum(kernel, size, order, m, size);
  const pq = (offDiagonalTotal - pp - qq) / 2;
  return pp / (m * (m - 1)) + qq / (n * (n - 1)) - (2 * pq) / (m * n);
}

/** The sum of a square matrix's off-diagonal entries. */
function offDiagonalSum(kernel: Float64Array, size: number): number {
  let total = 0;
  for (let i = 0; i < size; i++) {
    let row = 0;
    for (let j = 0; j < size; j++) if (j !== i) row += kernel[i * size + j];
    total += row;
  }
  return total;
}

/** How `mmdTest` runs. */
export interface MmdTestOptions {
  /** Permutations for the p-value (default 1000); 0 computes the statistic alone (p-value NaN). */
  permutations?: number | undefined;
  /** Seeds the permutations (default 0). */
  seed?: number | undefined;
  /** A fixed σ instead of the pooled median distance. */
  bandwidth?: number | undefined;
  /** The pooled geometry when the caller has it already (rows: the first sample's, then the second's). */
  geometry?: PooledGeometry | undefined;
}

/** An MMD² two-sample test. */
export interface MmdTestResult {
  /** The unbiased MMD² (can be slightly negative when the samples agree). */
  mmd2: number;
  /** (1 + #{MMD²_perm ≥ MMD²_obs}) / (1 + permutations); NaN without permutations. */
  pValue: number;
  /** σ of the RBF kernel. */
  bandwidth: number;
  permutations: number;
}

/** Permutations must be a whole number ≥ 0 here (the CLI asks for ≥ 1). */
function checkPermutations(permutations: number): void {
  if (!Number.isInteger(permutations) || permutations < 0) throw new InputError(`expected a whole number ≥ 0, got ${permutations}`, { field: 'permutations' });
}

/**
 * The unbiased MMD² between the rows of `p` and `q` and its permutation p-value: pooled rows,
 * split membership permuted with sizes kept (seeded), p = (1 + #{T_perm ≥ T_obs}) / (1 + N).
 * "≥" allows a relative slack of 1e-12 of |T_obs|, so that a permutation re-creating the
 * observed split (or one equal to it by symmetry) counts despite a different summation order
 * (as scipy's permutation_test does). Needs at least 2 rows on each side.
 */
export function mmdTest(p: Matrix, q: Matrix, options: MmdTestOptions = {}): MmdTestResult {
  if (p.rows < 2 || q.rows < 2) throw new InputError(`the unbiased MMD² needs at least 2 rows on each side, got ${p.rows} and ${q.rows}`, { field: p.rows < 2 ? 'p' : 'q' });
  const permutations = options.permutations ?? 1000;
  checkPermutations(permutations);
  const geometry = options.geometry ?? pooledGeometry(stackRows(p, q));
  if (geometry.size !== p.rows + q.rows) throw new InputError(`the pooled geometry has ${geometry.size} rows, the samples ${p.rows} + ${q.rows}`, { field: 'geometry' });
  const bandwidth = options.bandwidth ?? medianPairwiseDistance(geometry);
  const kernel = rbfKernelMatrix(geometry, bandwidth);
  return permutationMmd(kernel, geometry.size, p.rows, permutations, createRng(options.seed ?? 0), bandwidth);
}

function permutationMmd(kernel: Float64Array, size: number, m: number, permutations: number, rng: RandomSource, bandwidth: number): MmdTestResult {
  const total = offDiagonalSum(kernel, size);
  const order = Int32Array.from({ length: size }, (_, i) => i);
  const observed = unbiasedMmd2Of(kernel, size, order, m, total);
  if (permutations === 0) return { mmd2: observed, pValue: NaN, bandwidth, permutations };
  const threshold = observed - 1e-12 * Math.abs(observed);
  let atLeast = 0;
  for (let r = 0; r < permutations; r++) {
    shuffleInPlace(order, rng);
    const permuted = unbiasedMmd2Of(kernel, size, order, m, total);
    // A NaN would count as no exceedance and make the p-value look significant: refuse it.
    if (!Number.isFinite(permuted) || !Number.isFinite(observed)) throw new Error(`MMD² is not finite (${Number.isFinite(observed) ? permuted : observed}): no p-value can be computed`);
    if (permuted >= threshold) atLeast += 1;
  }
  return { mmd2: observed, pValue: (1 + atLeast) / (1 + permutations), bandwidth, permutations };
}
