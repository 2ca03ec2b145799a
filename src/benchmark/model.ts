/**
 * A small multimodal model that really answers the benchmark's questions, trained with
 * TensorFlow.js on clean scenes in well under a minute. It is a tiny neural module network:
 *
 * - perception: one trunk shared by the nine grid cells (a strided convolution, then a dense
 *   layer) predicts, per cell, whether an object is there, its shape and its colour; the cell
 *   features averaged over the image, with each cell's pixel roughness, predict the background;
 * - parsing: a two-layer network over the question's bag of words predicts the question kind and
 *   the shape and colour the question is about;
 * - a fixed program combines the two (find, count, locate, check, list) into answer slots, which
 *   `answerSentence` phrases exactly as the reference answers are phrased.
 *
 * Both halves are learned, so a shift hurts where it should: blur or noise corrupts perception,
 * a misspelt or paraphrased word vanishes from the bag and the parse goes wrong. Perception is
 * supervised by the scene annotation every query carries (as a detector is trained on boxes),
 * parsing by the answer slots; that dense supervision is what lets a few hundred queries suffice.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type * as TfTypes from '@tensorflow/tfjs';
import { loadTfjs } from '../backend/tfjs';
import { InputError } from '../errors';
import type { RgbaImage } from '../io/image';
import { createRng, type RandomSource } from '../random';
import {
  GRID_CELLS,
  GRID_COLUMNS,
  IMAGE_FEATURES,
  IMAGE_PATCH_FEATURES,
  PATCH_FEATURES,
  PATCH_GRID,
  buildVocabulary,
  cellPatches,
  cellRoughness,
  imageFeatures,
  questionFeatures,
} from './modelFeatures';
import { QUERY_KINDS, answerSentence, type AnswerSlots, type AnswerSlotValues, type ObjectGroupSlot, type Query, type QueryKind } from './questions';
import { BACKGROUND_COLOURS, COLOURS, COLUMNS, ROWS, SHAPES, TEXTURES, renderScene } from './scenes';

/** Index of "any shape" (counting everything) after the three shapes. */
const ANY_SHAPE = SHAPES.length;
/** Index of "no colour named" after the six colours. */
const NO_COLOUR = COLOURS.length;
/** Per-cell logits: presence, then shape, then colour. */
export const CELL_OUTPUTS = 1 + SHAPES.length + COLOURS.length;
/** Background logits: texture, then colour. */
export const BACKGROUND_OUTPUTS = TEXTURES.length + BACKGROUND_COLOURS.length;
/** Question logits: kind, target shape (or any), target colour (or none). */
export const QUESTION_OUTPUTS = QUERY_KINDS.length + SHAPES.length + 1 + COLOURS.length + 1;

const CONV = 16;
/** One cell's first-layer map, flattened for the cell's dense layer. */
const CONV_MAP = PATCH_GRID * PATCH_GRID * CONV;
const CELL_HIDDEN = 48;
const QUESTION_HIDDEN = 32;

const FORMAT = 'emishift-answering-model';
const FORMAT_VERSION = 1;
/** tfjs variable names are global and must be unique, so each training run numbers its own. */
let trainingRuns = 0;

type Tf = typeof TfTypes;

/** The answering model's answer to one query: the sentence it says and the slots it was phrased from. */
export interface ModelAnswer {
  /** The answer phrased like the reference answers. */
  text: string;
  /** What `slotAccuracy` scores against the query's `answerSlots`. */
  slots: AnswerSlots;
}

/** Something that answers queries from their images and questions: the pixel model, or an embedding model bound to its embedders. */
export interface QueryAnswerer {
  answer(images: readonly RgbaImage[], questions: readonly string[]): Promise<ModelAnswer[]>;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
}

/** How `trainAnsweringModel` trains: the seed, the optimiser's settings, the scenes' size and mirroring, progress. */
export interface TrainAnsweringOptions {
  /** Seeds the initial weights and the batch order, so a run is reproducible. */
  seed: number;
  /** Passes over the training queries (default 30). */
  epochs?: number | undefined;
  /** Default 32. */
  batchSize?: number | undefined;
  /** Adam step size (default 0.003). */
  learningRate?: number | undefined;
  /** Rendered size of the training scenes (default 64×64, as the benchmark renders them). */
  imageSize?: { width: number; height: number } | undefined;
  /** Also train on left-right mirrored scenes (default true); doubles the time per epoch. */
  mirror?: boolean | undefined;
  onProgress?: ((progress: TrainProgress) => void) | undefined;
}

