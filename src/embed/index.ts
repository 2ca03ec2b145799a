/**
 * Embedding stage: from split rows to an embedding set (`embed`, in memory) or a split folder
 * used as its cache (`embedSplit`).
 *
 * `createEmbedder` picks one of three families:
 * - 'builtin' (the default): offline, deterministic, dependency-free stand-ins (hashed character
 *   n-grams for text, colour/edge/layout statistics for images). Good for tests, demos and
 *   relative comparisons on one dataset; not comparable with the paper's numbers.
 * - 'transformers': the paper's encoders (XLM-RoBERTa embedding layer for text, CLIP ViT-B/32
 *   vision tower for images) from local model directories through transformers.js.
 * - 'openai': any served model behind an OpenAI-compatible `/v1/embeddings` endpoint (vLLM, TEI,
 *   Ollama, OpenAI). Text only: that API has no image input.
 * - 'pretrained': real pretrained networks shipped inside npm packages (optional peers), run
 *   offline: the Universal Sentence Encoder Lite for text (English only) and MobileNetV2-1.4's
 *   pooled features for images, both 512-d (pretrainedText.ts, pretrainedImage.ts).
 *
 * Importing this module loads no native code; transformers.js and ONNX Runtime are loaded when a
 * transformers embedder first embeds.
 */
import { InputError } from '../errors';
import { BuiltinImageEmbedder } from './builtinImage';
import { BuiltinTextEmbedder } from './builtinText';
import type { EmbedderPair } from './embedder';
import { OpenAIEmbedder, type OpenAIEmbedderOptions } from './openaiEmbedder';
import { ClipVisionEmbedder, type TransformersImageEmbedderOptions } from './clipVision';
import type { ModelLocationOptions } from './modelDirectory';
import { XlmRobertaEmbeddingLayerEmbedder } from './xlmRoberta';
import { PretrainedTextEmbedder, type PretrainedTextEmbedderOptions } from './pretrainedText';
import { PretrainedImageEmbedder, type PretrainedImageEmbedderOptions } from './pretrainedImage';

export type { Embedder, ImageEmbedder, EmbedderPair } from './embedder';
export {
  BuiltinTextEmbedder,
  embedTextBuiltin,
  normalizeText,
  murmur3Words,
  BUILTIN_TEXT_DIMENSION,
  BUILTIN_TEXT_EMBEDDER_ID,
  TEXT_HASH_SEED,
} from './builtinText';
export {
  BuiltinImageEmbedder,
  embedImageBuiltin,
  builtinImageFeatures,
  projectImageFeatures,
  BUILTIN_IMAGE_DIMENSION,
  BUILTIN_IMAGE_EMBEDDER_ID,
  BUILTIN_IMAGE_FEATURES,
  BUILTIN_IMAGE_WORK_SIDE,
  IMAGE_PROJECTION_SEED,
} from './builtinImage';
export {
  meanExcludingFirstToken,
  maskedMeanExcludingFirstToken,
  l2NormalizeRows,
  xlmRobertaPositionIds,
  xlmRobertaEmbeddingLayer,
  poolXlmRobertaEmbeddingLayer,
  layerNormInPlace,
  type HiddenStates,
  type EmbeddingLayerTables,
} from './pooling';
export { XlmRobertaEmbeddingLayerEmbedder, type TransformersTextEmbedderOptions } from './xlmRoberta';
export { ClipVisionEmbedder, type TransformersImageEmbedderOptions } from './clipVision';
export { resolveModelDirectory, describeModelDirectory, loadTransformers, type ModelLocationOptions } from './modelDirectory';
export { OpenAIEmbedder, EmbeddingServiceError, embeddingsEndpoint, type OpenAIEmbedderOptions } from './openaiEmbedder';
export { embed, embeddingSpaceOf, COLUMN_INPUTS, type EmbedOptions } from './embed';
export { embedSplit, columnContentHash, type EmbedSplitOptions, type EmbedSplitResult } from './embedSplit';
export {
  readSplitManifest,
  manifestDigest,
  MANIFEST_FILE,
  type SplitManifest,
  type ManifestColumn,
  type ManifestProgress,
  type SplitColumn,
} from '../data/splitManifest';

export { PretrainedTextEmbedder, pretrainedTokenizer, PRETRAINED_TEXT_DIMENSION, type PretrainedTextEmbedderOptions, type PretrainedTextEngine } from './pretrainedText';
export {
  PretrainedImageEmbedder,
  PRETRAINED_IMAGE_FEATURES,
  PRETRAINED_IMAGE_PROJECTION_SEED,
  type PretrainedImageEmbedderOptions,
  type PretrainedImageEngine,
} from './pretrainedImage';
export { SentencePieceTokenizer, normalizeForSentencePiece, repairVocabularyScores, type SentencePieceVocabulary } from './sentencePiece';
export { PRETRAINED_PACKAGES } from './pretrainedPackages';
export { textLanguageCheck, type TextLanguageCheck } from './textLanguage';

