/**
 * What an embedding model looks like to emishift. Every embedder returns L2-normalised float32
 * rows of a fixed dimension, so its output drops straight into a split folder.
 */
import type { EncoderDescription, Matrix } from '../interface';

export interface Embedder {
  /** Identifies the model and its settings; recorded in manifests, part of the cache key. */
  readonly id: string;
  /** The embedder family (`builtin`, `transformers`, `openai`, …): the `embedder` of the split's space. */
  readonly family: string;
  /** The model and pooling: with `dimension` and L2 normalisation, they name the split's embedding space. */
  readonly encoder: EncoderDescription;
  readonly dimension: number;
  /** One row per text, in order. */
  embedTexts(texts: readonly string[]): Promise<Matrix>;
  /** One row per encoded image (PNG, JPEG, ...), in order; absent for text-only embedders. */
  embedImages?(images: readonly Uint8Array[]): Promise<Matrix>;
}
