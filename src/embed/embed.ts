/**
 * From split rows to an embedding set, in memory: the questions (z_t), model answers (z_ŷ),
 * reference answers (z_y) and, when every row has one and an image embedder is given, the images
 * (z_v), each row L2-normalised, with the set's embedding space and the table's shift. Nothing
 * touches the disk; `embedSplit` (embedSplit.ts) is the same computation with a split folder as
 * its cache, built from the pieces exported here.
 */
import { InputError, isInputError } from '../errors';
import type { EmbeddingSet, EmbeddingSpace, Matrix, ProgressCallback, TextLanguageRecord } from '../interface';
import { SPLIT_FILES } from '../data/splitDirectory';
import type { SplitColumn } from '../data/splitManifest';
import type { SplitTable } from '../data/splitRow';
import { isEmptyImage, type ImageInput } from '../io/image';
import type { Embedder, EmbedderPair, ImageEmbedder } from './embedder';
import { textLanguageCheck } from './textLanguage';

/** The row field each column embeds. */
export const COLUMN_INPUTS: Readonly<Record<SplitColumn, 'question' | 'model_answer' | 'reference_answer' | 'image'>> = {
  text: 'question',
  response: 'model_answer',
  reference: 'reference_answer',
  image: 'image',
};

/** How `embed` calls its embedders: the batch size, the dimension it insists on, and progress. */
export interface EmbedOptions {
  /** Rows per embedder call. Default 32. */
  batchSize?: number | undefined;
  /** Required embedding dimension (e.g. 768 for the public CLUB checkpoint). */
  expectedDimension?: number | undefined;
  onProgress?: ProgressCallback | undefined;
  /** Receives one-line warnings (a split's text mostly outside its text encoder's language); default: console.warn. */
  onWarning?: ((line: string) => void) | undefined;
}

/** One column's inputs, in row order. */
export type ColumnInputs = { column: Exclude<SplitColumn, 'image'>; values: readonly string[] } | { column: 'image'; values: readonly ImageInput[] };

/** A checked table and what embedding it takes: the columns in order and the embedder of each. */
export interface EmbeddingPlan {
  readonly table: SplitTable<ImageInput>;
  readonly rows: number;
  readonly ids: readonly (string | number)[];
  readonly text: Embedder;
  /** The image embedder when the split's images are embedded (every row has one), else undefined. */
  readonly image: ImageEmbedder | undefined;
  readonly batchSize: number;
  readonly expectedDimension: number | undefined;
  /** text, response, reference, then image when embedded. */
  readonly columns: readonly ColumnInputs[];
}

function listIds(ids: readonly (string | number)[], limit = 10): string {
  const shown = ids.slice(0, limit).map(String).join(', ');
  return ids.length > limit ? `${shown} and ${ids.length - limit} more` : shown;
}

/** The embedder of a column under a plan. */
export function embedderOf(plan: EmbeddingPlan, column: SplitColumn): Embedder {
  return column === 'image' ? (plan.image as ImageEmbedder) : plan.text;
}

/** Refuses a dimension other than the expected one (a dimension of 0 is an embedder's "not known yet"). */
export function checkExpectedDimension(plan: EmbeddingPlan, embedder: Embedder, dimension: number): void {
  const expected = plan.expectedDimension;
  if (expected !== undefined && dimension > 0 && dimension !== expected) {
    throw new InputError(`embedder ${embedder.id} produces ${dimension}-dimensional embeddings, expected ${expected}`, { field: 'expectedDimension' });
  }
}

/**
 * Checks the table and the embedders and readies them (loads lazy models): rows without a
 * `model_answer`, question or reference text are refused (InputError naming their question_ids),
 * as are splits where only some rows have an image when an image embedder is given, and
 * embedders whose declared dimensions disagree with each other or with `expectedDimension`.
 */
