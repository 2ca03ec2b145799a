/**
 * The benchmark's answering model on frozen pretrained features: the same answer program as the
 * pixel model (model.ts: find, count, locate, check, list over per-cell percepts and a parsed
 * question), but its two learned halves read embeddings instead of pixels and a bag of words.
 *
 * - perception: the image's embedding (the job's image embedder, e.g. MobileNetV2-1.4 pooled
 *   features projected to 512-d) → a dense ReLU layer → per grid cell, whether an object is
 *   there, its shape and its colour, and the scene's background texture and colour;
 * - parsing: the question's embedding (the job's text encoder, e.g. USE-lite) → a dense ReLU
 *   layer → the question kind and the shape and colour it names.
 *
 * The encoders stay frozen: only the two small heads are trained, with the pixel model's losses
 * and supervision (the scene annotation for perception, the answer slots for parsing), so it is
 * a small but real neural VQA model whose inputs are exactly the vectors the method measures.
 * A shift reaches it only through the embeddings: what the encoders keep of a blurred scene or a
 * paraphrased question is what it can still answer.
 */
import type * as TfTypes from '@tensorflow/tfjs';
import { loadTfjs } from '../backend/tfjs';
import { InputError } from '../errors';
import type { Matrix, ProgressCallback } from '../interface';
import { rgbaToRgb, type RgbaImage } from '../io/image';
import type { EmbedderPair, ImageEmbedder } from '../embed/embedder';
import { createRng } from '../random';
import { GRID_CELLS } from './modelFeatures';
import { BACKGROUND_OUTPUTS, CELL_OUTPUTS, QUESTION_OUTPUTS, checkedTrainingSettings, decide, decodeWeights, encodeWeights, gatherRows, labelsFor, mirror, trainAnswerProgram, type AnswerProgramOutputs, type TrainAnsweringOptions, type Example, type ModelAnswer, type QueryAnswerer, type TrainProgress } from './model';
import { answerSentence, type Query } from './questions';
import { renderScene } from './scenes';

const FORMAT = 'emishift-answering-model-embeddings';
const FORMAT_VERSION = 1;
const IMAGE_HIDDEN = 256;
const QUESTION_HIDDEN = 64;
/** Inputs embedded per call while featurising, so progress moves and memory stays flat. */
const EMBED_CHUNK = 64;
/** tfjs variable names are global, so each training run numbers its own. */
let trainingRuns = 0;

type Tf = typeof TfTypes;

type WeightName = 'image1' | 'image1Bias' | 'cellHead' | 'cellHeadBias' | 'background' | 'backgroundBias' | 'question1' | 'question1Bias' | 'question2' | 'question2Bias';
type Weights = Record<WeightName, Float32Array>;

function weightShapes(dimension: number): Record<WeightName, number[]> {
  return {
    image1: [dimension, IMAGE_HIDDEN],
    image1Bias: [IMAGE_HIDDEN],
    cellHead: [IMAGE_HIDDEN, GRID_CELLS * CELL_OUTPUTS],
    cellHeadBias: [GRID_CELLS * CELL_OUTPUTS],
    background: [IMAGE_HIDDEN, BACKGROUND_OUTPUTS],
    backgroundBias: [BACKGROUND_OUTPUTS],
    question1: [dimension, QUESTION_HIDDEN],
    question1Bias: [QUESTION_HIDDEN],
    question2: [QUESTION_HIDDEN, QUESTION_OUTPUTS],
    question2Bias: [QUESTION_OUTPUTS],
  };
}

const WEIGHT_NAMES = Object.keys(weightShapes(1)) as WeightName[];
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Which embedders an embedding model was trained on: answering with others would feed it vectors of another space. */
export interface AnsweringFeatures {
  /** The text embedder's id. */
  text: string;
  /** The image embedder's id. */
  image: string;
  /** Their common dimension. */
  dimension: number;
}

/** How `trainEmbeddingAnsweringModel` trains: as the pixel model's options, plus progress while featurising. */
export interface TrainEmbeddingAnsweringOptions extends TrainAnsweringOptions {
  /** Progress while the training scenes and questions are embedded. */
  onFeaturesProgress?: ProgressCallback | undefined;
}