/** Weight tensors by name; shapes are fixed by the vocabulary size. */
type WeightName =
  | 'conv'
  | 'convBias'
  | 'cell'
  | 'cellBias'
  | 'cellHead'
  | 'cellHeadBias'
  | 'background'
  | 'backgroundBias'
  | 'question1'
  | 'question1Bias'
  | 'question2'
  | 'question2Bias';

type Weights = Record<WeightName, Float32Array>;

function weightShapes(vocabularySize: number): Record<WeightName, number[]> {
  return {
    conv: [PATCH_FEATURES, CONV],
    convBias: [CONV],
    cell: [CONV_MAP, CELL_HIDDEN],
    cellBias: [CELL_HIDDEN],
    cellHead: [CELL_HIDDEN, CELL_OUTPUTS],
    cellHeadBias: [CELL_OUTPUTS],
    background: [CELL_HIDDEN + CONV + GRID_CELLS, BACKGROUND_OUTPUTS],
    backgroundBias: [BACKGROUND_OUTPUTS],
    question1: [vocabularySize, QUESTION_HIDDEN],
    question1Bias: [QUESTION_HIDDEN],
    question2: [QUESTION_HIDDEN, QUESTION_OUTPUTS],
    question2Bias: [QUESTION_OUTPUTS],
  };
}

const WEIGHT_NAMES = Object.keys(weightShapes(1)) as WeightName[];

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Glorot-uniform from the seeded generator, so initialisation does not depend on tfjs's own RNG. */
function initialWeights(vocabularySize: number, rng: RandomSource): Weights {
  const shapes = weightShapes(vocabularySize);
  const weights = {} as Weights;
  for (const name of WEIGHT_NAMES) {
    const shape = shapes[name];
    const values = new Float32Array(size(shape));
    if (shape.length > 1) {
      const [fanIn, fanOut] = shape;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < values.length; i++) values[i] = (rng.next() * 2 - 1) * limit;
    }
    weights[name] = values;
  }
  return weights;
}

type TensorWeights = Record<WeightName, TfTypes.Tensor>;

/** The three heads' outputs for a batch: per cell, per image (the background), per question (its parse). */
export interface AnswerProgramOutputs {
  cell: TfTypes.Tensor2D;
  background: TfTypes.Tensor2D;
  question: TfTypes.Tensor2D;
}

function forward(tf: Tf, w: TensorWeights, patches: TfTypes.Tensor2D, roughness: TfTypes.Tensor2D, questions: TfTypes.Tensor2D): AnswerProgramOutputs {
  const images = questions.shape[0];
  const conv = tf.relu(tf.add(tf.matMul(patches, w.conv as TfTypes.Tensor2D), w.convBias));
  const hidden = tf.relu(tf.add(tf.matMul(tf.reshape(conv, [images * GRID_CELLS, CONV_MAP]), w.cell as TfTypes.Tensor2D), w.cellBias));
  const cell = tf.add(tf.matMul(hidden, w.cellHead as TfTypes.Tensor2D), w.cellHeadBias) as TfTypes.Tensor2D;
  // Texture lives in the fine first-layer responses averaged over the whole image.
  const texture = tf.mean(tf.reshape(conv, [images, -1, CONV]), 1);
  const scene = tf.concat([tf.mean(tf.reshape(hidden, [images, GRID_CELLS, CELL_HIDDEN]), 1), texture, roughness], 1);
  const background = tf.add(tf.matMul(scene, w.background as TfTypes.Tensor2D), w.backgroundBias) as TfTypes.Tensor2D;
  const parsed = tf.relu(tf.add(tf.matMul(questions, w.question1 as TfTypes.Tensor2D), w.question1Bias));
  const question = tf.add(tf.matMul(parsed, w.question2 as TfTypes.Tensor2D), w.question2Bias) as TfTypes.Tensor2D;
  return { cell, background, question };
}

function patchesTensor(tf: Tf, patches: Float32Array, images: number): TfTypes.Tensor2D {
  return tf.tensor2d(patches, [images * GRID_CELLS * PATCH_GRID * PATCH_GRID, PATCH_FEATURES]);
}

