/** A CLUB network that needs no training: μ(x) ≈ x and unit variance, for data where y ≈ x + noise. */
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import type { ClubParameters } from '../../src/estimators/club/clubParameters';
import type { EmbeddingSet, Matrix } from '../../src/interface';
import { createRng } from '../../src/random';

/**
 * μ(x) = tanh(s x) / s per coordinate (≈ x for |s x| small) and logvar = 0: the log-likelihood
 * ratio of CLUB is then large for a y close to its own x and small for another row's.
 */
export function identityClub(dimension: number, scale = 0.2): ClubEstimator {
  const d = dimension;
  const eye = (value: number) => {
    const data = new Float32Array(d * d);
    for (let i = 0; i < d; i++) data[i * d + i] = value;
    return data;
  };
  const parameters: ClubParameters = {
    xDim: d,
    yDim: d,
    hiddenDim: d,
    muW1: eye(scale),
    muB1: new Float32Array(d),
    muW2: eye(1 / scale),
    muB2: new Float32Array(d),
    logvarW1: new Float32Array(d * d),
    logvarB1: new Float32Array(d),
    logvarW2: new Float32Array(d * d),
    logvarB2: new Float32Array(d),
  };
  return new ClubEstimator(parameters, 'portable');
}

function gaussian(rows: number, cols: number, rng: ReturnType<typeof createRng>): Matrix {
  return { rows, cols, data: Float32Array.from({ length: rows * cols }, () => rng.normal()) };
}

function plusNoise(base: Matrix, noise: number, rng: ReturnType<typeof createRng>): Matrix {
  return { rows: base.rows, cols: base.cols, data: Float32Array.from(base.data, (value) => value + noise * rng.normal()) };
}

/** A text-only split whose answers (model and reference) are the query plus Gaussian noise: one draw of one distribution per seed. */
export function answeredSplit(rows: number, dimension: number, seed: number, name = `split-${seed}`): EmbeddingSet {
  const rng = createRng(seed);
  const text = gaussian(rows, dimension, rng);
  return { name, text, response: plusNoise(text, 0.5, rng), reference: plusNoise(text, 0.5, rng) };
}
