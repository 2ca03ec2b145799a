/**
 * How well an image encoder's frozen features, with the question's, predict the benchmark
 * answering model's answers: a probe for "best predicts the benchmark model's answers"
 * (issue 12, item 1), run by bench/encoderChoice.ts with `--probe`.
 *
 * Data: the shipped benchmark (data/benchmark: its training queries and ID split, its answering
 * model). The model answers the training queries on their clean scenes, and every evaluated
 * split's queries as that split shows them (image and question shifted, `shiftedQueries`).
 *
 * Target: the part of the model's answer the image decides, read from its answer slots: the
 * colour it names (colour questions), the count, the position, yes/no, and for a description
 * the background (texture and colour). The rest of a sentence repeats the question, and a
 * description's object list makes almost every description answer unique (80 distinct among
 * the 80 training descriptions), which no classifier over seen answers can predict. The label
 * also carries the question kind, so "count:2" and "colour:red" are different classes.
 *
 * Probe: multinomial logistic regression on bilinear features. The image features (the
 * candidate's, L2-normalised) and the question features (the builtin text embedder's) are each
 * reduced by PCA fitted on the training rows to `IMAGE_COMPONENTS` and `TEXT_COMPONENTS`
 * whitened components u and v; the probe sees [u, v, u ⊗ v]. The outer product is what lets a
 * linear model answer "what colour is the square" (the image's colour directions weighed by the
 * question's shape directions); the PCA gives every candidate the same number of inputs,
 * whatever its width. Weights start at zero and train full-batch (Adam, fixed steps), so the
 * fit is deterministic; the L2 penalty is chosen among `PENALTIES` on a seeded quarter of the
 * training rows held out, then the probe is refitted on all of them.
 * Accuracy is the share of a split's queries whose label the probe predicts; a split's answer
 * whose label never occurs in training counts as a miss (`covered` says how many could be hit).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as TfTypes from '@tensorflow/tfjs';
import { loadTfjs } from '../src/backend/tfjs';
import { createEmbedder } from '../src/embed/index';
import { readBenchmarkData, readBenchmarkSettings } from '../src/benchmark/benchmarkFiles';
import { generateQueries } from '../src/benchmark/questions';
import { decodeAnsweringModel, slotAccuracy } from '../src/benchmark/model';
import type { AnswerSlots } from '../src/benchmark/questions';
import { renderScene } from '../src/benchmark/scenes';
import { defaultShiftGrid, shiftedQueries } from '../src/benchmark/splitGrid';
import { rgbaToRgb, type RgbImage } from '../src/io/image';
import { createRng, shuffleInPlace } from '../src/random';

/** Whitened principal components kept of the image features. */
export const IMAGE_COMPONENTS = 16;
/** Whitened principal components kept of the question features. */
export const TEXT_COMPONENTS = 12;
/** L2 penalties tried (on the mean cross-entropy scale). */
export const PENALTIES = [1e-3, 1e-2, 1e-1, 1] as const;
/** Full-batch Adam steps and step size: the loss has flattened by then on these data. */
const STEPS = 200;
const LEARNING_RATE = 0.05;
/** Seeds the held-out quarter and the PCA's subspace iteration. */
export const PROBE_SEED = 12;
/** The ID split first, then image shifts at severity 3 (the probe is about image features) and one joint split. */
export const PROBE_SPLITS = ['shift_none', 'shift_defocus_blur_3', 'shift_frost_3', 'shift_gaussian_noise_3', 'shift_contrast_3', 'shift_frost_3_keyboard_typos_1'] as const;

/** The image-decided part of an answer (see the module comment), prefixed by the question kind. */
export function answerLabel(answer: AnswerSlots): string {
  const slots = answer.slots;
  switch (answer.kind) {
    case 'colour':
      return `colour:${slots.colour}`;
    case 'count':
      return `count:${slots.count}`;
    case 'position':
      return `position:${slots.position}`;
    case 'existence':
      return `existence:${slots.exists}`;
    case 'description':
      return `description:${slots.background?.texture} ${slots.background?.colour}`;
  }
}

/** The probe's data: the images and questions of the training rows and of every evaluated split, with the model's labels. */
export interface ProbeData {
  train: { images: RgbImage[]; questions: string[]; labels: string[] };
  splits: { name: string; images: RgbImage[]; questions: string[]; labels: string[]; modelAccuracy: number }[];
  /** How many queries, and where they came from. */
  source: string;
}