function argmax(values: Float32Array | number[], from: number, count: number): number {
  let best = 0;
  for (let i = 1; i < count; i++) if (values[from + i] > values[from + best]) best = i;
  return best;
}

function softmaxAt(values: Float32Array, from: number, count: number, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < count; i++) max = Math.max(max, values[from + i]);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += Math.exp(values[from + i] - max);
  return Math.exp(values[from + index] - max) / sum;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

interface PerceivedCell {
  present: number;
  shape: number;
  colour: number;
  /** Logits start of this cell in the cell output. */
  at: number;
}

/**
 * Runs the answering program on one query's network outputs: `cellOut` holds CELL_OUTPUTS
 * logits per grid cell per query, `backgroundOut` BACKGROUND_OUTPUTS and `questionOut`
 * QUESTION_OUTPUTS per query; `item` is the query's index.
 */
export function decide(cellOut: Float32Array, backgroundOut: Float32Array, questionOut: Float32Array, item: number): AnswerSlots {
  const q = item * QUESTION_OUTPUTS;
  const kind = QUERY_KINDS[argmax(questionOut, q, QUERY_KINDS.length)];
  const shapeFrom = q + QUERY_KINDS.length;
  const colourFrom = shapeFrom + SHAPES.length + 1;
  const cells: PerceivedCell[] = [];
  for (let c = 0; c < GRID_CELLS; c++) {
    const at = (item * GRID_CELLS + c) * CELL_OUTPUTS;
    cells.push({ present: sigmoid(cellOut[at]), shape: argmax(cellOut, at + 1, SHAPES.length), colour: argmax(cellOut, at + 1 + SHAPES.length, COLOURS.length), at });
  }
  const objects = cells.map((cell, index) => ({ ...cell, index })).filter((cell) => cell.present > 0.5);
  const shapeProbability = (cell: PerceivedCell, shape: number) => softmaxAt(cellOut, cell.at + 1, SHAPES.length, shape);
  const colourProbability = (cell: PerceivedCell, colour: number) => softmaxAt(cellOut, cell.at + 1 + SHAPES.length, COLOURS.length, colour);
  // Questions that name a single object always name a concrete shape (and colour).
  const namedShape = argmax(questionOut, shapeFrom, SHAPES.length);
  const namedColour = argmax(questionOut, colourFrom, COLOURS.length);
  const bestCell = (score: (cell: PerceivedCell) => number): number => {
    let best = 0;
    for (let c = 1; c < GRID_CELLS; c++) if (score(cells[c]) > score(cells[best])) best = c;
    return best;
  };
  const slots: AnswerSlotValues = {};
  switch (kind) {
    case 'colour': {
      const found = bestCell((cell) => cell.present * shapeProbability(cell, namedShape));
      slots.shape = SHAPES[namedShape];
      slots.colour = COLOURS[cells[found].colour];
      break;
    }
    case 'count': {
      const target = argmax(questionOut, shapeFrom, SHAPES.length + 1);
      if (target !== ANY_SHAPE) slots.shape = SHAPES[target];
      slots.count = target === ANY_SHAPE ? objects.length : objects.filter((cell) => cell.shape === target).length;
      break;
    }
    case 'position': {
      const found = bestCell((cell) => cell.present * shapeProbability(cell, namedShape) * colourProbability(cell, namedColour));
      slots.shape = SHAPES[namedShape];
      slots.colour = COLOURS[namedColour];
      slots.position = `${ROWS[Math.floor(found / GRID_COLUMNS)]} ${COLUMNS[found % GRID_COLUMNS]}`;
      break;
    }
    case 'existence':
      slots.shape = SHAPES[namedShape];
      slots.colour = COLOURS[namedColour];
      slots.exists = objects.some((cell) => cell.shape === namedShape && cell.colour === namedColour);
      break;
    case 'description': {
      const groups: ObjectGroupSlot[] = [];
      for (const cell of objects) {
        const shape = SHAPES[cell.shape];
        const colour = COLOURS[cell.colour];
        const group = groups.find((g) => g.shape === shape && g.colour === colour);
        if (group) group.count++;
        else groups.push({ colour, shape, count: 1 });
      }
      const b = item * BACKGROUND_OUTPUTS;
      slots.objects = groups;
      slots.background = {
        texture: TEXTURES[argmax(backgroundOut, b, TEXTURES.length)],
        colour: BACKGROUND_COLOURS[argmax(backgroundOut, b + TEXTURES.length, BACKGROUND_COLOURS.length)],
      };
      break;
    }
  }
  return { kind, slots };
}

