/**
 * A synthetic shift benchmark with a known ordering: a grid of image-shift × question-shift
 * severities, where the shift both moves the query embeddings and degrades the model's answers.
 *
 * Every split holds the same queries (latent u_i) and the same reference answers. Split (s_v, s_t):
 *   z_v = norm(A_v u + σ ε_v + s_v · δ_v),  z_t = norm(A_t u + σ ε_t + s_t · δ_t)
 *   ŷ   = norm(B ((1 − q) u + q ξ) + σ_y ε),  q = q₀ + κ (s_v + s_t)   (the model degrades)
 *   y   = norm(B u + σ_y ε_y)                                          (references do not)
 * so EMI falls and every bound term grows with severity. Splits that share a severity share
 * their image or question matrices byte for byte, as in real benchmarks.
 */
import type { EmbeddingSet, EmbeddingSpace, Matrix } from '../interface';
import { describeShift } from '../data/shiftFamilies';
import { createRng, type RandomSource } from '../random';

/** The sampler's own embedding space: its rows come from no encoder. */
export function shiftGridSpace(dimension: number): EmbeddingSpace {
  const encoder = { model: 'emishift-shift-grid-sampler', pooling: 'none (latent mixing + noise)' };
  return { embedder: 'synthetic', text: encoder, image: encoder, dimension, normalization: 'l2' };
}

/**
 * The size and severities of `sampleShiftGrid`'s grid: `rows` queries (default 60) embedded in
 * `dim` coordinates (32) from a `latentDim`-dimensional latent (6), image severities (default
 * 0, 1, 3, 5) × question severities (0, 1, 3), all drawn from `seed` (0). Severity 0 is unshifted.
 */
export interface ShiftGridOptions {
  rows?: number | undefined;
  dim?: number | undefined;
  latentDim?: number | undefined;
  imageSeverities?: readonly number[] | undefined;
  questionSeverities?: readonly number[] | undefined;
  seed?: number | undefined;
}

/** One split of the grid, named `image<s_v>_question<s_t>`, with the two severities it was drawn at. */
export interface ShiftGridSplit extends EmbeddingSet {
  name: string;
  imageSeverity: number;
  questionSeverity: number;
}

const gaussian = (rng: RandomSource, length: number): Float64Array => Float64Array.from({ length }, () => rng.normal());

function normalizeRows(values: Float64Array, rows: number, cols: number): Matrix {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    let norm = 0;
    for (let j = 0; j < cols; j++) norm += values[i * cols + j] ** 2;
    const scale = 1 / Math.sqrt(norm);
    for (let j = 0; j < cols; j++) data[i * cols + j] = values[i * cols + j] * scale;
  }
  return { rows, cols, data };
}

/** rows × cols = (rows × k latent) · (k × cols mixing) + noise + offset. */
function embed(latent: Float64Array, mixing: Float64Array, rows: number, k: number, cols: number, noise: Float64Array, noiseScale: number, offset?: Float64Array): Matrix {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let value = noiseScale * noise[i * cols + j] + (offset ? offset[j] : 0);
      for (let m = 0; m < k; m++) value += latent[i * k + m] * mixing[m * cols + j];
      out[i * cols + j] = value;
    }
  }
  return normalizeRows(out, rows, cols);
}

/** The synthetic shift grid: one split per (image severity, question severity), in its own `synthetic` embedding space. */
export function sampleShiftGrid(options: ShiftGridOptions = {}): ShiftGridSplit[] {
  const rows = options.rows ?? 60;
  const dim = options.dim ?? 32;
  const k = options.latentDim ?? 6;
  const imageSeverities = options.imageSeverities ?? [0, 1, 3, 5];
  const questionSeverities = options.questionSeverities ?? [0, 1, 3];
  const rng = createRng(options.seed ?? 0);
  const latent = gaussian(rng, rows * k);
  const mixImage = gaussian(rng, k * dim);
  const mixQuestion = gaussian(rng, k * dim);
  const mixAnswer = gaussian(rng, k * dim);
  const imageDirection = gaussian(rng, dim);
  const questionDirection = gaussian(rng, dim);
  const reference = embed(latent, mixAnswer, rows, k, dim, gaussian(rng, rows * dim), 0.8);
  const scaled = (direction: Float64Array, severity: number) => direction.map((value) => 0.35 * severity * value);
  const images = new Map(imageSeverities.map((s) => [s, embed(latent, mixImage, rows, k, dim, gaussian(rng, rows * dim), 1, scaled(imageDirection, s))]));
  const questions = new Map(questionSeverities.map((s) => [s, embed(latent, mixQuestion, rows, k, dim, gaussian(rng, rows * dim), 1, scaled(questionDirection, s))]));
  const space = shiftGridSpace(dim);
  const splits: ShiftGridSplit[] = [];
  for (const imageSeverity of imageSeverities) {
    for (const questionSeverity of questionSeverities) {
      const degradation = Math.min(0.95, 0.1 + 0.08 * (imageSeverity + questionSeverity));
      const confused = latent.map((value) => (1 - degradation) * value);
      const distractor = gaussian(rng, rows * k);
      for (let i = 0; i < confused.length; i++) confused[i] += degradation * distractor[i];
      splits.push({
        name: `image${imageSeverity}_question${questionSeverity}`,
        imageSeverity,
        questionSeverity,
        space,
        shift: describeShift([
          ...(imageSeverity > 0 ? [{ family: 'image_offset', severity: imageSeverity }] : []),
          ...(questionSeverity > 0 ? [{ family: 'question_offset', severity: questionSeverity }] : []),
        ]),
        image: images.get(imageSeverity)!,
        text: questions.get(questionSeverity)!,
        response: embed(confused, mixAnswer, rows, k, dim, gaussian(rng, rows * dim), 0.8),
        reference,
      });
    }
  }
  return splits;
}
