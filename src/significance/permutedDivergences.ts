/**
 * The spectra a permutation test of the RJSD statistics needs, for every partition of the pooled
 * rows: self-entropies of each side's rows, and mixture entropies.
 *
 * Spectra are taken on the smaller side, as in bound/embeddingMoments.ts: the m × m Gram block of
 * m selected rows when m < d, otherwise their d × d second moment. The
 * Gram blocks of every partition are principal sub-blocks of one pooled Gram matrix (and of one
 * pooled cross product for a response/reference mixture), computed once per test, so a partition
 * costs its eigenproblems and nothing else.
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
import { crossProduct, outerProduct } from '../linalg/products';
import type { Partitions } from './partitions';

/** Partitions processed between two yields to the event loop (and progress reports). */
const PARTITIONS_PER_TURN = 16;

/** The pooled rows of one kind of embedding (source rows, then target rows), with products computed on first use. */
export class PooledRows {
  private gramValue?: Promise<Float64Array>;
  private squaredNormsValue?: Float64Array;
  private keyValue?: string;

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
