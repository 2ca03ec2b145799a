/**
 * The spectra a permutation test of the RJSD statistics needs, for every partition of the pooled
 * rows: self-entropies of each side's rows, and mixture entropies.
 *
 * Spectra are taken on the smaller side, as in bound/embeddingMoments.ts: the m × m Gram block of
 * m selected rows when m < d, otherwise their d × d second moment. The
 * Gram blocks of every partition are principal sub-blocks of one pooled Gram matrix (and of one
 * pooled cross product for a response/reference mixture), computed once per test, so a partition
 * costs its eigenproblems and nothing else. Those sub-blocks (the sides' self-entropies, and each
 * side's answer mixture under the sample-weighted mixture) go to a block solver as batches of
 * indices into the pooled matrix (linalg/principalBlocks.ts): a worker pool receives the pooled
 * matrix once and then a few kilobytes per batch, and every block is solved as the one-at-a-time
 * path solves it. A row a side holds twice (splits sharing their references or images) enters its
 * block once with factor √2: the same second moment, a smaller eigenproblem.
 *
 * The sample-weighted mixture of a split's two sides is the pooled second moment whatever the
 * partition (the sizes are kept), so its entropy is one eigenproblem for the whole test; the
 * equal mixture weighs each side by 1/trace, which is the same matrix only when the two traces
 * are equal, and is solved per partition otherwise.
 *
 * Arrays of entropies are memoised by the pooled matrices' content and the partitions (a sweep
 * over a grid of shifts pools the same images, questions or references for many of its splits).
 */
import type { Matrix, MixtureWeighting } from '../interface';
import { EmbeddingMoments, spectrumSide } from '../bound/embeddingMoments';
import { vonNeumannEntropyFromEigenvalues } from '../bound/vonNeumannEntropy';
import type { EigenSolver } from '../linalg/eigenSolver';
import { selectRows } from '../linalg/matrix';
import { PrincipalBlockBase, type PrincipalBlockSolver } from '../linalg/principalBlocks';
import { crossProduct, outerProduct } from '../linalg/products';
import type { Partitions } from './partitions';

/** Partitions processed between two yields to the event loop (and progress reports). */
const PARTITIONS_PER_TURN = 16;

/** The pooled rows of one kind of embedding (source rows, then target rows), with products computed on first use. */
export class PooledRows {
  private gramValue?: Promise<Float64Array>;
  private squaredNormsValue?: Float64Array;
  private keyValue?: string;
  private repeatsValue?: Int32Array;

  constructor(readonly matrix: Matrix) {}

  get rows(): number {
    return this.matrix.rows;
  }

  get cols(): number {
    return this.matrix.cols;
  }

  /** A digest of the content (see EmbeddingMoments.contentKey). */
  get contentKey(): string {
    this.keyValue ??= new EmbeddingMoments(this.matrix).contentKey;
    return this.keyValue;
  }

  /** The pooled Gram matrix (rows × rows). */
  gram(): Promise<Float64Array> {
    this.gramValue ??= outerProduct(this.matrix);
    return this.gramValue;
  }

  /** For every row, the first row with the same bytes (itself when it is the first): see `firstEqualRows`. */
  get repeats(): Int32Array {
    this.repeatsValue ??= firstEqualRows([this.matrix]);
    return this.repeatsValue;
  }

  /** ‖row‖² of every row, for the traces of the equal mixture. */
  get squaredNorms(): Float64Array {
    if (!this.squaredNormsValue) {
      const { rows, cols, data } = this.matrix;
      const norms = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        let sum = 0;
        for (let j = i * cols; j < (i + 1) * cols; j++) sum += data[j] * data[j];
        norms[i] = sum;
      }
      this.squaredNormsValue = norms;
    }
    return this.squaredNormsValue;
  }

  /** tr of the selected rows' second moment. */
  trace(selection: Int32Array): number {
    const norms = this.squaredNorms;
    let sum = 0;
    for (let k = 0; k < selection.length; k++) sum += norms[selection[k]];
    return sum;
  }
}

