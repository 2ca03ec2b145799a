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

/** One encoder of an embedding space: which model, and how its outputs were pooled into a row. */
export interface EncoderDescription {
  /** The model, e.g. `xlm-roberta-base` or `builtin-text-v1`. */
  readonly model: string;
  /** How token or patch outputs became one vector, e.g. `mean over patch tokens (CLS excluded)`. */
  readonly pooling: string;
}

/**
 * The space a split's embeddings live in. An estimator fitted in one space says nothing about
 * embeddings from another: CLUB's μ(x) and logvar(x) are functions of the coordinates.
 */
export interface EmbeddingSpace {
  /** The embedder family that produced it (`builtin`, `transformers`, `openai`, `paper`, …). */
  readonly embedder: string;
  /** Queries' text and both kinds of responses. */
  readonly text: EncoderDescription;
  /** Query images; null for text-only splits. */
  readonly image: EncoderDescription | null;
  readonly dimension: number;
  /** Every row is scaled to unit length (`l2`). */
  readonly normalization: string;
}

/** What a split's generator knew about its shift, carried with the split to its figures. */
export interface ShiftDescription {
  /** A token such as `defocus_blur`, `keyboard_typos`, `frost+synonym_replacement`; `none` for the ID split. */
  readonly family: string;
  /** The family in words, for figures and tables: `defocus blur`. */
  readonly label: string;
  readonly modality: 'image' | 'text' | 'joint' | 'none';
  /** The severity on the family's own scale; null for joint shifts and the ID split. */
  readonly severity: number | null;
  /** What a severity step means on this family's scale, e.g. `ImageNet-C level`. */
  readonly unit: string | null;
  /** A joint shift's single-modality parts. */
  readonly components?: readonly ShiftDescription[];
}

/**
 * The four embedding matrices of one split (one row per query, rows aligned across matrices).
 * `image` is absent for text-only data; the query embedding is then `text` alone.
 */
export interface EmbeddingSet {
  readonly name?: string;
  /** The space the rows live in (from the split folder's manifest); absent when unknown. */
  readonly space?: EmbeddingSpace;
  /** The shift the split was generated with, when known. */
  readonly shift?: ShiftDescription;
  /** Where the set was read from: its folder and a digest of its manifest's content. */
  readonly origin?: { readonly directory: string; readonly manifestDigest: string | null };
  /** z_v: image-query embeddings. */
  readonly image?: Matrix;
  /** z_t: text-query embeddings. */
  readonly text: Matrix;
  /** z_ŷ: model-response embeddings. */
  readonly response: Matrix;
  /** z_y: reference-response embeddings. */
  readonly reference: Matrix;
}

/**
 * How an estimator was made, for the provenance of every result computed with it: its name,
 * the space it was fitted in, and either the file it was read from or its training settings.
 */
export interface EstimatorDescription {
  /** e.g. `club`. */
  readonly name: string;
  /** The embedding space it was fitted in; absent when nobody recorded it. */
  readonly space?: EmbeddingSpace;
  readonly file?: { readonly path: string; readonly sha256: string; readonly recognizedAs?: string };
  readonly training?: { readonly preset?: string; readonly settings: Readonly<Record<string, unknown>>; readonly pairs?: number; readonly digest?: string; readonly engine?: string };
  readonly [detail: string]: unknown;
}

/** Every mutual-information estimator has this shape (as in cbg-ethz/bmi). */
export interface MutualInformationEstimator {
  estimate(x: Matrix, y: Matrix): Promise<number>;
  /** How it was made; recorded in results. A user-defined estimator may leave it out (it is then "unnamed"). */
  readonly description?: EstimatorDescription;
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