/** A trained answering model; holds tfjs tensors until `dispose`. */
export class AnsweringModel {
  readonly vocabulary: readonly string[];
  private readonly weights: Weights;
  private readonly index: Map<string, number>;
  private tensors?: TensorWeights;

  constructor(vocabulary: readonly string[], weights: Weights) {
    const shapes = weightShapes(vocabulary.length);
    for (const name of WEIGHT_NAMES) {
      if (!(weights[name] instanceof Float32Array) || weights[name].length !== size(shapes[name])) {
        throw new InputError(`weight ${name} must hold ${size(shapes[name])} float32 values`, { field: `weights.${name}` });
      }
    }
    this.vocabulary = [...vocabulary];
    this.weights = weights;
    this.index = new Map(this.vocabulary.map((word, i) => [word, i]));
  }

  /** Number of trainable values. */
  get parameterCount(): number {
    return WEIGHT_NAMES.reduce((sum, name) => sum + this.weights[name].length, 0);
  }

  /** A copy of the weights, e.g. for serialisation. */
  weightValues(): Record<string, { shape: number[]; values: Float32Array }> {
    const shapes = weightShapes(this.vocabulary.length);
    const out: Record<string, { shape: number[]; values: Float32Array }> = {};
    for (const name of WEIGHT_NAMES) out[name] = { shape: [...shapes[name]], values: Float32Array.from(this.weights[name]) };
    return out;
  }

  async answer(images: readonly RgbaImage[], questions: readonly string[]): Promise<ModelAnswer[]> {
    if (images.length !== questions.length) {
      throw new InputError(`got ${images.length} images but ${questions.length} questions`, { field: 'questions' });
    }
    const { tf } = await loadTfjs();
    if (!this.tensors) {
      const shapes = weightShapes(this.vocabulary.length);
      const tensors = {} as TensorWeights;
      for (const name of WEIGHT_NAMES) tensors[name] = tf.tensor(this.weights[name], shapes[name], 'float32');
      this.tensors = tensors;
    }
    const answers: ModelAnswer[] = [];
    const chunk = 64;
    for (let start = 0; start < images.length; start += chunk) {
      const count = Math.min(chunk, images.length - start);
      const pixels = new Float32Array(IMAGE_FEATURES);
      const patches = new Float32Array(count * IMAGE_PATCH_FEATURES);
      const roughness = new Float32Array(count * GRID_CELLS);
      const words = new Float32Array(count * this.vocabulary.length);
      for (let i = 0; i < count; i++) {
        cellPatches(imageFeatures(images[start + i], pixels), 0, patches, i * IMAGE_PATCH_FEATURES);
        cellRoughness(images[start + i], roughness, i * GRID_CELLS);
        questionFeatures(this.index, questions[start + i], words, i * this.vocabulary.length);
      }
      const tensors = this.tensors;
      const outputs = tf.tidy(() => {
        const out = forward(tf, tensors, patchesTensor(tf, patches, count), tf.tensor2d(roughness, [count, GRID_CELLS]), tf.tensor2d(words, [count, this.vocabulary.length]));
        return [out.cell, out.background, out.question];
      });
      const [cellOut, backgroundOut, questionOut] = (await Promise.all(outputs.map((t) => t.data()))) as Float32Array[];
      tf.dispose(outputs);
      for (let i = 0; i < count; i++) {
        const slots = decide(cellOut, backgroundOut, questionOut, i);
        answers.push({ text: answerSentence(slots), slots });
      }
    }
    return answers;
  }

  /** Frees the tfjs tensors; `answer` recreates them if called again. */
  dispose(): void {
    if (this.tensors) for (const tensor of Object.values(this.tensors)) tensor.dispose();
    this.tensors = undefined;
  }
}

/** The training targets of a set of examples (see `labelsFor`). */
export interface Labels {
  presence: Float32Array;
  shape: Float32Array;
  colour: Float32Array;
  objectMask: Float32Array;
  texture: Float32Array;
  backgroundColour: Float32Array;
  kind: Float32Array;
  targetShape: Float32Array;
  targetColour: Float32Array;
}

/** A training example: a query, its scene possibly mirrored left to right. */
export interface Example {
  query: Query;
  mirrored: boolean;
}

