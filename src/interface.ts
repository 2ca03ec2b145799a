/**
 * Shapes shared by every stage. This module imports nothing from the package, so any stage
 * (and any user-defined estimator) can depend on it without pulling in the others.
 */

/** A dense row-major matrix: row i occupies data[i * cols, (i + 1) * cols). */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array | Float64Array;
}

/**
 * The four embedding matrices of one split (one row per query, rows aligned across matrices).
 * `image` is absent for text-only data; the query embedding is then `text` alone.
 */
export interface EmbeddingSet {
  readonly name?: string;
  /** z_v: image-query embeddings. */
  readonly image?: Matrix;
  /** z_t: text-query embeddings. */
  readonly text: Matrix;
  /** z_ŷ: model-response embeddings. */
  readonly response: Matrix;
  /** z_y: reference-response embeddings. */
  readonly reference: Matrix;
}

/** Every mutual-information estimator has this shape (as in cbg-ethz/bmi). */
export interface MutualInformationEstimator {
  estimate(x: Matrix, y: Matrix): Promise<number>;
}

/** Progress of a long computation: `done` of `total` units, with an optional label. */
export type ProgressCallback = (progress: { done: number; total: number; label?: string; [key: string]: unknown }) => void;
