/**
 * Field validation shared by the split formats: every loader turns a record into a SplitRow
 * through `buildRows`, so the three formats accept and reject the same things and word their
 * errors the same way (file, then `line N` or `row index N`, then the field).
 */
import { InputError } from '../../errors';
import type { SplitRow } from '../splitRow';
import { kindOf } from './text';

export const REQUIRED_COLUMNS = ['question_id', 'question', 'reference_answer'] as const;
export const OPTIONAL_COLUMNS = ['model_answer'] as const;

/** One record as a format reads it: where it is and how to get a field (undefined = absent). */
export interface SourceRecord {
  /** `line 3` (text formats, 1-based) or `row index 3` (parquet, 0-based). */
  where: string;
  get(column: string): unknown;
  /** The column holding the question: `text` in the LLaVA question-file layout (see `isQuestionFileLayout`); default `question`. */
  questionColumn?: 'question' | 'text';
}

/** Formats the first few of a list for an error message: `3, 7, 12 and 4 more`. */
export function firstFew(items: readonly (string | number)[], limit = 5): string {
  const shown = items.slice(0, limit).map(String).join(', ');
  return items.length > limit ? `${shown} and ${items.length - limit} more` : shown;
}

/** LLaVA ids are integers; other benchmarks use strings. Anything else is a type error. */
export function checkQuestionId(value: unknown, file: string, where: string): string | number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (typeof value === 'string' && value !== '') return value;
  const got = typeof value === 'number' ? String(value) : value === '' ? 'an empty string' : kindOf(value);
  throw new InputError(`expected an integer or a non-empty string, got ${got}`, { file, field: `${where}: question_id` });
}

export function checkText(value: unknown, column: string, file: string, where: string): string {
  if (typeof value === 'string') return value;
  throw new InputError(`expected a string, got ${kindOf(value)}`, { file, field: `${where}: ${column}` });
}

/** Rejects repeated question_ids (compared as strings, as joins compare them), naming where each occurs. */
export function assertUniqueIds(ids: readonly { id: string | number; where: string }[], file: string, what = 'question_id'): void {
  const seen = new Map<string, string[]>();
  for (const { id, where } of ids) {
    const key = String(id);
    const places = seen.get(key);
    if (places) places.push(where);
    else seen.set(key, [where]);
  }
  const repeated = [...seen].filter(([, places]) => places.length > 1).map(([id, places]) => `${id} (${places.join(', ')})`);
  if (repeated.length > 0) {
    throw new InputError(`duplicate ${what}${repeated.length > 1 ? 's' : ''}: ${firstFew(repeated, 3)}; every query needs its own id`, { file });
  }
}

/**
 * Validates records into rows. `model_answer` is all-or-nothing: a split either carries the
 * model's answers or gets them joined later, and a partial column would silently drop rows
 * from the response side.
 */
export function buildRows(records: readonly SourceRecord[], file: string, options: BuildRowsOptions = {}): SplitRow[] {
  const rows: SplitRow[] = [];
  let answeredAt: string | undefined;
  let unansweredAt: string | undefined;
  records.forEach((record, index) => {
    const rawId = record.get('question_id');
    const question_id =
      rawId === undefined && options.idFallback ? options.idFallback(index) : checkQuestionId(rawId, file, record.where);
    const questionColumn = record.questionColumn ?? 'question';
    const reference = record.get('reference_answer');
    const row: SplitRow = {
      question_id,
      question: checkText(record.get(questionColumn), questionColumn, file, record.where),
      reference_answer: reference === undefined && options.referenceAnswers === 'optional' ? '' : checkText(reference, 'reference_answer', file, record.where),
    };
    if (options.textFields !== undefined && options.textFields.length > 0) {
      row.fields = Object.fromEntries(options.textFields.map((name) => [name, fieldText(record.get(name), name, file, record.where)]));
    }
    if (options.images !== undefined) {
      const image = record.get('image');
      if (typeof image === 'string' && image !== '') row.image = options.images.read(image, record.where);
      else if (image !== undefined && image !== null && image !== '') throw new InputError(`expected an image path (a string), got ${kindOf(image)}`, { file, field: `${record.where}: image` });
    }
    const answer = record.get('model_answer');
    if (answer === undefined || answer === null) {
      unansweredAt ??= record.where;
    } else {
      row.model_answer = checkText(answer, 'model_answer', file, record.where);
      answeredAt ??= record.where;
    }
    if (answeredAt !== undefined && unansweredAt !== undefined) {
      throw new InputError(`model_answer is missing at ${unansweredAt} but present at ${answeredAt}; give every query a model answer or none`, {
        file,
      });
    }
    rows.push(row);
  });
  assertUniqueIds(rows.map((row, index) => ({ id: row.question_id, where: records[index].where })), file);
  return rows;
}

