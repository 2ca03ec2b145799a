/**
 * Standard Gaussian rows, optionally moved along the first coordinate or confined to a block of
 * coordinates: samples whose divergences are known in shape (none from a copy, ln 2 between
 * orthogonal supports), for checking a divergence estimator.
 */
import { InputError } from '../errors';
import type { Matrix } from '../interface';
import { createRng } from '../random';

/** How `sampleGaussianRows` seeds its rows and where it moves or confines them. */
export interface GaussianRowsOptions {
  /** Default 0. */
  seed?: number | undefined;
  /** Added to the first coordinate of every row (default 0): a shift along one direction. */
  shift?: number | undefined;
  /** Only coordinates in [from, to) are drawn; the others are 0 (default: all of them). */
  support?: readonly [number, number] | undefined;
}

/** `rows` seeded rows of N(0, I_dim), moved by `shift` along the first coordinate and zero outside `support`. */
export function sampleGaussianRows(rows: number, dim: number, options: GaussianRowsOptions = {}): Matrix {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(dim) || dim < 1) throw new InputError(`expected positive integer rows and dim, got ${rows} × ${dim}`, { field: 'rows' });
  const [from, to] = options.support ?? [0, dim];
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from < to && to <= dim)) {
    throw new InputError(`expected [from, to) with 0 ≤ from < to ≤ ${dim}, got [${from}, ${to})`, { field: 'support' });
  }
  const shift = options.shift ?? 0;
  const rng = createRng(options.seed ?? 0);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    for (let j = from; j < to; j++) data[i * dim + j] = rng.normal() + (j === 0 ? shift : 0);
  }
  return { rows, cols: dim, data };
}