export const EMBEDDER_KINDS = ['builtin', 'transformers', 'openai', 'pretrained'] as const;
/** The embedder families `createEmbedder` builds (see the module comment). */
export type EmbedderKind = (typeof EMBEDDER_KINDS)[number];

/** The built-in embedders have no settings: their definition is fixed so their ids stay meaningful. */
export type BuiltinEmbedderOptions = Record<string, never>;

export interface TransformersEmbedderOptions extends ModelLocationOptions {
  /** XLM-RoBERTa model: directory, name under `modelRoot`, or hub id in the local HF cache. Default `$EMISHIFT_XLMR_DIR`. */
  textModel?: string | undefined;
  /** CLIP model (ONNX export). Default `$EMISHIFT_CLIP_DIR`; without either, no image embedder. */
  imageModel?: string | undefined;
  /** Longest token sequence for text (default 512, as the reference). */
  maxLength?: number | undefined;
  /** Image embedder settings. */
  image?: Omit<TransformersImageEmbedderOptions, keyof ModelLocationOptions> | undefined;
  /** Where the defaults are read from. Default `process.env`. */
  env?: Record<string, string | undefined> | undefined;
}

/** The pretrained pair's settings: which engine runs each half (default ONNX Runtime when onnxruntime-node is installed, else tfjs). */
export interface PretrainedEmbedderOptions {
  text?: PretrainedTextEmbedderOptions | undefined;
  image?: PretrainedImageEmbedderOptions | undefined;
}

/** The settings of any family `createEmbedder` builds; which one applies depends on the kind. */
export type CreateEmbedderOptions = BuiltinEmbedderOptions | TransformersEmbedderOptions | OpenAIEmbedderOptions | PretrainedEmbedderOptions;

/** Builds a model's embedder; a model folder that cannot be found is named by the option that chose it. */
function asOption<T>(option: 'textModel' | 'imageModel', build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof InputError && error.field === 'model') throw new InputError(error.message.slice('model: '.length), { field: option });
    throw error;
  }
}

/** Creates the embedders of one family (see the module comment). Model problems are InputErrors naming `textModel` or `imageModel`. */
export function createEmbedder(kind: 'builtin', options?: BuiltinEmbedderOptions): EmbedderPair;
export function createEmbedder(kind: 'transformers', options?: TransformersEmbedderOptions): EmbedderPair;
export function createEmbedder(kind: 'openai', options?: OpenAIEmbedderOptions): EmbedderPair;
export function createEmbedder(kind: 'pretrained', options?: PretrainedEmbedderOptions): EmbedderPair;
export function createEmbedder(kind: EmbedderKind | string, options?: CreateEmbedderOptions): EmbedderPair;
export function createEmbedder(kind: EmbedderKind | string, options: CreateEmbedderOptions = {}): EmbedderPair {
  switch (kind) {
    case 'builtin':
      return { text: new BuiltinTextEmbedder(), image: new BuiltinImageEmbedder() };
    case 'transformers': {
      const opts = options as TransformersEmbedderOptions;
      const env = opts.env ?? process.env;
      const location: ModelLocationOptions = { modelRoot: opts.modelRoot, hfCacheDir: opts.hfCacheDir };
      const textModel = opts.textModel ?? env.EMISHIFT_XLMR_DIR;
      if (!textModel) {
        throw new InputError('no XLM-RoBERTa model: pass textModel or set EMISHIFT_XLMR_DIR to a local xlm-roberta-base directory', { field: 'textModel' });
      }
      const text = asOption('textModel', () => new XlmRobertaEmbeddingLayerEmbedder(textModel, { ...location, maxLength: opts.maxLength }));
      const imageModel = opts.imageModel ?? env.EMISHIFT_CLIP_DIR;
      const image = imageModel ? asOption('imageModel', () => new ClipVisionEmbedder(imageModel, { ...location, ...(opts.image ?? {}) })) : undefined;
      return image ? { text, image } : { text };
    }
    case 'openai':
      return { text: new OpenAIEmbedder(options as OpenAIEmbedderOptions) };
    case 'pretrained':
      return { text: new PretrainedTextEmbedder((options as PretrainedEmbedderOptions).text ?? {}), image: new PretrainedImageEmbedder((options as PretrainedEmbedderOptions).image ?? {}) };
    default:
      throw new InputError(`unknown embedder '${kind}' (expected ${EMBEDDER_KINDS.join(', ')})`, { field: 'embedder' });
  }
}