/** Entropy arrays already computed, by pooled content and partitions; one per test, or one shared by a sweep's tests. */
export class PermutationCache {
  private readonly arrays = new Map<string, Promise<Float64Array>>();

  /** The array under `key`, computed by `compute` the first time; `reused` is told when it was there already. */
  get(key: string, compute: () => Promise<Float64Array>, reused?: () => void): Promise<Float64Array> {
    let array = this.arrays.get(key);
    if (array) {
      reused?.();
    } else {
      array = compute();
      this.arrays.set(key, array);
      array.catch(() => this.arrays.delete(key));
    }
    return array;
  }
}

/** An entropy array from the context's cache; one found there counts as all its partitions done. */
function memoised(context: SpectraContext, key: string, partitions: Partitions, compute: () => Promise<Float64Array>): Promise<Float64Array> {
  return context.cache.get(key, compute, () => context.advance(partitions.count));
}

/** The m × m principal sub-block of the n × n matrix at the (sorted) rows `selection`, scaled by `weight`. */
function subBlock(matrix: Float64Array, n: number, rows: Int32Array, columns: Int32Array, weight: number, target: Float64Array, targetCols: number, rowOffset: number, colOffset: number): void {
  for (let a = 0; a < rows.length; a++) {
    const from = rows[a] * n;
    const to = (rowOffset + a) * targetCols + colOffset;
    if (weight === 1) for (let b = 0; b < columns.length; b++) target[to + b] = matrix[from + columns[b]];
    else for (let b = 0; b < columns.length; b++) target[to + b] = weight * matrix[from + columns[b]];
  }
}

/** The lower-left block of a stacked Gram matrix: the transpose of its upper-right one, written in place. */
function mirrorUpperRight(target: Float64Array, size: number, split: number): void {
  for (let i = split; i < size; i++) for (let j = 0; j < split; j++) target[i * size + j] = target[j * size + i];
}

async function entropy(solver: EigenSolver, matrix: Float64Array, size: number): Promise<number> {
  return vonNeumannEntropyFromEigenvalues(await solver.eigenvalues(matrix, size));
}

/** What the entropy loops share: where spectra are solved, and whom to tell how far they are. */
export interface SpectraContext {
  readonly solver: EigenSolver;
  /** Where batches of Gram sub-blocks are solved (the sides and the answer mixtures on the Gram side). */
  readonly blocks: PrincipalBlockSolver;
  readonly cache: PermutationCache;
  /** Called with the partitions just finished by one loop. */
  readonly advance: (partitions: number) => void;
}

