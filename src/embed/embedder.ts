/**
 * What an embedding model looks like to emishift. Every embedder returns L2-normalised float32
 * rows of a fixed dimension, so its output drops straight into an embedding set or split folder.
 * An embedder that embeds images says so in its type (`ImageEmbedder`).
 */
import type { EncoderDescription, Matrix } from '../interface';
import type { ImageInput } from '../io/image';

/** A text embedding model: what `embed` and `embedSplit` call, and what a split's space and cache key are recorded from. */
export interface Embedder {
  /** Identifies the model and its settings; recorded in manifests, part of the cache key. */
  readonly id: string;
  /** The embedder family (`builtin`, `transformers`, `openai`, …): the `embedder` of the split's space. */
  readonly family: string;
  /** The model and pooling: with `dimension` and L2 normalisation, they name the split's embedding space. */
  readonly encoder: EncoderDescription;
  /** Columns of every row it returns; 0 while not yet known (a served model reports it with its first response). */
  readonly dimension: number;
  /** One row per text, in order. */
  embedTexts(texts: readonly string[]): Promise<Matrix>;
  /**
   * The one language the model was trained for (BCP 47, e.g. `en`), for models that know only
   * one; `embed` and `embedSplit` then check each split's text against it and warn when it is
   * mostly outside. Absent for multilingual or surface-form models.
   */
  readonly language?: string;
  /** Loads the model ahead of the first call, for embedders that load lazily; embedding then cannot fail on loading. */
  ready?(): Promise<void>;
}

/** An embedder of images: encoded bytes (PNG, JPEG) or decoded RGB pixels, one row per image, in order. */
export interface ImageEmbedder extends Embedder {
  embedImages(images: readonly ImageInput[]): Promise<Matrix>;
}

/** A text embedder and, when the family and options provide one, an image embedder. */
export interface EmbedderPair {
  text: Embedder;
  image?: ImageEmbedder | undefined;
}
