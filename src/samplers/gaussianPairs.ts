/**
 * Jointly Gaussian pairs with known mutual information (the ground truth for estimators, as in
 * cbg-ethz/bmi): x ~ N(0, I_d), y = ρ x + √(1 − ρ²) ε per dimension.
 */
import { InputError } from '../errors';
import type { Matrix, PairedSample, RandomSource, Sampler } from '../interface';
import { createRng } from '../random';

/** I(x; y) = −(d/2) ln(1 − ρ²) nats. */
export function gaussianMutualInformation(dim: number, correlation: number): number {
  return (-dim / 2) * Math.log(1 - correlation * correlation);
}

/**
 * The sampler of `dim`-dimensional Gaussian pairs with per-dimension correlation ρ; its
 * `mutualInformation()` is `gaussianMutualInformation(dim, ρ)`.
 */
export function gaussianPairSampler(dim: number, correlation: number): Sampler {
  if (!(Math.abs(correlation) < 1)) throw new InputError(`correlation must be in (−1, 1), got ${correlation}`, { field: 'correlation' });
  if (!Number.isInteger(dim) || dim < 1) throw new InputError(`dimension must be a positive integer, got ${dim}`, { field: 'dim' });
  const noise = Math.sqrt(1 - correlation * correlation);
  return {
    name: `gaussian-${dim}d-${correlation}`,
    xDim: dim,
    yDim: dim,
    sample(rows: number, rng: RandomSource): PairedSample {
      if (!Number.isInteger(rows) || rows < 0) throw new InputError(`expected a whole number of rows, got ${rows}`, { field: 'rows' });
      const x = new Float32Array(rows * dim);
      const y = new Float32Array(rows * dim);
      for (let i = 0; i < rows * dim; i++) {
        x[i] = rng.normal();
        y[i] = correlation * x[i] + noise * rng.normal();
      }
      const matrix = (data: Float32Array): Matrix => ({ rows, cols: dim, data });
      return { x: matrix(x), y: matrix(y) };
    },
    mutualInformation: () => gaussianMutualInformation(dim, correlation),
  };
}

/** `rows` seeded pairs (x, y) of dimension `dim` with per-dimension correlation ρ; their true MI is `gaussianMutualInformation(dim, ρ)`. */
export function sampleGaussianPairs(rows: number, dim: number, correlation: number, seed = 0): { x: Matrix; y: Matrix } {
  return gaussianPairSampler(dim, correlation).sample(rows, createRng(seed));
}

/**
 * CLUB's population value with the exact conditional q(y|x) = N(ρx, 1 − ρ²):
 * E_joint[log q] − E_x E_y[log q] = d ρ² / (1 − ρ²) ≥ the true MI (CLUB is an upper bound).
 */
export function gaussianClubValue(dim: number, correlation: number): number {
  return (dim * correlation * correlation) / (1 - correlation * correlation);
}