/** The image mirrored left to right. */
export function mirror(image: RgbaImage): RgbaImage {
  const { width, height, rgba } = image;
  const out = new Uint8Array(rgba.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out.set(rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 4), (y * width + (width - 1 - x)) * 4);
  }
  return { width, height, rgba: out };
}

/** Per-cell, background and question targets of the examples (cells mirrored with their scene). */
export function labelsFor(examples: readonly Example[]): Labels {
  const n = examples.length;
  const labels: Labels = {
    presence: new Float32Array(n * GRID_CELLS),
    shape: new Float32Array(n * GRID_CELLS * SHAPES.length),
    colour: new Float32Array(n * GRID_CELLS * COLOURS.length),
    objectMask: new Float32Array(n * GRID_CELLS),
    texture: new Float32Array(n * TEXTURES.length),
    backgroundColour: new Float32Array(n * BACKGROUND_COLOURS.length),
    kind: new Float32Array(n * QUERY_KINDS.length),
    targetShape: new Float32Array(n * (SHAPES.length + 1)),
    targetColour: new Float32Array(n * (COLOURS.length + 1)),
  };
  examples.forEach(({ query, mirrored }, i) => {
    for (const object of query.scene.objects) {
      const column = COLUMNS.indexOf(object.position.column);
      const cell = i * GRID_CELLS + ROWS.indexOf(object.position.row) * GRID_COLUMNS + (mirrored ? GRID_COLUMNS - 1 - column : column);
      labels.presence[cell] = 1;
      labels.objectMask[cell] = 1;
      labels.shape[cell * SHAPES.length + SHAPES.indexOf(object.shape)] = 1;
      labels.colour[cell * COLOURS.length + COLOURS.indexOf(object.colour)] = 1;
    }
    labels.texture[i * TEXTURES.length + TEXTURES.indexOf(query.scene.background.texture)] = 1;
    labels.backgroundColour[i * BACKGROUND_COLOURS.length + BACKGROUND_COLOURS.indexOf(query.scene.background.colour)] = 1;
    const kind = query.answerSlots.kind;
    labels.kind[i * QUERY_KINDS.length + QUERY_KINDS.indexOf(kind)] = 1;
    const { shape, colour } = query.answerSlots.slots;
    // What the question names: a colour question's colour slot is its answer, not part of the question.
    const namedShape = kind === 'description' || shape === undefined ? ANY_SHAPE : SHAPES.indexOf(shape);
    const namedColour = (kind === 'position' || kind === 'existence') && colour !== undefined ? COLOURS.indexOf(colour) : NO_COLOUR;
    labels.targetShape[i * (SHAPES.length + 1) + namedShape] = 1;
    labels.targetColour[i * (COLOURS.length + 1) + namedColour] = 1;
  });
  return labels;
}

/** The rows `rows` of a row-major matrix of width `width`, in that order. */
export function gatherRows(source: Float32Array, width: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, i) => out.set(source.subarray(row * width, (row + 1) * width), i * width));
  return out;
}

/** Per-row cross-entropy of logits against one-hot targets. */
export function crossEntropy(tf: Tf, logits: TfTypes.Tensor2D, oneHot: TfTypes.Tensor2D): TfTypes.Tensor1D {
  return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)) as TfTypes.Tensor1D;
}

/** Both answering models' training settings with their defaults, checked (InputError naming the option). */
export function checkedTrainingSettings(queries: readonly Query[], options: TrainAnsweringOptions): { seed: number; epochs: number; batchSize: number; learningRate: number } {
  if (queries.length === 0) throw new InputError('needs at least one training query', { field: 'queries' });
  const { seed } = options;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InputError(`must be an integer in [0, 4294967295], got ${seed}`, { field: 'seed' });
  }
  const epochs = options.epochs ?? 30;
  const batchSize = options.batchSize ?? 32;
  const learningRate = options.learningRate ?? 0.003;
  if (!Number.isInteger(epochs) || epochs < 0) throw new InputError(`must be a non-negative integer, got ${epochs}`, { field: 'epochs' });
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`must be a positive integer, got ${batchSize}`, { field: 'batchSize' });
  return { seed, epochs, batchSize, learningRate };
}

/**
 * Trains on clean queries: each query's scene is rendered with the benchmark's renderer and its
 * question featurised with a vocabulary built from these questions. Deterministic in `seed` for
 * a given tfjs backend and machine.
 */
