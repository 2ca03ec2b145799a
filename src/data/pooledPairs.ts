import { InputError } from '../errors';
import type { EmbeddingSet, EmbeddingSpace, Matrix, TrainingPairs } from '../interface';
import { describeSpace, spaceMismatch } from './embeddingSpace';
import { queryEmbedding } from './queryEmbedding';

/**
 * CLUB's training data as the reference builds it: (z, z_y) pairs — query embeddings with the
 * reference answers' embeddings — pooled from every split of interest.
 */
export function pooledTrainingPairs(sets: readonly EmbeddingSet[]): { x: Matrix; y: Matrix } {
  if (sets.length === 0) throw new InputError('no splits to pool training pairs from', { field: 'splits' });
  const queries = sets.map(queryEmbedding);
  const xDim = queries[0].cols;
  const yDim = sets[0].reference.cols;
  const rows = queries.reduce((total, query) => total + query.rows, 0);
  const x = new Float32Array(rows * xDim);
  const y = new Float32Array(rows * yDim);
  let offset = 0;
  sets.forEach((set, index) => {
    if (queries[index].cols !== xDim || set.reference.cols !== yDim) {
      throw new InputError(`dimensions ${queries[index].cols} → ${set.reference.cols} differ from the first split's ${xDim} → ${yDim}`, { field: set.name ?? `split ${index}` });
    }
    x.set(queries[index].data, offset * xDim);
    y.set(set.reference.data, offset * yDim);
    offset += set.reference.rows;
  });
  return { x: { rows, cols: xDim, data: x }, y: { rows, cols: yDim, data: y } };
}

function byName(a: EmbeddingSet, b: EmbeddingSet): number {
  const left = a.name ?? '';
  const right = b.name ?? '';
  return left < right ? -1 : left > right ? 1 : 0;
}

/** The one space every set is in; undefined when any set's space is unknown; an InputError when they differ. */
function commonSpace(sets: readonly EmbeddingSet[]): EmbeddingSpace | undefined {
  if (sets.some((set) => set.space === undefined)) return undefined;
  const first = sets[0].space as EmbeddingSpace;
  for (const set of sets) {
    const reason = spaceMismatch(set.space as EmbeddingSpace, first);
    if (reason) {
      throw new InputError(`is in space ${describeSpace(set.space as EmbeddingSpace)} but '${sets[0].name}' is in ${describeSpace(first)} (${reason}): an estimator trains on pairs of one space`, {
        field: set.name ?? 'split',
      });
    }
  }
  return first;
}

/**
 * The pairs an estimator that learns is fitted on, as the paper trains CLUB: the pooled (z, z_y)
 * of every set, sets in name order (so the order they are given in does not matter), with the
 * sets' space when every set records it (sets in different spaces are an InputError).
 */
export function pooledReferencePairs(sets: readonly EmbeddingSet[]): TrainingPairs {
  const ordered = [...sets].sort(byName);
  if (ordered.length === 0) throw new InputError('no splits to pool training pairs from', { field: 'splits' });
  const space = commonSpace(ordered);
  return { ...pooledTrainingPairs(ordered), ...(space ? { space } : {}) };
}