/**
 * Reads the shipped benchmark and lets its answering model answer the training rows and each of
 * `PROBE_SPLITS`. With `trainQueries`, the probe trains instead on that many clean queries
 * generated from the shipped seed + 2 (neither the model's training queries, seed, nor the split
 * queries, seed + 1), to see whether more rows than the shipped 400 change the ranking.
 */
export async function probeData(benchmarkDir: string, trainQueries?: number): Promise<ProbeData> {
  const shipped = readBenchmarkData(benchmarkDir);
  const settings = readBenchmarkSettings(benchmarkDir);
  const data = trainQueries === undefined ? shipped : { ...shipped, train: generateQueries(trainQueries, (settings?.seed ?? 2025) + 2) };
  const model = decodeAnsweringModel(readFileSync(join(benchmarkDir, 'answering-model.json'), 'utf8'));
  const trainImages = data.train.map((query) => renderScene(query.scene));
  const trainAnswers = await model.answer(trainImages, data.train.map((query) => query.question));
  const grid = defaultShiftGrid();
  const splits: ProbeData['splits'] = [];
  for (const name of PROBE_SPLITS) {
    const spec = grid.find((candidate) => candidate.name === name);
    if (!spec) throw new Error(`${name} is not a split of the default grid`);
    const shifted = shiftedQueries(data.queries, spec, { images: data.images });
    const answers = await model.answer(shifted.map((item) => item.image), shifted.map((item) => item.question));
    splits.push({
      name,
      images: shifted.map((item) => rgbaToRgb(item.image)),
      questions: shifted.map((item) => item.question),
      labels: answers.map((answer) => answerLabel(answer.slots)),
      modelAccuracy: slotAccuracy(answers.map((answer) => answer.slots), data.queries.map((query) => query.answerSlots)).accuracy,
    });
  }
  return {
    train: { images: trainImages.map(rgbaToRgb), questions: data.train.map((query) => query.question), labels: trainAnswers.map((answer) => answerLabel(answer.slots)) },
    splits,
    source: `${benchmarkDir}: ${data.train.length} ${trainQueries === undefined ? 'shipped training' : `generated (seed ${(settings?.seed ?? 2025) + 2}) clean`} queries, ${data.queries.length} per split`,
  };
}

/** A fitted PCA: the training mean and the whitening directions (k × d, row-major). */
interface Pca {
  mean: Float64Array;
  directions: Float64Array;
  components: number;
  dimension: number;
}

/**
 * The top `components` principal directions of `rows`, whitened (projections have unit variance
 * on the training rows), by subspace iteration on the n × n Gram matrix of the centred rows
 * (n is a few hundred, d up to 2048): a seeded start, 200 multiply–orthonormalise rounds.
 */
function fitPca(rows: readonly Float32Array[], components: number, seed: number): Pca {
  const n = rows.length;
  const d = rows[0].length;
  const k = Math.min(components, n - 1, d);
  const mean = new Float64Array(d);
  for (const row of rows) for (let j = 0; j < d; j++) mean[j] += row[j] / n;
  const centred = rows.map((row) => Float64Array.from(row, (value, j) => value - mean[j]));
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let dot = 0;
      const ra = centred[a];
      const rb = centred[b];
      for (let j = 0; j < d; j++) dot += ra[j] * rb[j];
      gram[a * n + b] = dot;
      gram[b * n + a] = dot;
    }
  }
  const rng = createRng(seed);
  let basis = Array.from({ length: k }, () => Float64Array.from({ length: n }, () => rng.normal()));
  const orthonormalise = (vectors: Float64Array[]) => {
    vectors.forEach((vector, i) => {
      for (let p = 0; p < i; p++) {
        let dot = 0;
        for (let t = 0; t < n; t++) dot += vector[t] * vectors[p][t];
        for (let t = 0; t < n; t++) vector[t] -= dot * vectors[p][t];
      }
      let norm = 0;
      for (let t = 0; t < n; t++) norm += vector[t] * vector[t];
      norm = Math.sqrt(norm) || 1;
      for (let t = 0; t < n; t++) vector[t] /= norm;
    });
  };
  const times = (vector: Float64Array) => {
    const out = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      let sum = 0;
      for (let b = 0; b < n; b++) sum += gram[a * n + b] * vector[b];
      out[a] = sum;
    }
    return out;
  };
  orthonormalise(basis);
  for (let round = 0; round < 200; round++) {
    basis = basis.map(times);
    orthonormalise(basis);
  }
  // Gram eigenvector g with eigenvalue λ ↔ direction Xᵀg / √λ; whitening divides by √(λ / n) more.
  const directions = new Float64Array(k * d);
  basis.forEach((vector, c) => {
    const image = times(vector);
    let lambda = 0;
    for (let t = 0; t < n; t++) lambda += image[t] * vector[t];
    const scale = lambda > 1e-12 ? 1 / Math.sqrt(lambda) / Math.sqrt(lambda / n) : 0;
    for (let t = 0; t < n; t++) {
      const weight = vector[t] * scale;
      if (weight === 0) continue;
      for (let j = 0; j < d; j++) directions[c * d + j] += weight * centred[t][j];
    }
  });
  return { mean, directions, components: k, dimension: d };
}

