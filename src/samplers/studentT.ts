/**
 * The multivariate Student-t distribution split into (X, Y): T = Z / √(U/ν) with Z ~ N(0, Σ)
 * and U ~ χ²_ν independent. Its MI (Arellano-Valle, Contreras-Reyes and Genton, 2013) is the
 * Gaussian MI of the dispersion Σ plus a correction from the differential entropies of standard
 * Student-t distributions, which depends only on ν and the dimensions; it is positive, so X and
 * Y share information even when Σ is the identity, and it vanishes as ν → ∞.
 */
import { InputError } from '../errors';
import type { PairedSample, RandomSource, Sampler } from '../interface';
import { gaussianMutualInformationOfCovariance } from '../math/covariance';
import { digamma, logGamma } from '../math/specialFunctions';
import { assertDimension, assertRowCount, requireCholesky, sampleCorrelatedNormal, splitJointRows } from './multivariateNormal';

/**
 * The part of the differential entropy of a standard d-dimensional Student-t with ν degrees of
 * freedom that does not cancel in MI: ln Γ(ν/2) − ln Γ((ν + d)/2) + (ν + d)/2 · (ψ((ν + d)/2) − ψ(ν/2)).
 * (The full entropy adds (d/2) ln(νπ), which cancels between X, Y and (X, Y).)
 */
function studentEntropyShape(degreesOfFreedom: number, dim: number): number {
  const half = degreesOfFreedom / 2;
  const halfSum = (degreesOfFreedom + dim) / 2;
  return logGamma(half) - logGamma(halfSum) + halfSum * (digamma(halfSum) - digamma(half));
}

/** The full differential entropy of a standard d-dimensional Student-t (identity dispersion), in nats. */
export function studentTEntropy(degreesOfFreedom: number, dim: number): number {
  return studentEntropyShape(degreesOfFreedom, dim) + (dim / 2) * Math.log(degreesOfFreedom * Math.PI);
}

/** What Student-t MI adds to the Gaussian MI of the dispersion: h(X) + h(Y) − h(X, Y) of standard Student-t parts. */
export function studentTMutualInformationCorrection(degreesOfFreedom: number, xDim: number, yDim: number): number {
  assertDegreesOfFreedom(degreesOfFreedom);
  return studentEntropyShape(degreesOfFreedom, xDim) + studentEntropyShape(degreesOfFreedom, yDim) - studentEntropyShape(degreesOfFreedom, xDim + yDim);
}

function assertDegreesOfFreedom(value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new InputError(`expected positive finite degrees of freedom, got ${value}`, { field: 'degreesOfFreedom' });
}

/**
 * A Gamma(shape, 1) draw (Marsaglia and Tsang, 2000): a squeeze on a transformed normal for
 * shape ≥ 1, and Gamma(shape + 1) · U^(1/shape) below it.
 */
export function sampleGamma(shape: number, rng: RandomSource): number {
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = rng.next();
    return sampleGamma(shape + 1, rng) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = rng.next();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0 && Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * (X, Y) jointly Student-t with ν degrees of freedom and joint dispersion Σ (row-major, X first).
 * MI = ½ ln(det Σ_X det Σ_Y / det Σ) + `studentTMutualInformationCorrection(ν, xDim, yDim)`.
 */
export function studentTSampler(options: { name: string; xDim: number; yDim: number; dispersion: ArrayLike<number>; degreesOfFreedom: number }): Sampler {
  const { name, xDim, yDim, degreesOfFreedom } = options;
  assertDimension(xDim, 'xDim');
  assertDimension(yDim, 'yDim');
  assertDegreesOfFreedom(degreesOfFreedom);
  const size = xDim + yDim;
  const dispersion = Float64Array.from(options.dispersion);
  const lower = requireCholesky(dispersion, size, 'dispersion');
  const mutualInformation = gaussianMutualInformationOfCovariance(dispersion, xDim, 'dispersion') + studentTMutualInformationCorrection(degreesOfFreedom, xDim, yDim);
  return {
    name,
    xDim,
    yDim,
    sample(rows: number, rng: RandomSource): PairedSample {
      assertRowCount(rows);
      const joint = sampleCorrelatedNormal(lower, size, rows, rng);
      for (let i = 0; i < rows; i++) {
        // U ~ χ²_ν = 2 · Gamma(ν/2); every coordinate of the row shares the one scale √(ν/U).
        const scale = Math.sqrt(degreesOfFreedom / (2 * sampleGamma(degreesOfFreedom / 2, rng)));
        for (let j = 0; j < size; j++) joint[i * size + j] *= scale;
      }
      return splitJointRows(joint, rows, xDim, yDim);
    },
    mutualInformation: () => mutualInformation,
  };
}