export async function planEmbedding(table: SplitTable<ImageInput>, embedders: EmbedderPair, options: EmbedOptions = {}): Promise<EmbeddingPlan> {
  const source = table.source;
  const { text, image } = embedders;
  if (!text) throw new InputError('a text embedder is required', { field: 'textEmbedder' });
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`batchSize must be a positive integer, got ${batchSize}`, { field: 'batchSize' });
  const expected = options.expectedDimension;
  if (expected !== undefined && (!Number.isInteger(expected) || expected < 1)) {
    throw new InputError(`expectedDimension must be a positive integer, got ${expected}`, { field: 'expectedDimension' });
  }

  const rows = table.rows;
  const n = rows.length;
  if (n === 0) throw new InputError('the split has no rows', { file: source });
  const ids = rows.map((row) => row.question_id);
  const missingAnswers = rows.filter((row) => typeof row.model_answer !== 'string').map((row) => row.question_id);
  if (missingAnswers.length > 0) {
    throw new InputError(
      `${missingAnswers.length} of ${n} rows have no model_answer (question_id ${listIds(missingAnswers)}); join or collect the model's responses first`,
      { file: source, field: 'model_answer' },
    );
  }
  for (const field of ['question', 'reference_answer'] as const) {
    const bad = rows.filter((row) => typeof row[field] !== 'string').map((row) => row.question_id);
    if (bad.length > 0) throw new InputError(`${bad.length} rows have no ${field} text (question_id ${listIds(bad)})`, { file: source, field });
  }
  let embedImages = false;
  if (image) {
    const without = rows.filter((row) => row.image === undefined || row.image === null || isEmptyImage(row.image)).map((row) => row.question_id);
    if (without.length > 0 && without.length < n) {
      throw new InputError(
        `${without.length} of ${n} rows have no image (question_id ${listIds(without)}); a split is either all images or text-only`,
        { file: source, field: 'image' },
      );
    }
    embedImages = without.length === 0;
  }
  const imageEmbedder = embedImages ? image : undefined;

  const columns: ColumnInputs[] = [
    { column: 'text', values: rows.map((row) => row.question) },
    { column: 'response', values: rows.map((row) => row.model_answer as string) },
    { column: 'reference', values: rows.map((row) => row.reference_answer) },
  ];
  if (imageEmbedder) columns.push({ column: 'image', values: rows.map((row) => row.image as ImageInput) });
  const plan: EmbeddingPlan = { table, rows: n, ids, text, image: imageEmbedder, batchSize, expectedDimension: expected, columns };

  await text.ready?.();
  await imageEmbedder?.ready?.();
  checkExpectedDimension(plan, text, text.dimension);
  if (imageEmbedder) {
    checkExpectedDimension(plan, imageEmbedder, imageEmbedder.dimension);
    if (imageEmbedder.dimension > 0 && text.dimension > 0 && imageEmbedder.dimension !== text.dimension) {
      throw new InputError(
        `image embeddings (${imageEmbedder.id}) are ${imageEmbedder.dimension}-dimensional but text embeddings (${text.id}) are ` +
          `${text.dimension}-dimensional; the query embedding (z_v + z_t) / 2 needs one dimension`,
        { field: 'imageEmbedder' },
      );
    }
  }
  return plan;
}

/** Rows checked finite and scaled to unit norm (the Embedder contract, enforced once more here). */
function normalisedRows(matrix: Matrix, what: string): Float32Array {
  const { rows, cols, data } = matrix;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let c = 0; c < cols; c++) {
      const value = data[r * cols + c];
      if (!Number.isFinite(value)) throw new Error(`${what}: row ${r} has a non-finite value`);
      norm += value * value;
    }
    norm = Math.sqrt(norm);
    if (norm === 0) throw new Error(`${what}: row ${r} is all zeros`);
    for (let c = 0; c < cols; c++) out[r * cols + c] = data[r * cols + c] / norm;
  }
  return out;
}

/**
 * One batch through the embedder. An InputError (an undecodable image, say) is traced to its row
 * by embedding the batch's items one at a time, so the message names the question_id.
 */
async function embedBatch(plan: EmbeddingPlan, entry: ColumnInputs, from: number, to: number): Promise<Matrix> {
  const run = (start: number, end: number): Promise<Matrix> =>
    entry.column === 'image' ? (plan.image as ImageEmbedder).embedImages(entry.values.slice(start, end)) : plan.text.embedTexts(entry.values.slice(start, end));
  try {
    return await run(from, to);
  } catch (error) {
    if (!isInputError(error)) throw error;
    for (let i = from; i < to; i++) {
      try {
        await run(i, i + 1);
      } catch (single) {
        if (isInputError(single)) {
          throw new InputError(`question_id ${String(plan.ids[i])}: ${single.message}`, { file: plan.table.source, field: COLUMN_INPUTS[entry.column] });
        }
        throw single;
      }
    }
    throw error;
  }
}

/** Where a column's embedding starts and what its rows must agree with. */
export interface ColumnBatchesOptions {
  /** First row to embed (rows before it are already done). Default 0. */
  from?: number | undefined;
  /** The column's dimension when rows were done before, which every batch must then match. */
  dimension?: number | undefined;
  /** The other modality's dimension (0 when unknown): the first batch must match it. */
  otherDimension: number;
  /** Receives each batch's L2-normalised rows [from, to) as soon as they are computed. */
  onBatch(values: Float32Array, from: number, to: number, dimension: number): void | Promise<void>;
}

/**
 * Embeds one column from `options.from` to the last row in batches of `plan.batchSize`,
 * checking every batch's shape and handing its normalised rows to `onBatch`. Returns the
 * column's dimension.
 */