/** How `buildRows` reads records beyond the required columns. */
export interface BuildRowsOptions {
  /** The question_id of a record without one (parquet: its row index). */
  idFallback?: ((index: number) => number) | undefined;
  /** Further text columns to keep in `row.fields` (a string, or a list of strings joined by newlines). */
  textFields?: readonly string[] | undefined;
  /** Reads a record's `image` path; without it the column is not read (parquet reads its own bytes). */
  images?: { read(path: string, where: string): Uint8Array } | undefined;
  /** 'optional': a record without reference_answer gets '' (for collecting answers to a question file); default 'required'. */
  referenceAnswers?: 'required' | 'optional' | undefined;
}

/**
 * A LLaVA question-file line (`question_id`, `image`, `text`): `text` is the question when there
 * is no `question` and none of an answer file's keys (`prompt`, `answer_id`), whose `text` is an answer.
 */
export function isQuestionFileLayout(present: readonly string[]): boolean {
  const has = (column: string) => present.includes(column);
  return !has('question') && has('text') && has('image') && !has('prompt') && !has('answer_id');
}

/** A kept text field: a string, or a list of strings (LLaVA-Bench's COCO captions) joined by newlines, as its review script joins them. */
function fieldText(value: unknown, name: string, file: string, where: string): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join('\n');
  const got = value === undefined ? 'nothing (the field is missing)' : kindOf(value);
  throw new InputError(`expected a string or a list of strings, got ${got}`, { file, field: `${where}: ${name}` });
}

/**
 * The columns a record or header with `present` must have: question_id, its question (`question`,
 * or `text` in the question-file layout) and, unless optional, reference_answer.
 */
export function requiredColumns(present: readonly string[], referenceAnswers: BuildRowsOptions['referenceAnswers'] = 'required'): string[] {
  const questionFile = isQuestionFileLayout(present);
  return ['question_id', questionFile ? 'text' : 'question', ...(referenceAnswers === 'optional' ? [] : ['reference_answer'])];
}

/** Names the required columns absent from `present`, with a hint when the file is a LLaVA answer file. */
export function assertColumns(present: readonly string[], file: string, where?: string, required: readonly string[] = REQUIRED_COLUMNS): void {
  const missing = required.filter((column) => !present.includes(column));
  if (missing.length === 0) return;
  const questionFile = isQuestionFileLayout(present);
  const looksLikeAnswers = !questionFile && present.includes('text') && present.includes('question_id') && !present.includes('question');
  const hint = looksLikeAnswers
    ? '; this looks like a LLaVA answer file: pass it as `responses` to join it to a split'
    : questionFile && missing.includes('reference_answer')
      ? '; a LLaVA question file has no reference answers: add reference_answer to every row (collecting answers needs none)'
      : '';
  throw new InputError(
    `missing ${missing.length > 1 ? 'columns' : 'column'} ${missing.join(', ')} (found: ${present.join(', ') || 'none'}); expected ${REQUIRED_COLUMNS.join(', ')} and optionally ${OPTIONAL_COLUMNS.join(', ')}${hint}`,
    { file, field: where },
  );
}