/** Unit rows scaled by √dimension, so each input is of order one whatever the dimension. */
function scaledRows(matrix: Matrix): Float32Array {
  const { rows, cols, data } = matrix;
  const out = new Float32Array(rows * cols);
  const scale = Math.sqrt(cols);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let c = 0; c < cols; c++) norm += data[r * cols + c] ** 2;
    const factor = norm > 0 ? scale / Math.sqrt(norm) : 0;
    for (let c = 0; c < cols; c++) out[r * cols + c] = data[r * cols + c] * factor;
  }
  return out;
}

function requireImageEmbedder(embedders: EmbedderPair): ImageEmbedder {
  if (!embedders.image) throw new InputError(`the embedding answering model needs an image embedder; ${embedders.text.id} has none`, { field: 'embedder' });
  return embedders.image;
}

/** The features of a pair: their ids and common dimension (an InputError when the dimensions differ or are unknown). */
export function answeringFeaturesOf(embedders: EmbedderPair): AnsweringFeatures {
  const image = requireImageEmbedder(embedders);
  const dimension = embedders.text.dimension;
  if (!(dimension > 0) || image.dimension !== dimension) {
    throw new InputError(`the embedding answering model needs text and image embeddings of one known dimension, got ${dimension} and ${image.dimension}`, { field: 'embedder' });
  }
  return { text: embedders.text.id, image: image.id, dimension };
}

/** Embeds images and questions in chunks (through whatever cache the embedders sit behind), reporting progress. */
async function embedQueries(embedders: EmbedderPair, images: readonly RgbaImage[], questions: readonly string[], onProgress?: ProgressCallback): Promise<{ images: Matrix; questions: Matrix }> {
  const image = requireImageEmbedder(embedders);
  const total = images.length + questions.length;
  let done = 0;
  const chunks = async <T>(inputs: readonly T[], run: (chunk: T[]) => Promise<Matrix>, label: string): Promise<Matrix> => {
    const parts: Matrix[] = [];
    for (let from = 0; from < inputs.length; from += EMBED_CHUNK) {
      const part = await run(inputs.slice(from, from + EMBED_CHUNK));
      if (part.rows !== Math.min(EMBED_CHUNK, inputs.length - from)) throw new Error(`embedder returned ${part.rows} rows for ${Math.min(EMBED_CHUNK, inputs.length - from)} inputs`);
      parts.push(part);
      done += part.rows;
      onProgress?.({ done, total, label, stage: 'embedding the answering model\'s inputs', unit: 'inputs' });
    }
    const cols = parts[0]?.cols ?? 0;
    const data = new Float32Array(inputs.length * cols);
    parts.forEach((part, i) => data.set(part.data, i * EMBED_CHUNK * cols));
    return { rows: inputs.length, cols, data };
  };
  return {
    images: await chunks(images, (chunk) => image.embedImages(chunk.map(rgbaToRgb)), 'images'),
    questions: await chunks(questions, (chunk) => embedders.text.embedTexts(chunk), 'questions'),
  };
}

function forward(tf: Tf, w: Record<WeightName, TfTypes.Tensor>, images: TfTypes.Tensor2D, questions: TfTypes.Tensor2D): AnswerProgramOutputs {
  const count = images.shape[0];
  const seen = tf.relu(tf.add(tf.matMul(images, w.image1 as TfTypes.Tensor2D), w.image1Bias)) as TfTypes.Tensor2D;
  // [query][cell][output], the pixel model's layout: one row of CELL_OUTPUTS logits per cell.
  const cell = tf.reshape(tf.add(tf.matMul(seen, w.cellHead as TfTypes.Tensor2D), w.cellHeadBias), [count * GRID_CELLS, CELL_OUTPUTS]) as TfTypes.Tensor2D;
  const background = tf.add(tf.matMul(seen, w.background as TfTypes.Tensor2D), w.backgroundBias) as TfTypes.Tensor2D;
  const parsed = tf.relu(tf.add(tf.matMul(questions, w.question1 as TfTypes.Tensor2D), w.question1Bias)) as TfTypes.Tensor2D;
  const question = tf.add(tf.matMul(parsed, w.question2 as TfTypes.Tensor2D), w.question2Bias) as TfTypes.Tensor2D;
  return { cell, background, question };
}

