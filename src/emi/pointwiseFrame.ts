/**
 * Pointwise EMI beside the queries' text, for notebooks: each row's terms joined with the split
 * table's question, model answer and reference answer, as plain rows or as a danfojs DataFrame
 * (the optional peer danfojs-node, loaded on first use). The join goes by question id when the
 * pointwise result has ids (the split folder's manifest), by row order otherwise.
 */
import type { DataFrame } from 'danfojs-node';
import { InputError } from '../errors';
import type { SplitRow, SplitTable } from '../data/splitRow';
import type { ImageInput } from '../io/image';
import { loadOptionalPeer } from '../optionalPeers';
import type { PointwiseEmiResult, PointwiseEmiRow } from './pointwiseEmi';

/** A pointwise row with its query's text (null where the table has no such query or field). */
export interface PointwiseEmiTextRow extends PointwiseEmiRow {
  question: string | null;
  model_answer: string | null;
  reference_answer: string | null;
}

/**
 * The rows of `result` with the text of `table` (a SplitTable or its rows): by question id when
 * the result has ids (ids compared as strings; an id the table lacks gets null text), by row
 * order otherwise (then the table must have as many rows). Without a table, the text is null.
 * The table's images, of any type (encoded or decoded), are not read.
 */
export function joinPointwiseText(result: PointwiseEmiResult, table?: SplitTable<ImageInput> | readonly SplitRow<ImageInput>[]): PointwiseEmiTextRow[] {
  const rows: readonly SplitRow<ImageInput>[] | undefined = table === undefined ? undefined : 'rows' in table ? table.rows : table;
  const empty = { question: null, model_answer: null, reference_answer: null };
  if (!rows) return result.rows.map((row) => ({ ...row, ...empty }));
  const text = (source: SplitRow<ImageInput> | undefined) =>
    source ? { question: source.question, model_answer: source.model_answer ?? null, reference_answer: source.reference_answer } : empty;
  const hasIds = result.rows.every((row) => row.question_id !== undefined);
  if (hasIds) {
    const byId = new Map(rows.map((row) => [String(row.question_id), row]));
    const joined = result.rows.map((row) => ({ ...row, ...text(byId.get(String(row.question_id))) }));
    if (result.rows.length > 0 && joined.every((row) => row.question === null)) {
      throw new InputError(`none of the split's ${result.rows.length} question ids is in the table (${rows.length} rows): is it the same split?`, { field: 'table' });
    }
    return joined;
  }
  if (rows.length !== result.rows.length) {
    throw new InputError(`the split has no question ids, so rows join by order, but the table has ${rows.length} rows and the split ${result.rows.length}`, { field: 'table' });
  }
  return result.rows.map((row, i) => ({ ...row, ...text(rows[i]) }));
}

type Danfo = typeof import('danfojs-node');

/**
 * A DataFrame with one row per query: row, question_id (when known), emi, mi_model, mi_ref, and
 * question, model_answer, reference_answer from `table` (see joinPointwiseText). Sort it by
 * `emi` ascending for the queries a shift hurts most. Needs the optional peer danfojs-node.
 */
export function pointwiseEmiFrame(result: PointwiseEmiResult, table?: SplitTable<ImageInput> | readonly SplitRow<ImageInput>[]): DataFrame {
  const danfo = loadOptionalPeer<Danfo>('danfojs-node', 'pointwiseEmiFrame');
  const rows = joinPointwiseText(result, table);
  const hasIds = rows.length > 0 && rows.every((row) => row.question_id !== undefined);
  const numericIds = hasIds && rows.every((row) => typeof row.question_id === 'number');
  const columns: Record<string, unknown[]> = { row: rows.map((row) => row.row) };
  if (hasIds) columns.question_id = rows.map((row) => (numericIds ? row.question_id : String(row.question_id)));
  columns.emi = rows.map((row) => row.emi);
  columns.mi_model = rows.map((row) => row.mi_model);
  columns.mi_ref = rows.map((row) => row.mi_ref);
  if (table !== undefined) {
    columns.question = rows.map((row) => row.question);
    columns.model_answer = rows.map((row) => row.model_answer);
    columns.reference_answer = rows.map((row) => row.reference_answer);
  }
  if (rows.length === 0) return new danfo.DataFrame([], { columns: Object.keys(columns) });
  // danfojs types its constructor input loosely; the record of equal-length arrays is what it expects.
  return new danfo.DataFrame(columns as never);
}
