/**
 * The partitions a permutation test evaluates its statistics on: the observed one (the source's
 * rows, then the target's) and N random reassignments of the pooled rows to two sides of the
 * same sizes, drawn from a seeded generator. Each side's rows are sorted, so a statistic sees a
 * set of rows, not an order; the same sizes, count and seed give the same partitions on every
 * machine.
 */
import { createRng, shuffleInPlace } from '../random';

/** Partition 0 is the observed one; partitions 1…N are the permutations. */
export interface Partitions {
  /** N + 1. */
  readonly count: number;
  readonly source: readonly Int32Array[];
  readonly target: readonly Int32Array[];
  /** Identifies the partitions (sizes, count, seed) for memoising what is computed on them. */
  readonly key: string;
}

/**
 * How rows may be exchanged under the null: `pooled` (any assignment of the pooled rows, sizes
 * kept) or `paired` (row i of the source and row i of the target are one query before and after
 * the shift, and each permutation swaps some of these pairs: the sides never hold both halves of
 * a pair, nor a row shared by both splits twice).
 */
export type PermutationDesign = 'pooled' | 'paired';

/** The observed partition and `permutations` random ones of `sourceRows + targetRows` pooled rows. */
export function permutationPartitions(sourceRows: number, targetRows: number, permutations: number, seed: number, design: PermutationDesign = 'pooled'): Partitions {
  if (design === 'paired') return pairedPartitions(sourceRows, permutations, seed);
  const pooled = sourceRows + targetRows;
  const order = Int32Array.from({ length: pooled }, (_, i) => i);
  const source: Int32Array[] = [order.slice(0, sourceRows)];
  const target: Int32Array[] = [order.slice(sourceRows)];
  const rng = createRng(seed);
  const onSource = new Uint8Array(pooled);
  // Fisher–Yates from any arrangement gives a uniform one, so the shuffles continue from the last.
  for (let p = 0; p < permutations; p++) {
    shuffleInPlace(order, rng);
    // The sides in increasing row order, read off a membership mask (no sort).
    onSource.fill(0);
    for (let k = 0; k < sourceRows; k++) onSource[order[k]] = 1;
    const sourceSide = new Int32Array(sourceRows);
    const targetSide = new Int32Array(targetRows);
    for (let row = 0, a = 0, b = 0; row < pooled; row++) {
      if (onSource[row]) sourceSide[a++] = row;
      else targetSide[b++] = row;
    }
    source.push(sourceSide);
    target.push(targetSide);
  }
  return { count: permutations + 1, source, target, key: `${sourceRows}+${targetRows}:${permutations}:${seed}` };
}

/** Partitions of paired rows (source row i with pooled row n + i): each pair swapped with probability ½. */
function pairedPartitions(rows: number, permutations: number, seed: number): Partitions {
  const source: Int32Array[] = [Int32Array.from({ length: rows }, (_, i) => i)];
  const target: Int32Array[] = [Int32Array.from({ length: rows }, (_, i) => rows + i)];
  const rng = createRng(seed);
  for (let p = 0; p < permutations; p++) {
    const sourceSide = new Int32Array(rows);
    const targetSide = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      const swapped = rng.next() < 0.5;
      sourceSide[i] = swapped ? rows + i : i;
      targetSide[i] = swapped ? i : rows + i;
    }
    // Increasing row order within each side, as for pooled partitions: source rows first, then swapped ones.
    source.push(sortedCopy(sourceSide));
    target.push(sortedCopy(targetSide));
  }
  return { count: permutations + 1, source, target, key: `paired:${rows}:${permutations}:${seed}` };
}

function sortedCopy(values: Int32Array): Int32Array {
  return values.slice().sort();
}