/** A trained answering model on embeddings; holds tfjs tensors until `dispose`. */
export class EmbeddingAnsweringModel {
  readonly features: AnsweringFeatures;
  private readonly weights: Weights;
  private tensors?: Record<WeightName, TfTypes.Tensor>;

  constructor(features: AnsweringFeatures, weights: Weights) {
    const shapes = weightShapes(features.dimension);
    for (const name of WEIGHT_NAMES) {
      if (!(weights[name] instanceof Float32Array) || weights[name].length !== size(shapes[name])) {
        throw new InputError(`weight ${name} must hold ${size(shapes[name])} float32 values`, { field: `weights.${name}` });
      }
    }
    this.features = { ...features };
    this.weights = weights;
  }

  /** Number of trainable values. */
  get parameterCount(): number {
    return WEIGHT_NAMES.reduce((sum, name) => sum + this.weights[name].length, 0);
  }

  /** A copy of the weights, e.g. for serialisation. */
  weightValues(): Record<string, { shape: number[]; values: Float32Array }> {
    const shapes = weightShapes(this.features.dimension);
    return Object.fromEntries(WEIGHT_NAMES.map((name) => [name, { shape: [...shapes[name]], values: Float32Array.from(this.weights[name]) }]));
  }

  /** Answers from the embeddings of the queries' images and questions (rows in query order). */
  async answerEmbeddings(images: Matrix, questions: Matrix): Promise<ModelAnswer[]> {
    const { dimension } = this.features;
    if (images.rows !== questions.rows) throw new InputError(`got ${images.rows} image rows but ${questions.rows} question rows`, { field: 'questions' });
    if (images.cols !== dimension || questions.cols !== dimension) throw new InputError(`expected ${dimension}-dimensional embeddings, got ${images.cols} and ${questions.cols}`, { field: 'embeddings' });
    const { tf } = await loadTfjs();
    if (!this.tensors) {
      const shapes = weightShapes(dimension);
      this.tensors = Object.fromEntries(WEIGHT_NAMES.map((name) => [name, tf.tensor(this.weights[name], shapes[name], 'float32')])) as Record<WeightName, TfTypes.Tensor>;
    }
    const tensors = this.tensors;
    const outputs = tf.tidy(() => {
      const out = forward(tf, tensors, tf.tensor2d(scaledRows(images), [images.rows, dimension]), tf.tensor2d(scaledRows(questions), [questions.rows, dimension]));
      return [out.cell, out.background, out.question];
    });
    const [cellOut, backgroundOut, questionOut] = (await Promise.all(outputs.map((t) => t.data()))) as Float32Array[];
    tf.dispose(outputs);
    const answers: ModelAnswer[] = [];
    for (let i = 0; i < images.rows; i++) {
      const slots = decide(cellOut, backgroundOut, questionOut, i);
      answers.push({ text: answerSentence(slots), slots });
    }
    return answers;
  }

  /**
   * The model bound to the embedders it was trained on: it embeds each query's image and
   * question with them, then answers. Other embedders (another id) are refused.
   */
  answerer(embedders: EmbedderPair, onProgress?: ProgressCallback): QueryAnswerer {
    const features = answeringFeaturesOf(embedders);
    for (const part of ['text', 'image'] as const) {
      if (features[part] !== this.features[part]) {
        throw new InputError(`the answering model was trained on ${part} embeddings of ${this.features[part]}, not ${features[part]}`, { field: 'embedder' });
      }
    }
    return {
      answer: async (images, questions) => {
        if (images.length !== questions.length) throw new InputError(`got ${images.length} images but ${questions.length} questions`, { field: 'questions' });
        const embedded = await embedQueries(embedders, images, questions, onProgress);
        return this.answerEmbeddings(embedded.images, embedded.questions);
      },
    };
  }

  /** Frees the tfjs tensors; answering recreates them. */
  dispose(): void {
    if (this.tensors) for (const tensor of Object.values(this.tensors)) tensor.dispose();
    this.tensors = undefined;
  }
}

/**
 * Trains the two heads on clean queries: each scene is rendered (and mirrored, by default) as
 * the pixel model's are, and it and the question are embedded with `embedders` (frozen).
 * Deterministic in `seed` for given embeddings, tfjs backend and machine.
 */
