import type { EmbeddingSet, Matrix } from '../interface';
import { averageOfTwo } from '../linalg/matrix';

/** z = (z_v + z_t) / 2, or z_t alone for text-only data. */
export function queryEmbedding(set: EmbeddingSet): Matrix {
  return set.image ? averageOfTwo(set.image, set.text) : set.text;
}