export async function trainAnsweringModel(queries: readonly Query[], options: TrainAnsweringOptions): Promise<AnsweringModel> {
  const { seed, epochs, batchSize, learningRate } = checkedTrainingSettings(queries, options);
  const { tf } = await loadTfjs();
  const vocabulary = buildVocabulary(queries.map((query) => query.question));
  const index = new Map(vocabulary.map((word, i) => [word, i]));
  // Mirrored scenes are free extra training images: shapes, colours and backgrounds are all
  // left-right symmetric, so only the cell labels move. Nothing trained here reads a position
  // off the question, so a mirrored copy keeps its question and question labels.
  const examples: Example[] = queries.map((query) => ({ query, mirrored: false }));
  if (options.mirror ?? true) examples.push(...queries.map((query) => ({ query, mirrored: true })));
  const n = examples.length;
  const v = vocabulary.length;
  const pixels = new Float32Array(IMAGE_FEATURES);
  const patches = new Float32Array(n * IMAGE_PATCH_FEATURES);
  const roughness = new Float32Array(n * GRID_CELLS);
  const words = new Float32Array(n * v);
  examples.forEach(({ query, mirrored }, i) => {
    const rendered = renderScene(query.scene, options.imageSize ?? { width: 64, height: 64 });
    const image = mirrored ? mirror(rendered) : rendered;
    cellPatches(imageFeatures(image, pixels), 0, patches, i * IMAGE_PATCH_FEATURES);
    cellRoughness(image, roughness, i * GRID_CELLS);
    questionFeatures(index, query.question, words, i * v);
  });
  const labels = labelsFor(examples);
  const rng = createRng(seed);
  const initial = initialWeights(v, rng);
  const shapes = weightShapes(v);
  const variables = {} as Record<WeightName, TfTypes.Variable>;
  for (const name of WEIGHT_NAMES) {
    const value = tf.tensor(initial[name], shapes[name], 'float32');
    variables[name] = tf.variable(value, true, `answering${trainingRuns}_${name}`);
    value.dispose();
  }
  trainingRuns++;
  try {
    // Adam updates every trainable variable the forward pass reads: the model's own, created above.
    await trainAnswerProgram(tf, {
      labels,
      examples: n,
      epochs,
      batchSize,
      learningRate,
      rng,
      onProgress: options.onProgress,
      batch: (rows) => {
        const cells = patchesTensor(tf, gatherRows(patches, IMAGE_PATCH_FEATURES, rows), rows.length);
        const questions = tf.tensor2d(gatherRows(words, v, rows), [rows.length, v]);
        const rough = tf.tensor2d(gatherRows(roughness, GRID_CELLS, rows), [rows.length, GRID_CELLS]);
        return () => forward(tf, variables, cells, rough, questions);
      },
    });
    const trained = {} as Weights;
    for (const name of WEIGHT_NAMES) trained[name] = Float32Array.from(await variables[name].data());
    return new AnsweringModel(vocabulary, trained);
  } finally {
    for (const variable of Object.values(variables)) variable.dispose();
  }
}

/** How `trainAnswerProgram` trains a model of the answer program: its variables, labels, data and settings. */
export interface AnswerProgramTraining {
  labels: Labels;
  /** How many examples (rows of `labels`' per-example fields). */
  examples: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Shuffles the examples every epoch (after the caller drew its initial weights from it). */
  rng: RandomSource;
  onProgress?: ((progress: TrainProgress) => void) | undefined;
  /** Makes a batch's input tensors (inside the step's tidy) and returns its forward pass. */
  batch(rows: readonly number[]): () => AnswerProgramOutputs;
}

/**
 * The training loop both answering models share (the pixel model and the one on frozen
 * embeddings): Adam on the answer program's losses — per cell, presence (summed over the grid),
 * shape and colour where an object is; per image, texture and background colour; per question,
 * its kind and target — over seeded shuffled mini-batches. Only the inputs and the forward pass
 * differ between the models.
 */
