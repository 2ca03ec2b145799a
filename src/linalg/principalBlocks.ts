/**
 * Spectra of many principal sub-blocks of one symmetric matrix: a permutation test takes each
 * side's spectrum from a sub-block of a pooled Gram matrix, thousands of times, and only the
 * indices change from one block to the next. A batch names its blocks by indices into the base
 * matrix, so that a worker holding the base (principalBlockPool.ts) receives a few kilobytes per
 * batch instead of a matrix per eigenproblem.
 *
 * Each block is gathered into a scratch matrix and solved by `symmetricEigenvalues`, the same
 * exact solver (and so the same numbers) as a block built by hand and solved one at a time. With
 * no factors, an entry is copied, not multiplied, so a batch reproduces such blocks bit for bit.
 */
import { InputError } from '../errors';
import { symmetricEigenvalues } from './symmetricEigenvalues';

/** A batch of principal sub-blocks of one base matrix. */
export interface PrincipalBlocks {
  /** Every block's base indices, block after block; a block's entry (a, b) is base[indices_a, indices_b]. */
  readonly indices: Int32Array;
  /** Each block's size, in order; they sum to `indices.length`. */
  readonly sizes: Int32Array;
  /**
   * One factor per index (same length as `indices`): the entry becomes base[i_a, i_b]·f_a·f_b.
   * A row repeated k times in a Gram matrix, say, is one row with factor √k (same nonzero
   * spectrum). Omitted: every factor 1, entries copied as they are.
   */
  readonly factors?: Float64Array | undefined;
}

/** A symmetric base matrix (row-major n × n, lower triangle read) the blocks of a batch index into. */
export class PrincipalBlockBase {
  private static nextId = 1;
  /** Identifies the base to the workers that hold a copy of it. */
  readonly id = PrincipalBlockBase.nextId++;

  constructor(
    readonly matrix: Float64Array,
    readonly n: number,
  ) {
    if (!Number.isSafeInteger(n) || n < 0 || matrix.length !== n * n) throw new InputError(`a base matrix of size ${n} needs ${n} × ${n} values, got ${matrix.length}`, { field: 'matrix' });
  }
}

/** Where batches of block spectra are computed: in this thread, or on workers holding the bases. */
export interface PrincipalBlockSolver {
  /** Every block's eigenvalues (ascending within a block), block after block: as many values as `blocks.indices`. */
  spectra(base: PrincipalBlockBase, blocks: PrincipalBlocks): Promise<Float64Array>;
  /** The base is no longer needed: workers drop their copies. */
  release(base: PrincipalBlockBase): void;
  close(): Promise<void>;
}

/** Checks a batch against its base; throws InputError naming what is wrong. */
export function checkPrincipalBlocks(n: number, blocks: PrincipalBlocks): void {
  let total = 0;
  for (let b = 0; b < blocks.sizes.length; b++) {
    const size = blocks.sizes[b];
    if (!(size >= 0)) throw new InputError(`block ${b} has size ${size}`, { field: 'sizes' });
    total += size;
  }
  if (total !== blocks.indices.length) throw new InputError(`the block sizes sum to ${total}, but there are ${blocks.indices.length} indices`, { field: 'sizes' });
  if (blocks.factors && blocks.factors.length !== blocks.indices.length) throw new InputError(`${blocks.factors.length} factors for ${blocks.indices.length} indices`, { field: 'factors' });
  for (let k = 0; k < blocks.indices.length; k++) {
    const index = blocks.indices[k];
    if (!(index >= 0 && index < n)) throw new InputError(`index ${index} is outside the ${n} rows of the base matrix`, { field: 'indices' });
  }
}

/**
 * One scratch buffer, as large as the largest block seen, a block's matrix a view of its start
 * (the solver reads only the lower triangle, which each block rewrites): merged repeats make
 * block sizes vary from partition to partition, and a buffer per size would only grow.
 */
let scratch = new Float64Array(0);

function scratchOf(size: number): Float64Array {
  if (scratch.length < size * size) scratch = new Float64Array(size * size);
  return scratch.subarray(0, size * size);
}

/** The lower triangle of the block of `base` at `at`. */
function gather(base: Float64Array, n: number, at: Int32Array, block: Float64Array): void {
  const size = at.length;
  for (let a = 0; a < size; a++) {
    const row = at[a] * n;
    const to = a * size;
    for (let c = 0; c <= a; c++) block[to + c] = base[row + at[c]];
  }
}

/** The same with entry (a, c) multiplied by f_a·f_c. */
function gatherScaled(base: Float64Array, n: number, at: Int32Array, factors: Float64Array, block: Float64Array): void {
  const size = at.length;
  for (let a = 0; a < size; a++) {
    const row = at[a] * n;
    const to = a * size;
    const rowFactor = factors[a];
    for (let c = 0; c <= a; c++) block[to + c] = base[row + at[c]] * rowFactor * factors[c];
  }
}

/**
 * The spectra of a batch of principal sub-blocks of `base` (n × n), in this thread: as many
 * values as indices, each block's eigenvalues ascending. Throws InputError for indices outside
 * the base, sizes that do not add up, or a non-finite entry.
 */
export function principalBlockSpectra(base: Float64Array, n: number, blocks: PrincipalBlocks): Float64Array {
  checkPrincipalBlocks(n, blocks);
  const { indices, sizes, factors } = blocks;
  const out = new Float64Array(indices.length);
  let start = 0;
  for (let b = 0; b < sizes.length; b++) {
    const size = sizes[b];
    const block = scratchOf(size);
    const at = indices.subarray(start, start + size);
    if (factors) gatherScaled(base, n, at, factors.subarray(start, start + size), block);
    else gather(base, n, at, block);
    out.set(symmetricEigenvalues(block, size), start);
    start += size;
  }
  return out;
}

/** Solves every batch in this thread, each in its own turn of the event loop (progress and other work run between batches). */
export const inThreadPrincipalBlockSolver: PrincipalBlockSolver = {
  spectra: (base, blocks) =>
    new Promise((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(principalBlockSpectra(base.matrix, base.n, blocks));
        } catch (error) {
          reject(error);
        }
      });
    }),
  release: () => undefined,
  close: async () => undefined,
};
