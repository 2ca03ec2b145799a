/**
 * Output-side shifts: the queries stay, their answers are replaced. A share `rate` of the rows
 * (round(rate · n), chosen at random) each get the answer of a random OTHER row of the same split
 * (never its own), drawn from the original answers: the marginal distribution of answers barely
 * moves while their pairing with the queries breaks — the label-drift splits of the paper's
 * public fork, at rates 0.2, 0.4, 0.6, 0.8. Two families, by which answers are replaced:
 * - `model_answer_swap`: the model's answers ŷ. EMI falls with the rate (EMID > 0): the model
 *   answers other queries' questions, the harm pointwise EMI should find query by query.
 * - `reference_answer_swap`: the reference answers y (the labels drift). Î(z; z_y) falls, so
 *   EMI rises (EMID < 0): the references, not the model, stop fitting the queries.
 * Seeded: the same (rows, rate, seed) replaces the same rows by the same others. On embedding
 * sets the matrix rows are moved, which is what re-embedding the moved answer texts gives (each
 * row is embedded on its own).
 */
import { InputError } from '../errors';
import type { EmbeddingSet, Matrix, ShiftDescription } from '../interface';
import type { SplitTable } from '../data/splitRow';
import type { ImageInput } from '../io/image';
import { describeShift } from '../data/shiftFamilies';
import { createRng, shuffleInPlace } from '../random';

/** The two output-side families: whose answers are replaced. */
export const ANSWER_SHIFT_NAMES = ['model_answer_swap', 'reference_answer_swap'] as const;

/** An output-side family's token. */
export type AnswerShiftName = (typeof ANSWER_SHIFT_NAMES)[number];

/** The fork's label-drift rates. */
export const ANSWER_SWAP_RATES: readonly number[] = Object.freeze([0.2, 0.4, 0.6, 0.8]);

/**
 * For every row, the row whose answer it gets: itself for the rows kept, a uniformly drawn other
 * row for the round(rate · rows) rows replaced (chosen by a seeded shuffle).
 */
export function answerSwapSources(rows: number, rate: number, seed: number): Int32Array {
  if (!Number.isInteger(rows) || rows < 2) throw new InputError(`needs at least 2 rows to give a row another's answer, got ${rows}`, { field: 'rows' });
  if (!(rate >= 0 && rate <= 1)) throw new InputError(`expected a rate between 0 and 1, got ${rate}`, { field: 'rate' });
  const rng = createRng(seed);
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  shuffleInPlace(order, rng);
  const sources = Int32Array.from({ length: rows }, (_, i) => i);
  const replaced = Math.round(rate * rows);
  for (let k = 0; k < replaced; k++) {
    const row = order[k];
    const other = rng.int(rows - 1);
    sources[row] = other >= row ? other + 1 : other;
  }
  return sources;
}

/** What a swapped split's shift is: its family, the answers' modality, the rate as severity. */
export function answerSwapShift(name: AnswerShiftName, rate: number): ShiftDescription {
  checkName(name);
  return describeShift([{ family: name, severity: rate, modality: 'answer' }]);
}

function checkName(name: string): asserts name is AnswerShiftName {
  if (!(ANSWER_SHIFT_NAMES as readonly string[]).includes(name)) throw new InputError(`expected ${ANSWER_SHIFT_NAMES.join(' or ')}, got '${name}'`, { field: 'answers' });
}

/** What `answerSwapSet` and `answerSwapTable` take: the family, the rate and the seed. */
export interface AnswerSwapOptions {
  name: AnswerShiftName;
  rate: number;
  seed: number;
}

function moveRows(matrix: Matrix, sources: Int32Array): Matrix {
  const data = new (matrix.data.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(matrix.data.length);
  for (let i = 0; i < matrix.rows; i++) data.set(matrix.data.subarray(sources[i] * matrix.cols, (sources[i] + 1) * matrix.cols), i * matrix.cols);
  return { rows: matrix.rows, cols: matrix.cols, data };
}

/**
 * An embedding set with the family's answers swapped (the other answers and the queries as
 * they are), named `<name>_<family>_<rate>` unless `rename` is false, its shift recorded.
 */
export function answerSwapSet(set: EmbeddingSet, options: AnswerSwapOptions & { rename?: boolean }): EmbeddingSet & { sources: Int32Array } {
  checkName(options.name);
  const sources = answerSwapSources(set.text.rows, options.rate, options.seed);
  const column = options.name === 'model_answer_swap' ? 'response' : 'reference';
  const { origin: _origin, ...rest } = set;
  return {
    ...rest,
    ...(set.name !== undefined && options.rename !== false ? { name: `${set.name}_${options.name}_${options.rate}` } : {}),
    [column]: moveRows(set[column], sources),
    shift: answerSwapShift(options.name, options.rate),
    sources,
  };
}

/**
 * A split table with the family's answer texts swapped (model_answer or reference_answer), named
 * `<name>_<family>_<rate>`, its shift recorded; any image type (encoded bytes or decoded pixels, as
 * `answerShiftGrid` gives them) is kept as it is.
 */
export function answerSwapTable<T extends SplitTable<ImageInput>>(table: T, options: AnswerSwapOptions): T {
  checkName(options.name);
  const sources = answerSwapSources(table.rows.length, options.rate, options.seed);
  const field = options.name === 'model_answer_swap' ? 'model_answer' : 'reference_answer';
  if (field === 'model_answer') {
    const missing = table.rows.findIndex((row) => row.model_answer === undefined);
    if (missing >= 0) throw new InputError(`row ${missing} (question ${String(table.rows[missing].question_id)}) has no model answer to swap`, { field: 'model_answer' });
  }
  return {
    ...table,
    name: `${table.name}_${options.name}_${options.rate}`,
    source: `${table.source} (${options.name} at rate ${options.rate}, seed ${options.seed})`,
    shift: answerSwapShift(options.name, options.rate),
    rows: table.rows.map((row, i) => ({ ...row, [field]: table.rows[sources[i]][field] })),
  };
}