export async function trainAnswerProgram(tf: Tf, training: AnswerProgramTraining): Promise<void> {
  const { labels, examples: n, epochs, batchSize, rng } = training;
  const optimizer = tf.train.adam(training.learningRate);
  const order = Array.from({ length: n }, (_, i) => i);
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < n; start += batchSize) {
        const rows = order.slice(start, start + batchSize);
        const b = rows.length;
        const cellRows = rows.flatMap((row) => Array.from({ length: GRID_CELLS }, (_, c) => row * GRID_CELLS + c));
        const value = tf.tidy(() => {
          const forwardPass = training.batch(rows);
          const t = (values: Float32Array, width: number, at: readonly number[]) => tf.tensor2d(gatherRows(values, width, at), [at.length, width]);
          const presence = t(labels.presence, 1, cellRows);
          const shape = t(labels.shape, SHAPES.length, cellRows);
          const colour = t(labels.colour, COLOURS.length, cellRows);
          const mask = tf.tensor1d(gatherRows(labels.objectMask, 1, cellRows));
          const texture = t(labels.texture, TEXTURES.length, rows);
          const backgroundColour = t(labels.backgroundColour, BACKGROUND_COLOURS.length, rows);
          const kind = t(labels.kind, QUERY_KINDS.length, rows);
          const targetShape = t(labels.targetShape, SHAPES.length + 1, rows);
          const targetColour = t(labels.targetColour, COLOURS.length + 1, rows);
          return optimizer.minimize(() => {
            const out = forwardPass();
            const presenceLogits = tf.slice(out.cell, [0, 0], [-1, 1]);
            const shapeLogits = tf.slice(out.cell, [0, 1], [-1, SHAPES.length]);
            const colourLogits = tf.slice(out.cell, [0, 1 + SHAPES.length], [-1, COLOURS.length]);
            // Summed over an image's cells, averaged over images. Shape and colour are only
            // defined where an object is; empty cells teach presence alone.
            const perception = tf.addN([
              tf.mul(tf.losses.sigmoidCrossEntropy(presence, presenceLogits), GRID_CELLS),
              tf.div(tf.sum(tf.mul(crossEntropy(tf, shapeLogits, shape), mask)), b),
              tf.div(tf.sum(tf.mul(crossEntropy(tf, colourLogits, colour), mask)), b),
            ]);
            const bg = out.background;
            const backgroundLoss = tf.add(
              tf.mean(crossEntropy(tf, tf.slice(bg, [0, 0], [-1, TEXTURES.length]), texture)),
              tf.mean(crossEntropy(tf, tf.slice(bg, [0, TEXTURES.length], [-1, BACKGROUND_COLOURS.length]), backgroundColour)),
            );
            const qo = out.question;
            const parsing = tf.addN([
              tf.mean(crossEntropy(tf, tf.slice(qo, [0, 0], [-1, QUERY_KINDS.length]), kind)),
              tf.mean(crossEntropy(tf, tf.slice(qo, [0, QUERY_KINDS.length], [-1, SHAPES.length + 1]), targetShape)),
              tf.mean(crossEntropy(tf, tf.slice(qo, [0, QUERY_KINDS.length + SHAPES.length + 1], [-1, COLOURS.length + 1]), targetColour)),
            ]);
            return tf.addN([perception, backgroundLoss, parsing]) as TfTypes.Scalar;
          }, true) as TfTypes.Scalar;
        });
        lossSum += (await value.data())[0];
        value.dispose();
        batches++;
      }
      training.onProgress?.({ epoch: epoch + 1, epochs, loss: lossSum / Math.max(1, batches) });
    }
  } finally {
    optimizer.dispose();
  }
}

/** Whether predicted slots give the same answer as the reference: same kind and every slot equal. */
export function slotsMatch(predicted: AnswerSlots, reference: AnswerSlots): boolean {
  if (predicted.kind !== reference.kind) return false;
  const keys = new Set([...Object.keys(predicted.slots), ...Object.keys(reference.slots)]) as Set<keyof AnswerSlotValues>;
  for (const key of keys) {
    if (JSON.stringify(predicted.slots[key]) !== JSON.stringify(reference.slots[key])) return false;
  }
  return true;
}

export interface KindAccuracy {
  correct: number;
  total: number;
  accuracy: number;
}

/** How many predicted answers match the ground-truth slots exactly: per query, overall, and per question kind. */
export interface SlotAccuracy {
  /** Per query, in order. */
  correct: boolean[];
  /** The share of queries answered exactly right. */
  accuracy: number;
  /** By the reference answer's kind. */
  byKind: Record<QueryKind, KindAccuracy>;
}