/** Runs `each(p)` for every partition, a few at a time (their eigenproblems in flight together), yielding between turns. */
async function forEachPartition(partitions: Partitions, context: SpectraContext, each: (index: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < partitions.count; start += PARTITIONS_PER_TURN) {
    const end = Math.min(partitions.count, start + PARTITIONS_PER_TURN);
    const work: Promise<void>[] = [];
    for (let p = start; p < end; p++) work.push(each(p));
    await Promise.all(work);
    context.advance(end - start);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** S of the selected rows' second moment, on the cheaper side. */
async function entropyOfRows(pooled: PooledRows, selection: Int32Array, solver: EigenSolver): Promise<number> {
  const m = selection.length;
  if (spectrumSide(m, pooled.cols) === 'gram') {
    const block = new Float64Array(m * m);
    subBlock(await pooled.gram(), pooled.rows, selection, selection, 1, block, m, 0, 0);
    return entropy(solver, block, m);
  }
  return entropy(solver, await crossProduct(selectRows(pooled.matrix, selection)), pooled.cols);
}

/**
 * S(A_p) and S(B_p) for every partition p: [A_0, B_0, A_1, B_1, …]. Depends only on the pooled
 * content and the partitions, so it is memoised on both.
 */
export function sideEntropies(pooled: PooledRows, partitions: Partitions, context: SpectraContext): Promise<Float64Array> {
  return memoised(context, `sides|${pooled.contentKey}|${partitions.key}`, partitions, async () => {
    if (sidesOnGramSide(partitions, 1, pooled.cols)) {
      const base = new PrincipalBlockBase(await pooled.gram(), pooled.rows);
      const repeats = pooled.repeats;
      const position = new Int32Array(pooled.rows).fill(-1);
      return batchedBlockEntropies(base, partitions, context, (p, side) => mergedRepeats(side === 0 ? partitions.source[p] : partitions.target[p], repeats, position));
    }
    const values = new Float64Array(2 * partitions.count);
    await forEachPartition(partitions, context, async (p) => {
      const [a, b] = await Promise.all([entropyOfRows(pooled, partitions.source[p], context.solver), entropyOfRows(pooled, partitions.target[p], context.solver)]);
      values[2 * p] = a;
      values[2 * p + 1] = b;
    });
    return values;
  });
}

/**
 * For every row of the matrices stacked in order, the index of the first row with the same bytes
 * and element type. Splits of one benchmark share rows: every split holds the same
 * reference answers, a question shift keeps the images, so a pooled side often holds a row twice.
 */
export function firstEqualRows(matrices: readonly Matrix[]): Int32Array {
  const total = matrices.reduce((sum, matrix) => sum + matrix.rows, 0);
  const first = new Int32Array(total);
  const seen = new Map<string, number>();
  let row = 0;
  for (const { rows, cols, data } of matrices) {
    const bytes = Buffer.from(data.buffer, data.byteOffset, rows * cols * data.BYTES_PER_ELEMENT);
    const width = cols * data.BYTES_PER_ELEMENT;
    for (let i = 0; i < rows; i++, row++) {
      const key = `${data.BYTES_PER_ELEMENT}:${bytes.toString('base64', i * width, (i + 1) * width)}`;
      const earlier = seen.get(key);
      if (earlier === undefined) seen.set(key, row);
      first[row] = earlier ?? row;
    }
  }
  return first;
}

/** One block of a batch: base indices, and the factors when some row stands for several. */
interface BlockRows {
  indices: Int32Array;
  factors?: Float64Array | undefined;
}

/**
 * A block's rows with repeated rows merged: Σ_k x_k x_kᵀ over rows repeated m times is the same
 * second moment as one row √m·x, so the block keeps each content once (at its first row within
 * the block) with factor √m, and is smaller by the repeats: the same nonzero spectrum, without
 * the zero eigenvalues the repeats added. Without repeats the block is `rows` itself, untouched.
 */
function mergedRepeats(rows: Int32Array, repeats: Int32Array, position: Int32Array): BlockRows {
  // position[content] is the content's place in this block, −1 when not yet seen (reset below).
  let distinct = 0;
  const indices = new Int32Array(rows.length);
  const counts = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const content = repeats[rows[k]];
    const at = position[content];
    if (at >= 0) {
      counts[at] += 1;
    } else {
      position[content] = distinct;
      indices[distinct] = rows[k];
      counts[distinct] = 1;
      distinct += 1;
    }
  }
  for (let k = 0; k < distinct; k++) position[repeats[indices[k]]] = -1;
  if (distinct === rows.length) return { indices: rows };
  const factors = new Float64Array(distinct);
  for (let k = 0; k < distinct; k++) factors[k] = Math.sqrt(counts[k]);
  return { indices: indices.slice(0, distinct), factors };
}

/** Partitions per batch of sub-blocks handed to the block solver (two blocks each). */
const PARTITIONS_PER_BATCH = 32;

/** True when every side's block (`stack` row sets of a side's size) is solved on the Gram side. */
function sidesOnGramSide(partitions: Partitions, stack: number, cols: number): boolean {
  return spectrumSide(stack * partitions.source[0].length, cols) === 'gram' && spectrumSide(stack * partitions.target[0].length, cols) === 'gram';
}

/**
 * Two entropies per partition, [A_0, B_0, A_1, B_1, …]: the principal sub-blocks of `base` at
 * `blockRows(p, 0)` and `blockRows(p, 1)`, solved in batches by the context's block solver. A
 * block without merged repeats is the one the one-at-a-time path builds (same entries, same
 * order, same solver), so its entropy is the same number; a merged one differs by rounding.
 */
async function batchedBlockEntropies(base: PrincipalBlockBase, partitions: Partitions, context: SpectraContext, blockRows: (partition: number, side: 0 | 1) => BlockRows): Promise<Float64Array> {
  const values = new Float64Array(2 * partitions.count);
  const work: Promise<void>[] = [];
  try {
    for (let start = 0; start < partitions.count; start += PARTITIONS_PER_BATCH) {
      const end = Math.min(partitions.count, start + PARTITIONS_PER_BATCH);
      const blocks: BlockRows[] = [];
      for (let p = start; p < end; p++) blocks.push(blockRows(p, 0), blockRows(p, 1));
      const sizes = Int32Array.from(blocks, (block) => block.indices.length);
      const indices = new Int32Array(blocks.reduce((total, block) => total + block.indices.length, 0));
      // Factors only when some block merged repeats; a factor of 1 leaves an entry as it is.
      const factors = blocks.some((block) => block.factors) ? new Float64Array(indices.length).fill(1) : undefined;
      let offset = 0;
      for (const block of blocks) {
        indices.set(block.indices, offset);
        if (factors && block.factors) factors.set(block.factors, offset);
        offset += block.indices.length;
      }
      work.push(
        context.blocks.spectra(base, { indices, sizes, factors }).then((spectra) => {
          let at = 0;
          for (let k = 0; k < sizes.length; k++) {
            values[2 * start + k] = vonNeumannEntropyFromEigenvalues(spectra.subarray(at, at + sizes[k]));
            at += sizes[k];
          }
          context.advance(end - start);
        }),
      );
    }
    await Promise.all(work);
  } finally {
    context.blocks.release(base);
  }
  return values;
}

/** [[a aᵀ, a bᵀ], [b aᵀ, b bᵀ]] of two pooled matrices with n rows each, from their products (the lower-left block mirrors `cross`). */
function stackedGram(gramA: Float64Array, gramB: Float64Array, cross: Float64Array, n: number): Float64Array {
  const size = 2 * n;
  const out = new Float64Array(size * size);
  for (let i = 0; i < n; i++) {
    out.set(gramA.subarray(i * n, (i + 1) * n), i * size);
    out.set(cross.subarray(i * n, (i + 1) * n), i * size + n);
    const lower = (n + i) * size;
    for (let j = 0; j < n; j++) out[lower + j] = cross[j * n + i];
    out.set(gramB.subarray(i * n, (i + 1) * n), lower + n);
  }
  return out;
}

/**
 * The entropy of the mixture of two row sets' second moments, w_a·AᵀA + w_b·BᵀB, A the rows
 * `aRows` of `a` and B the rows `bRows` of `b`; on the Gram side the stacked Gram matrix
 * [[w_a A Aᵀ, √(w_a w_b) A Bᵀ], [·, w_b B Bᵀ]] from blocks of the pooled products (`cross` = a bᵀ).
 */
async function mixtureOfRows(a: PooledRows, aRows: Int32Array, b: PooledRows, bRows: Int32Array, cross: () => Promise<Float64Array>, weights: [number, number], solver: EigenSolver): Promise<number> {
  const stacked = aRows.length + bRows.length;
  const [weightA, weightB] = weights;
  if (spectrumSide(stacked, a.cols) === 'gram') {
    const block = new Float64Array(stacked * stacked);
    const [gramA, gramB, crossAB] = await Promise.all([a.gram(), b.gram(), cross()]);
    subBlock(gramA, a.rows, aRows, aRows, weightA, block, stacked, 0, 0);
    subBlock(crossAB, b.rows, aRows, bRows, Math.sqrt(weightA * weightB), block, stacked, 0, aRows.length);
    subBlock(gramB, b.rows, bRows, bRows, weightB, block, stacked, aRows.length, aRows.length);
    mirrorUpperRight(block, stacked, aRows.length);
    return entropy(solver, block, stacked);
  }
  const [covarianceA, covarianceB] = await Promise.all([crossProduct(selectRows(a.matrix, aRows)), crossProduct(selectRows(b.matrix, bRows))]);
  for (let i = 0; i < covarianceA.length; i++) covarianceA[i] = weightA * covarianceA[i] + weightB * covarianceB[i];
  return entropy(solver, covarianceA, a.cols);
}

function mixtureWeights(mixture: MixtureWeighting, a: PooledRows, aRows: Int32Array, b: PooledRows, bRows: Int32Array): [number, number] {
  return mixture === 'equal' ? [1 / a.trace(aRows), 1 / b.trace(bRows)] : [1, 1];
}

/**
 * The entropy of the mixture of the two sides, S(w_A A_pᵀA_p + w_B B_pᵀB_p), for every partition p.
 * When the two weights are equal the mixture is the pooled second moment, scaled: one entropy.
 */
export function splitMixtureEntropies(pooled: PooledRows, partitions: Partitions, mixture: MixtureWeighting, context: SpectraContext): Promise<Float64Array> {
  return memoised(context, `split-mixture|${mixture}|${pooled.contentKey}|${partitions.key}`, partitions, async () => {
    const values = new Float64Array(partitions.count);
    let pooledEntropy: Promise<number> | undefined;
    const everyRow = Int32Array.from({ length: pooled.rows }, (_, i) => i);
    await forEachPartition(partitions, context, async (p) => {
      const [source, target] = [partitions.source[p], partitions.target[p]];
      const [weightA, weightB] = mixtureWeights(mixture, pooled, source, pooled, target);
      if (weightA === weightB) {
        pooledEntropy ??= entropyOfRows(pooled, everyRow, context.solver);
        values[p] = await pooledEntropy;
      } else {
        values[p] = await mixtureOfRows(pooled, source, pooled, target, () => pooled.gram(), [weightA, weightB], context.solver);
      }
    });
    return values;
  });
}

/**
 * Within each side, the entropy of the mixture of its rows of `a` and of `b` (a split's model and
 * reference answers): [A_0, B_0, A_1, B_1, …].
 */
export function pairedMixtureEntropies(a: PooledRows, b: PooledRows, partitions: Partitions, mixture: MixtureWeighting, context: SpectraContext): Promise<Float64Array> {
  return memoised(context, `paired-mixture|${mixture}|${a.contentKey}|${b.contentKey}|${partitions.key}`, partitions, async () => {
    let cross: Promise<Float64Array> | undefined;
    const crossProductOf = () => (cross ??= outerProduct(a.matrix, b.matrix));
    // Sample-weighted on the Gram side: each side's mixture is the principal sub-block of the
    // stacked Gram matrix of both pooled sets at the side's rows of a, then the same rows of b.
    if (mixture === 'sample-weighted' && a.rows === b.rows && sidesOnGramSide(partitions, 2, a.cols)) {
      const [gramA, gramB, crossAB] = await Promise.all([a.gram(), b.gram(), crossProductOf()]);
      const n = a.rows;
      const base = new PrincipalBlockBase(stackedGram(gramA, gramB, crossAB, n), 2 * n);
      const both = (rows: Int32Array) => {
        const block = new Int32Array(2 * rows.length);
        block.set(rows, 0);
        for (let k = 0; k < rows.length; k++) block[rows.length + k] = n + rows[k];
        return block;
      };
      const repeats = firstEqualRows([a.matrix, b.matrix]);
      const position = new Int32Array(2 * n).fill(-1);
      return batchedBlockEntropies(base, partitions, context, (p, side) => mergedRepeats(both(side === 0 ? partitions.source[p] : partitions.target[p]), repeats, position));
    }
    const values = new Float64Array(2 * partitions.count);
    await forEachPartition(partitions, context, async (p) => {
      const sides = [partitions.source[p], partitions.target[p]];
      const [first, second] = await Promise.all(sides.map((rows) => mixtureOfRows(a, rows, b, rows, crossProductOf, mixtureWeights(mixture, a, rows, b, rows), context.solver)));
      values[2 * p] = first;
      values[2 * p + 1] = second;
    });
    return values;
  });
}
