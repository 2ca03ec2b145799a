/**
 * Representation Jensen–Shannon divergence between two row-sample matrices A (n_a × d) and
 * B (n_b × d):  RJSD = S(mixture) − (S(AᵀA) + S(BᵀB)) / 2.
 *
 * Mixtures:
 * - 'sample-weighted' (the reference implementation's, needed to reproduce published numbers):
 *   (AᵀA + BᵀB) / 2. With unit-norm rows each set weighs in proportion to its row count.
 * - 'equal' (the textbook JSD): AᵀA / tr(AᵀA) + BᵀB / tr(BᵀB), each set's density matrix
 *   weighted ½.
 * When n_a + n_b < d the mixture's spectrum is taken from the Gram matrix of the stacked rows
 * [w_a A; w_b B], built from blocks A Aᵀ, B Bᵀ (shared with the self-entropies) and A Bᵀ.
 */
import { InputError } from '../errors';
import type { Matrix, MixtureWeighting } from '../interface';
import { inThreadEigenSolver, type EigenSolver } from '../linalg/eigenSolver';
import { outerProduct } from '../linalg/products';
import { EmbeddingMoments, spectrumSide, type SpectrumSideChoice } from './embeddingMoments';
import { vonNeumannEntropyFromEigenvalues } from './vonNeumannEntropy';

export type { MixtureWeighting } from '../interface';

export const MIXTURE_WEIGHTINGS: readonly MixtureWeighting[] = ['sample-weighted', 'equal'];

/** How `rjsd` computes the divergence: the mixture (see the module comment), the eigenvalue solver and the spectrum's side. */
export interface RjsdOptions {
  /** Default 'sample-weighted', the reference implementation's. */
  mixture?: MixtureWeighting | undefined;
  /** Where the spectra are computed; default in this thread. */
  solver?: EigenSolver | undefined;
  /** Which side's spectrum to take (default: the smaller); both give the same value. */
  side?: SpectrumSideChoice | undefined;
}

/** Entropy of the mixture of two sets' second moments. */
export async function mixtureEntropy(a: EmbeddingMoments, b: EmbeddingMoments, mixture: MixtureWeighting = 'sample-weighted'): Promise<number> {
  if (a.cols !== b.cols) throw new InputError(`dimension mismatch: ${a.cols} vs ${b.cols}`, { field: 'rjsd' });
  if (mixture === 'equal' && (a.trace === 0 || b.trace === 0)) throw new InputError('a set whose rows are all zero has no spectrum', { field: 'rjsd' });
  const weightA = mixture === 'equal' ? 1 / a.trace : 1;
  const weightB = mixture === 'equal' ? 1 / b.trace : 1;
  const solver = a.solver;
  const stacked = a.rows + b.rows;
  if (spectrumSide(stacked, a.cols, a.side) === 'gram') {
    const [gramA, gramB, cross] = await Promise.all([a.gram(), b.gram(), outerProduct(a.matrix, b.matrix)]);
    const mixtureEigenvalues = await solver.eigenvaluesOfWritten(stacked, (target) => writeStackedMixtureGram(target, gramA, gramB, cross, a.rows, b.rows, weightA, weightB));
    return vonNeumannEntropyFromEigenvalues(mixtureEigenvalues);
  }
  const [covarianceA, covarianceB] = await Promise.all([a.covariance(), b.covariance()]);
  return vonNeumannEntropyFromEigenvalues(await solver.eigenvalues(weightedSum(covarianceA, covarianceB, weightA, weightB), a.cols));
}

/** w_a AᵀA + w_b BᵀB (in a function of its own for the reason given at writeStackedMixtureGram). */
function weightedSum(covarianceA: Float64Array, covarianceB: Float64Array, weightA: number, weightB: number): Float64Array {
  const mixed = new Float64Array(covarianceA.length);
  for (let i = 0; i < mixed.length; i++) mixed[i] = weightA * covarianceA[i] + weightB * covarianceB[i];
  return mixed;
}

/**
 * The lower triangle of [[w_a A Aᵀ, ·], [√(w_a w_b) B Aᵀ, w_b B Bᵀ]] (all the solver reads of the
 * symmetric mixture Gram matrix), written row by row into `target`; a weight of 1 (the
 * sample-weighted mixture) is a plain copy, the same numbers as multiplying by 1. A function of
 * its own, not a loop inside the async mixtureEntropy: V8 optimises whatever holds a hot loop, and
 * optimising an async function with its closures took 30–50 ms of compiler time per sweep process,
 * more than the loop itself.
 */
function writeStackedMixtureGram(target: Float64Array, gramA: Float64Array, gramB: Float64Array, cross: Float64Array, rowsA: number, rowsB: number, weightA: number, weightB: number): void {
  const stacked = rowsA + rowsB;
  const crossWeight = Math.sqrt(weightA * weightB);
  for (let i = 0; i < rowsA; i++) copyScaled(target, i * stacked, gramA, i * rowsA, i + 1, weightA);
  for (let i = 0; i < rowsB; i++) {
    const row = (rowsA + i) * stacked;
    for (let j = 0; j < rowsA; j++) target[row + j] = crossWeight * cross[j * rowsB + i];
    copyScaled(target, row + rowsA, gramB, i * rowsB, i + 1, weightB);
  }
}

function copyScaled(target: Float64Array, at: number, source: Float64Array, from: number, count: number, weight: number): void {
  if (weight === 1) {
    target.set(source.subarray(from, from + count), at);
    return;
  }
  for (let j = 0; j < count; j++) target[at + j] = weight * source[from + j];
}

/** RJSD of two sets whose moments are (or will be) shared with other divergences. */
export async function rjsdOfMoments(a: EmbeddingMoments, b: EmbeddingMoments, mixture: MixtureWeighting = 'sample-weighted'): Promise<number> {
  const [mixed, entropyA, entropyB] = await Promise.all([mixtureEntropy(a, b, mixture), a.entropy(), b.entropy()]);
  return mixed - (entropyA + entropyB) / 2;
}

/** RJSD of two row-sample matrices (natural log; between 0 and ln 2 for the equal mixture). */
export async function rjsd(a: Matrix, b: Matrix, options: RjsdOptions = {}): Promise<number> {
  const solver = options.solver ?? inThreadEigenSolver;
  const side = options.side ?? 'auto';
  return rjsdOfMoments(new EmbeddingMoments(a, solver, side), new EmbeddingMoments(b, solver, side), options.mixture ?? 'sample-weighted');
}