/** Per-query exact correctness of predicted slots against the ground-truth slots. */
export function slotAccuracy(predicted: readonly AnswerSlots[], reference: readonly AnswerSlots[]): SlotAccuracy {
  if (predicted.length !== reference.length) {
    throw new InputError(`got ${predicted.length} predictions for ${reference.length} references`, { field: 'predicted' });
  }
  const correct = predicted.map((slots, i) => slotsMatch(slots, reference[i]));
  const byKind = {} as Record<QueryKind, KindAccuracy>;
  for (const kind of QUERY_KINDS) byKind[kind] = { correct: 0, total: 0, accuracy: NaN };
  reference.forEach((slots, i) => {
    byKind[slots.kind].total++;
    if (correct[i]) byKind[slots.kind].correct++;
  });
  for (const kind of QUERY_KINDS) byKind[kind].accuracy = byKind[kind].total === 0 ? NaN : byKind[kind].correct / byKind[kind].total;
  const hits = correct.filter(Boolean).length;
  return { correct, accuracy: correct.length === 0 ? NaN : hits / correct.length, byKind };
}

interface SavedModel {
  format: typeof FORMAT;
  version: number;
  vocabulary: string[];
  /** Little-endian float32, base64: exact round trip, about a third larger than binary. */
  weights: Record<string, { shape: number[]; float32: string }>;
}

/** Both answering models' weights as saved: each its shape and its float32 values, little-endian, in base64. */
export function encodeWeights(named: Record<string, { shape: number[]; values: Float32Array }>): Record<string, { shape: number[]; float32: string }> {
  const weights: Record<string, { shape: number[]; float32: string }> = {};
  for (const [name, { shape, values }] of Object.entries(named)) {
    const bytes = Buffer.alloc(values.length * 4);
    values.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
    weights[name] = { shape, float32: bytes.toString('base64') };
  }
  return weights;
}

/** The weights `encodeWeights` wrote, by name; a missing one is an InputError naming `file` and `weights.<name>`. */
export function decodeWeights<Name extends string>(saved: Partial<Record<string, { float32?: unknown }>> | undefined, names: readonly Name[], file: string | undefined): Record<Name, Float32Array> {
  const weights = {} as Record<Name, Float32Array>;
  for (const name of names) {
    const entry = saved?.[name];
    if (!entry || typeof entry.float32 !== 'string') throw new InputError(`missing weight ${name}`, { file, field: `weights.${name}` });
    const bytes = Buffer.from(entry.float32, 'base64');
    const values = new Float32Array(bytes.length / 4);
    for (let i = 0; i < values.length; i++) values[i] = bytes.readFloatLE(i * 4);
    weights[name] = values;
  }
  return weights;
}

export function encodeAnsweringModel(model: AnsweringModel): string {
  const saved: SavedModel = { format: FORMAT, version: FORMAT_VERSION, vocabulary: [...model.vocabulary], weights: encodeWeights(model.weightValues()) };
  return JSON.stringify(saved);
}

export function decodeAnsweringModel(text: string, file?: string): AnsweringModel {
  let saved: SavedModel;
  try {
    saved = JSON.parse(text) as SavedModel;
  } catch (error) {
    throw new InputError(`not JSON: ${(error as Error).message}`, { file });
  }
  if (saved?.format !== FORMAT || saved.version !== FORMAT_VERSION) {
    throw new InputError(`not an ${FORMAT} file of version ${FORMAT_VERSION}`, { file });
  }
  if (!Array.isArray(saved.vocabulary) || !saved.vocabulary.every((word) => typeof word === 'string')) {
    throw new InputError('vocabulary must be a list of words', { file, field: 'vocabulary' });
  }
  const weights: Weights = decodeWeights(saved.weights, WEIGHT_NAMES, file);
  try {
    return new AnsweringModel(saved.vocabulary, weights);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(error.message, { file });
    throw error;
  }
}

/** Saves the answering model's weights and vocabulary as JSON (atomically). */
export async function saveAnsweringModel(model: AnsweringModel, file: string): Promise<void> {
  await writeFile(file, encodeAnsweringModel(model));
}

/** Loads an answering model saved by `saveAnsweringModel`. */
export async function loadAnsweringModel(file: string): Promise<AnsweringModel> {
  return decodeAnsweringModel(await readFile(file, 'utf8'), file);
}