function project(pca: Pca, row: Float32Array): Float64Array {
  const out = new Float64Array(pca.components);
  for (let c = 0; c < pca.components; c++) {
    let sum = 0;
    for (let j = 0; j < pca.dimension; j++) sum += (row[j] - pca.mean[j]) * pca.directions[c * pca.dimension + j];
    out[c] = sum;
  }
  return out;
}

/** [u, v, u ⊗ v] per row; without image features (the question-only reference), just v. */
function bilinearFeatures(image: Pca | undefined, text: Pca, imageRows: readonly Float32Array[] | undefined, textRows: readonly Float32Array[]): { data: Float32Array; width: number } {
  const ku = image?.components ?? 0;
  const kv = text.components;
  const width = ku + kv + ku * kv;
  const data = new Float32Array(textRows.length * width);
  textRows.forEach((textRow, i) => {
    const u = image && imageRows ? project(image, imageRows[i]) : new Float64Array(0);
    const v = project(text, textRow);
    const at = i * width;
    data.set(u, at);
    data.set(v, at + ku);
    for (let a = 0; a < ku; a++) for (let b = 0; b < kv; b++) data[at + ku + kv + a * kv + b] = u[a] * v[b];
  });
  return { data, width };
}

/** Softmax regression from zero weights, full batch; returns the predicted class per row of `predict`. */
async function fitAndPredict(tf: typeof TfTypes, x: Float32Array, width: number, labels: Int32Array, classes: number, penalty: number, predict: Float32Array[]): Promise<Int32Array[]> {
  const rows = labels.length;
  const inputs = tf.tensor2d(x, [rows, width]);
  const targets = tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat();
  const weights = tf.variable(tf.zeros([width, classes]));
  const bias = tf.variable(tf.zeros([classes]));
  const optimiser = tf.train.adam(LEARNING_RATE);
  for (let step = 0; step < STEPS; step++) {
    const cost = optimiser.minimize(() => tf.add(tf.losses.softmaxCrossEntropy(targets, tf.add(tf.matMul(inputs, weights), bias)), tf.mul(penalty, tf.sum(tf.square(weights)))) as TfTypes.Scalar, true);
    cost?.dispose();
  }
  const predictions: Int32Array[] = [];
  for (const block of predict) {
    const scores = tf.tidy(() => tf.argMax(tf.add(tf.matMul(tf.tensor2d(block, [block.length / width, width]), weights), bias), 1));
    predictions.push(Int32Array.from(await scores.data()));
    scores.dispose();
  }
  tf.dispose([inputs, targets, weights, bias]);
  optimiser.dispose();
  return predictions;
}

/** A candidate's features: one row per training image, then one per image of each split, in `ProbeData` order. */
export interface ProbeFeatures {
  train: Float32Array[];
  splits: Float32Array[][];
}

/** Per split: the probe's accuracy at predicting the model's labels, and the share of labels seen in training. */
export interface ProbeResult {
  penalty: number;
  accuracy: Record<string, number>;
  /** Mean over the shifted splits (all but the ID split). */
  mean_shifted: number;
  /** All shifted splits' rows pooled: accuracy, rows and its binomial standard error √(p(1 − p)/rows). */
  pooled_shifted: { accuracy: number; rows: number; standard_error: number };
  /** Accuracy by question kind, the shifted splits' rows pooled: where the image features help. */
  shifted_by_kind: Record<string, number>;
}