export async function embedColumnBatches(plan: EmbeddingPlan, entry: ColumnInputs, options: ColumnBatchesOptions): Promise<number> {
  const embedder = embedderOf(plan, entry.column);
  let dimension = options.dimension;
  for (let from = options.from ?? 0; from < plan.rows; from += plan.batchSize) {
    const to = Math.min(plan.rows, from + plan.batchSize);
    const matrix = await embedBatch(plan, entry, from, to);
    if (matrix.rows !== to - from) throw new Error(`embedder ${embedder.id} returned ${matrix.rows} rows for ${to - from} inputs`);
    if (dimension === undefined) {
      dimension = matrix.cols;
      checkExpectedDimension(plan, embedder, dimension);
      if (options.otherDimension > 0 && options.otherDimension !== dimension) {
        throw new InputError(`${SPLIT_FILES[entry.column]} embeddings are ${dimension}-dimensional, the other columns ${options.otherDimension}-dimensional`, { field: entry.column });
      }
    } else if (matrix.cols !== dimension) {
      throw new Error(`embedder ${embedder.id} changed dimension from ${dimension} to ${matrix.cols} within ${SPLIT_FILES[entry.column]}`);
    }
    await options.onBatch(normalisedRows(matrix, `embedder ${embedder.id}`), from, to, dimension);
  }
  return dimension as number;
}

/** The space rows embedded by these embedders live in (every row is L2-normalised here). */
export function embeddingSpaceOf(text: Embedder, image: Embedder | undefined, dimension: number): EmbeddingSpace {
  return {
    embedder: image && image.family !== text.family ? `${text.family}+${image.family}` : text.family,
    text: { ...text.encoder },
    image: image ? { ...image.encoder } : null,
    dimension,
    normalization: 'l2',
  };
}

/**
 * The check of the plan's text (questions, model answers, references) against the text
 * embedder's language, when it declares one; a text mostly outside it is warned about in one line.
 */
export function checkPlanLanguage(plan: EmbeddingPlan, warn: ((line: string) => void) | undefined): TextLanguageRecord | undefined {
  const language = plan.text.language;
  if (language === undefined) return undefined;
  const texts = plan.columns.flatMap((entry) => (entry.column === 'image' ? [] : (entry.values as readonly string[])));
  const check = textLanguageCheck(texts, language);
  if (check.mostly_outside) {
    (warn ?? console.warn)(`${plan.table.name}: text mostly outside ${plan.text.id}'s language (${language}): ${check.reason}; its vectors carry little meaning (a multilingual encoder: --embedder transformers)`);
  }
  return check;
}

/** The embedding set of a plan's columns (the image matrix only when the plan embeds images). */
export function embeddingSetOf(
  plan: EmbeddingPlan,
  matrices: Readonly<Partial<Record<SplitColumn, Matrix>>>,
  space: EmbeddingSpace,
  origin?: EmbeddingSet['origin'],
  textLanguage?: TextLanguageRecord,
): EmbeddingSet {
  const { table } = plan;
  return {
    name: table.name,
    ...(textLanguage ? { textLanguage } : {}),
    ...(plan.image && matrices.image ? { image: matrices.image } : {}),
    text: matrices.text as Matrix,
    response: matrices.response as Matrix,
    reference: matrices.reference as Matrix,
    space,
    ...(table.shift ? { shift: table.shift } : {}),
    ...(origin ? { origin } : {}),
  };
}

/**
 * Embeds a split in memory: its questions, model answers and reference answers with
 * `embedders.text`, its images (encoded bytes or decoded pixels) with `embedders.image` when
 * every row has one, every row L2-normalised. The set carries the table's name and shift and the
 * space the embedders define. Rejections are those of `planEmbedding`; an undecodable image is an
 * InputError naming its question_id.
 */
export async function embed(table: SplitTable<ImageInput>, embedders: EmbedderPair, options: EmbedOptions = {}): Promise<EmbeddingSet> {
  const plan = await planEmbedding(table, embedders, options);
  const textLanguage = checkPlanLanguage(plan, options.onWarning);
  const total = plan.columns.length * plan.rows;
  let done = 0;
  const matrices: Partial<Record<SplitColumn, Matrix>> = {};
  for (const entry of plan.columns) {
    const other = entry.column === 'image' ? (matrices.text?.cols ?? plan.text.dimension) : (plan.image?.dimension ?? 0);
    const batches: { values: Float32Array; from: number }[] = [];
    const label = `${table.name}: ${entry.column}`;
    options.onProgress?.({ done, total, label, split: table.name, column: entry.column });
    const dimension = await embedColumnBatches(plan, entry, {
      otherDimension: other,
      onBatch: (values, from, to) => {
        batches.push({ values, from });
        done += to - from;
        options.onProgress?.({ done, total, label, split: table.name, column: entry.column });
      },
    });
    const data = new Float32Array(plan.rows * dimension);
    for (const batch of batches) data.set(batch.values, batch.from * dimension);
    matrices[entry.column] = { rows: plan.rows, cols: dimension, data };
  }
  const textDimension = (matrices.text as Matrix).cols;
  return embeddingSetOf(plan, matrices, embeddingSpaceOf(plan.text, plan.image, textDimension), undefined, textLanguage);
}