export async function trainEmbeddingAnsweringModel(queries: readonly Query[], embedders: EmbedderPair, options: TrainEmbeddingAnsweringOptions): Promise<EmbeddingAnsweringModel> {
  const { seed, epochs, batchSize, learningRate } = checkedTrainingSettings(queries, options);
  const features = answeringFeaturesOf(embedders);
  const examples: Example[] = queries.map((query) => ({ query, mirrored: false }));
  if (options.mirror ?? true) examples.push(...queries.map((query) => ({ query, mirrored: true })));
  const images = examples.map(({ query, mirrored }) => {
    const rendered = renderScene(query.scene, options.imageSize ?? { width: 64, height: 64 });
    return mirrored ? mirror(rendered) : rendered;
  });
  // A mirrored copy keeps its question (nothing parsed from a question depends on left or right).
  const embedded = await embedQueries(embedders, images, examples.map(({ query }) => query.question), options.onFeaturesProgress);
  const d = features.dimension;
  const imageRows = scaledRows(embedded.images);
  const questionRows = scaledRows(embedded.questions);
  const labels = labelsFor(examples);
  const { tf } = await loadTfjs();
  const rng = createRng(seed);
  const shapes = weightShapes(d);
  const variables = {} as Record<WeightName, TfTypes.Variable>;
  for (const name of WEIGHT_NAMES) {
    const shape = shapes[name];
    const values = new Float32Array(size(shape));
    if (shape.length > 1) {
      const limit = Math.sqrt(6 / (shape[0] + shape[1]));
      for (let i = 0; i < values.length; i++) values[i] = (rng.next() * 2 - 1) * limit;
    }
    const initial = tf.tensor(values, shape, 'float32');
    variables[name] = tf.variable(initial, true, `embeddingAnswering${trainingRuns}_${name}`);
    initial.dispose();
  }
  trainingRuns++;
  try {
    // Adam updates every trainable variable the forward pass reads: the model's own, created above.
    await trainAnswerProgram(tf, {
      labels,
      examples: examples.length,
      epochs,
      batchSize,
      learningRate,
      rng,
      onProgress: options.onProgress,
      batch: (rows) => {
        const imageInput = tf.tensor2d(gatherRows(imageRows, d, rows), [rows.length, d]);
        const questionInput = tf.tensor2d(gatherRows(questionRows, d, rows), [rows.length, d]);
        return () => forward(tf, variables, imageInput, questionInput);
      },
    });
    const trained = {} as Weights;
    for (const name of WEIGHT_NAMES) trained[name] = Float32Array.from(await variables[name].data());
    return new EmbeddingAnsweringModel(features, trained);
  } finally {
    for (const variable of Object.values(variables)) variable.dispose();
  }
}

interface SavedEmbeddingModel {
  format: typeof FORMAT;
  version: number;
  features: AnsweringFeatures;
  /** Little-endian float32, base64. */
  weights: Record<string, { shape: number[]; float32: string }>;
}

/** The model as JSON: the features it reads (embedder ids, dimension) and its weights. */
export function encodeEmbeddingAnsweringModel(model: EmbeddingAnsweringModel): string {
  const saved: SavedEmbeddingModel = { format: FORMAT, version: FORMAT_VERSION, features: model.features, weights: encodeWeights(model.weightValues()) };
  return JSON.stringify(saved);
}

/** Reads what `encodeEmbeddingAnsweringModel` wrote; anything else is an InputError naming `file`. */
export function decodeEmbeddingAnsweringModel(text: string, file?: string): EmbeddingAnsweringModel {
  let saved: SavedEmbeddingModel;
  try {
    saved = JSON.parse(text) as SavedEmbeddingModel;
  } catch (error) {
    throw new InputError(`not JSON: ${(error as Error).message}`, { file });
  }
  if (saved?.format !== FORMAT || saved.version !== FORMAT_VERSION) throw new InputError(`not an ${FORMAT} file of version ${FORMAT_VERSION}`, { file });
  const features = saved.features;
  if (typeof features?.text !== 'string' || typeof features.image !== 'string' || !Number.isInteger(features.dimension) || features.dimension < 1) {
    throw new InputError('expected "features": { "text", "image", "dimension" }', { file, field: 'features' });
  }
  const weights: Weights = decodeWeights(saved.weights, WEIGHT_NAMES, file);
  try {
    return new EmbeddingAnsweringModel(features, weights);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(error.message, { file });
    throw error;
  }
}