/** The question features every candidate shares (builtin text embedder, L2-normalised rows). */
export async function questionFeatures(data: ProbeData): Promise<ProbeFeatures> {
  const text = createEmbedder('builtin').text;
  const rowsOf = async (questions: string[]) => {
    const m = await text.embedTexts(questions);
    return Array.from({ length: m.rows }, (_, i) => Float32Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  };
  return { train: await rowsOf(data.train.questions), splits: await Promise.all(data.splits.map((split) => rowsOf(split.questions))) };
}

/** The probe (module comment) for one candidate's image features, or for the question alone when `image` is undefined. */
export async function runAnswerProbe(data: ProbeData, questions: ProbeFeatures, image: ProbeFeatures | undefined): Promise<ProbeResult> {
  const { tf } = await loadTfjs();
  const classNames = [...new Set(data.train.labels)].sort();
  const classOf = new Map(classNames.map((name, index) => [name, index]));
  const labels = Int32Array.from(data.train.labels, (label) => classOf.get(label) as number);
  const textPca = fitPca(questions.train, TEXT_COMPONENTS, PROBE_SEED);
  // Every candidate's rows L2-normalised, as the embedders' are, so no candidate's scale matters.
  const unit = (rows: readonly Float32Array[]) =>
    rows.map((row) => {
      const norm = Math.hypot(...row) || 1;
      return row.map((value) => value / norm);
    });
  const imageTrain = image ? unit(image.train) : undefined;
  const imageSplits = image?.splits.map(unit);
  const imagePca = imageTrain ? fitPca(imageTrain, IMAGE_COMPONENTS, PROBE_SEED + 1) : undefined;
  const train = bilinearFeatures(imagePca, textPca, imageTrain, questions.train);
  const width = train.width;
  // The penalty: a seeded quarter of the training rows held out.
  const order = Int32Array.from({ length: labels.length }, (_, i) => i);
  shuffleInPlace(order, createRng(PROBE_SEED));
  const held = order.subarray(0, Math.floor(labels.length / 4));
  const kept = order.subarray(held.length);
  const pick = (indices: Int32Array) => {
    const out = new Float32Array(indices.length * width);
    indices.forEach((row, i) => out.set(train.data.subarray(row * width, (row + 1) * width), i * width));
    return out;
  };
  let best = { penalty: PENALTIES[0] as number, accuracy: -1 };
  for (const penalty of PENALTIES) {
    const [predicted] = await fitAndPredict(tf, pick(kept), width, Int32Array.from(kept, (row) => labels[row]), classNames.length, penalty, [pick(held)]);
    const accuracy = predicted.filter((value, i) => value === labels[held[i]]).length / held.length;
    // Ties go to the larger penalty, the simpler probe.
    if (accuracy >= best.accuracy) best = { penalty, accuracy };
  }
  const splitFeatures = data.splits.map((_, s) => bilinearFeatures(imagePca, textPca, imageSplits?.[s], questions.splits[s]).data);
  const predictions = await fitAndPredict(tf, train.data, width, labels, classNames.length, best.penalty, splitFeatures);
  const accuracy: Record<string, number> = {};
  data.splits.forEach((split, s) => {
    accuracy[split.name] = Number((predictions[s].filter((value, i) => classNames[value] === split.labels[i]).length / split.labels.length).toFixed(3));
  });
  const shifted = data.splits.slice(1).map((split) => accuracy[split.name]);
  let hits = 0;
  let rows = 0;
  const byKind = new Map<string, { hits: number; rows: number }>();
  data.splits.forEach((split, s) => {
    if (s === 0) return;
    split.labels.forEach((label, i) => {
      const hit = classNames[predictions[s][i]] === label ? 1 : 0;
      const kind = label.slice(0, label.indexOf(':'));
      const tally = byKind.get(kind) ?? { hits: 0, rows: 0 };
      tally.hits += hit;
      tally.rows++;
      byKind.set(kind, tally);
      hits += hit;
      rows++;
    });
  });
  const pooled = hits / rows;
  return {
    penalty: best.penalty,
    accuracy,
    mean_shifted: Number((shifted.reduce((a, b) => a + b, 0) / shifted.length).toFixed(3)),
    pooled_shifted: { accuracy: Number(pooled.toFixed(3)), rows, standard_error: Number(Math.sqrt((pooled * (1 - pooled)) / rows).toFixed(3)) },
    shifted_by_kind: Object.fromEntries([...byKind].sort(([a], [b]) => a.localeCompare(b)).map(([kind, tally]) => [kind, Number((tally.hits / tally.rows).toFixed(3))])),
  };
}

/** Per split: the share of the model's labels that occur among the training labels (the probe's ceiling) and the model's own accuracy. */
export function probeCoverage(data: ProbeData): Record<string, { covered: number; model_accuracy: number }> {
  const seen = new Set(data.train.labels);
  return Object.fromEntries(
    data.splits.map((split) => [split.name, { covered: Number((split.labels.filter((label) => seen.has(label)).length / split.labels.length).toFixed(3)), model_accuracy: Number(split.modelAccuracy.toFixed(3)) }]),
  );
}
