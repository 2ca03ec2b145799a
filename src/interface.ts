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

/** One report of a long computation's progress. */
export interface Progress {
  /** Units finished so far, of `total`. */
  done: number;
  total: number;
  /** What was just finished (an item's name), for a detailed display. */
  label?: string;
  /**
   * The stage of a job with several (a present participle: 'embedding', 'training CLUB'). A new
   * stage restarts `done`; a log shows one line when a stage starts and one when it ends.
   */
  stage?: string;
  /** What `done` counts, plural ('splits', 'epochs'), for those lines. */
  unit?: string;
  [key: string]: unknown;
}

/** Progress of a long computation: `done` of `total` units, with an optional label and stage. */
export type ProgressCallback = (progress: Progress) => void;
