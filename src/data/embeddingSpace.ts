/**
 * Embedding spaces: which encoders, pooling, dimension and normalisation produced a split's
 * rows. An estimator fitted in one space says nothing about rows from another (the authors'
 * CLUB applied to built-in embeddings gives MI values near 0.01 and a meaningless correlation),
 * so every split folder records its space and every comparison checks it.
 */
import type { EmbeddingSpace, EncoderDescription } from '../interface';

/** XLM-RoBERTa-base embedding-layer output, as the paper pools it (text queries and responses). */
export const PAPER_TEXT_POOLING = 'embedding-layer output (hidden_states[0]), attention-masked mean over tokens excluding <s>';
/** CLIP ViT-B/32 vision tower, as the paper pools it (query images). */
export const PAPER_IMAGE_POOLING = 'vision last hidden state, mean over patch tokens (CLS excluded)';

/** The space of the paper's embeddings and of the authors' CLUB checkpoint. */
export const PAPER_SPACE: EmbeddingSpace = {
  embedder: 'paper',
  text: { model: 'xlm-roberta-base', pooling: PAPER_TEXT_POOLING },
  image: { model: 'clip-vit-base-patch32', pooling: PAPER_IMAGE_POOLING },
  dimension: 768,
  normalization: 'l2',
};

/**
 * A model name as models are compared: without the organisation, revision or folder path, in
 * lower case, so `FacebookAI/xlm-roberta-base@0a1b2c` and a folder named `xlm-roberta-base`
 * are the same model.
 */
export function canonicalModelName(model: string): string {
  const withoutRevision = model.split('@')[0];
  const segments = withoutRevision.split(/[/\\]/).filter(Boolean);
  return (segments[segments.length - 1] ?? withoutRevision).toLowerCase();
}

function sameEncoder(a: EncoderDescription, b: EncoderDescription): boolean {
  return canonicalModelName(a.model) === canonicalModelName(b.model) && a.pooling === b.pooling;
}

/** One line naming a space: `builtin (emishift-builtin-text-v1 + emishift-builtin-image-v1, 768-d, l2)`. */
export function describeSpace(space: EmbeddingSpace): string {
  const models = [space.text.model, space.image?.model].filter(Boolean).join(' + ');
  return `${space.embedder} (${models}, ${space.dimension}-d, ${space.normalization})`;
}

/**
 * Why rows from `split` do not belong in `fitted` (an estimator's or the ID split's space), or
 * undefined when they do. With `textOnlyFits`, a text-only split fits a space that also has an
 * image encoder (its query embedding is z_t alone, as the reference does for text-only data).
 */
export function spaceMismatch(split: EmbeddingSpace, fitted: EmbeddingSpace, options: { textOnlyFits?: boolean } = {}): string | undefined {
  if (split.dimension !== fitted.dimension) return `${split.dimension}-d rows, ${fitted.dimension}-d space`;
  if (split.normalization !== fitted.normalization) return `normalisation ${split.normalization} against ${fitted.normalization}`;
  if (!sameEncoder(split.text, fitted.text)) return `text encoder ${split.text.model} against ${fitted.text.model}`;
  if (split.image === null && fitted.image === null) return undefined;
  if (split.image === null) return options.textOnlyFits ? undefined : 'text-only rows against a space with images';
  if (fitted.image === null) return `image encoder ${split.image.model} against a text-only space`;
  if (!sameEncoder(split.image, fitted.image)) return `image encoder ${split.image.model} against ${fitted.image.model}`;
  return undefined;
}
