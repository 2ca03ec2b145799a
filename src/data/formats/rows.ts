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
export function buildRows(records: readonly SourceRecord[], file: string, options: { idFallback?: (index: number) => number } = {}): SplitRow[] {
  const rows: SplitRow[] = [];
  let answeredAt: string | undefined;
  let unansweredAt: string | undefined;
  records.forEach((record, index) => {
    const rawId = record.get('question_id');
    const question_id =
      rawId === undefined && options.idFallback ? options.idFallback(index) : checkQuestionId(rawId, file, record.where);
    const row: SplitRow = {
      question_id,
      question: checkText(record.get('question'), 'question', file, record.where),
      reference_answer: checkText(record.get('reference_answer'), 'reference_answer', file, record.where),
    };
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

/** Names the required columns absent from `present`, with a hint when the file is a LLaVA answer file. */
export function assertColumns(present: readonly string[], file: string, where?: string, required: readonly string[] = REQUIRED_COLUMNS): void {
  const missing = required.filter((column) => !present.includes(column));
  if (missing.length === 0) return;
  const looksLikeAnswers = present.includes('text') && present.includes('question_id') && !present.includes('question');
  const hint = looksLikeAnswers ? '; this looks like a LLaVA answer file: pass it as `responses` to join it to a split' : '';
  throw new InputError(
    `missing ${missing.length > 1 ? 'columns' : 'column'} ${missing.join(', ')} (found: ${present.join(', ') || 'none'}); expected ${REQUIRED_COLUMNS.join(', ')} and optionally ${OPTIONAL_COLUMNS.join(', ')}${hint}`,
    { file, field: where },
  );
}
