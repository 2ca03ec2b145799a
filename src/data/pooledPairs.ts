import { InputError } from '../errors';
import type { EmbeddingSet, Matrix } from '../interface';
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
