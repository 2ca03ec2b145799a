/**
 * What an embedding model looks like to emishift. Every embedder returns L2-normalised float32
 * rows of a fixed dimension, so its output drops straight into a split folder.
 */
import type { Matrix } from '../interface';

export interface Embedder {
  /** Identifies the model and its settings; recorded in manifests, part of the cache key. */
  readonly id: string;
  readonly dimension: number;
  /** One row per text, in order. */
  embedTexts(texts: readonly string[]): Promise<Matrix>;
  /** One row per encoded image (PNG, JPEG, ...), in order; absent for text-only embedders. */
  embedImages?(images: readonly Uint8Array[]): Promise<Matrix>;
}
