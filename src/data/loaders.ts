/**
 * Loading benchmark splits into plain `SplitTable`s (no danfojs) and joining LLaVA answer files
 * to them. Formats live in `./formats/`; this module picks one and does the joins.
 */
import { basename, extname } from 'node:path';
import { InputError } from '../errors';
import type { SplitRow, SplitTable } from './splitRow';
import { readCombinedJsonl } from './formats/combinedJsonl';
import { readCsvSplit } from './formats/csv';
import { readLlavaAnswers, type LlavaAnswer } from './formats/llavaAnswers';
import { readParquetSplit } from './formats/parquetSplit';
import { assertUniqueIds, firstFew } from './formats/rows';
import { ImagePathReader } from './imagePaths';
import { IN_THE_WILD_EASY_POSITIONS, IN_THE_WILD_HARD_POSITIONS, IN_THE_WILD_QUERY_COUNT, isScenarioName, scenario, scenarioShift } from './scenarios';

export { readCombinedJsonl, parseCombinedJsonl } from './formats/combinedJsonl';
export { readCsvSplit, parseCsvSplit, parseCsv, type CsvRecord } from './formats/csv';
export { readParquetSplit } from './formats/parquetSplit';
export { readLlavaAnswers, parseLlavaAnswers, type LlavaAnswer } from './formats/llavaAnswers';
export { IN_THE_WILD_EASY_POSITIONS, IN_THE_WILD_HARD_POSITIONS, IN_THE_WILD_QUERY_COUNT } from './scenarios';

/**
 * 'jsonl': the combined JSONL; 'llava': a LLaVA answer file whose `prompt` is the question and
 * `text` the reference answer (how LLaVA-Bench ships its GPT-4 answers), joined with the model's
 * answer file through `responses`.
 */
export type SplitFormat = 'jsonl' | 'csv' | 'parquet' | 'llava';
export const SPLIT_FORMATS: readonly SplitFormat[] = ['jsonl', 'csv', 'parquet', 'llava'];

const EXTENSIONS: Record<string, SplitFormat> = { '.jsonl': 'jsonl', '.json': 'jsonl', '.ndjson': 'jsonl', '.csv': 'csv', '.parquet': 'parquet', '.pq': 'parquet' };

/** The format an extension implies; an unknown one is an InputError asking for `format`. */
export function inferSplitFormat(file: string): SplitFormat {
  const format = EXTENSIONS[extname(file).toLowerCase()];
  if (format) return format;
  throw new InputError(
    `cannot tell the format from the extension '${extname(file)}' (known: ${Object.keys(EXTENSIONS).join(', ')}); pass format: ${SPLIT_FORMATS.join(' | ')}`,
    { file },
  );
}

/** The split name a file implies: its base name without extension or the Hugging Face shard suffix. */
export function splitNameFromFile(file: string): string {
  return basename(file, extname(file)).replace(/-\d{5}-of-\d{5}$/, '');
}

/** How `joinAnswers` and `joinResponses` pair a LLaVA answer file's answers with a split's rows. */
export interface JoinResponsesOptions {
  /**
   * Take the answers at these 0-based positions of the answer file, in this order, before
   * joining: 'easy' | 'hard' are the in-the-wild subsets (the file must hold all 60 answers).
   * 'auto' (default) uses the subset when the table's name is the catalog's easy/hard split
   * and the answer file holds 60 answers, as the reference pipeline does; 'none' never does.
   */
  positions?: readonly number[] | 'easy' | 'hard' | 'auto' | 'none' | undefined;
  /**
   * 'id' pairs rows and answers by question_id; 'position' pairs row i with (selected) answer i,
   * as the reference pipeline does. Default: 'position' when positions are selected (a 30-query
   * split numbers its rows 0..29 while the answers keep their 60-query ids), else 'id'.
   */
  match?: 'id' | 'position' | undefined;
  /** id matching: keep only the queries that have an answer instead of failing. */
  dropUnanswered?: boolean | undefined;
  /** id matching: ignore answers for question_ids the split does not have instead of failing. */
  ignoreExtraAnswers?: boolean | undefined;
}

/**
 * The items at `positions`, in that order. Positions must be distinct integers inside the list:
 * a repeat would count one query twice in every estimate.
 */
export function selectRowsByPosition<T>(rows: readonly T[], positions: readonly number[], location: { file?: string; field?: string } = {}): T[] {
  const where = { file: location.file, field: location.field ?? 'positions' };
  const seen = new Set<number>();
  return positions.map((position, index) => {
    if (!Number.isInteger(position) || position < 0 || position >= rows.length) {
      throw new InputError(`position ${position} (entry ${index}) is not a row: expected an integer in 0..${rows.length - 1}`, where);
    }
    if (seen.has(position)) throw new InputError(`position ${position} appears twice (entry ${index})`, where);
    seen.add(position);
    return rows[position];
  });
}

function resolvePositions(table: SplitTable, answers: readonly LlavaAnswer[], option: JoinResponsesOptions['positions']): { positions?: readonly number[]; label?: string } {
  if (option === undefined || option === 'auto') {
    const entry = isScenarioName(table.name) ? scenario(table.name) : undefined;
    if (entry?.answerPositions && answers.length === IN_THE_WILD_QUERY_COUNT) {
      return { positions: entry.answerPositions, label: `the ${entry.visualSeverity} in-the-wild subset` };
    }
    return {};
  }
  if (option === 'none') return {};
  if (option === 'easy' || option === 'hard') {
    return { positions: option === 'easy' ? IN_THE_WILD_EASY_POSITIONS : IN_THE_WILD_HARD_POSITIONS, label: `the ${option} in-the-wild subset` };
  }
  return { positions: option, label: `positions ${firstFew(option)}` };
}

/**
 * Fills `model_answer` of every row from LLaVA answers (already-present answers are replaced).
 * Returns a new table; `table` is not modified. `answersSource` names the answers in errors.
 */
export function joinAnswers(table: SplitTable, answers: readonly LlavaAnswer[], answersSource: string, options: JoinResponsesOptions = {}): SplitTable {
  const file = answersSource;
  if (answers.length === 0) throw new InputError('no answers', { file });
  assertUniqueIds(answers.map((answer) => ({ id: answer.question_id, where: `line ${answer.line}` })), file);

  const { positions, label } = resolvePositions(table, answers, options.positions);
  let selected: readonly LlavaAnswer[] = answers;
  if (positions) {
    const named = options.positions === 'easy' || options.positions === 'hard' || options.positions === undefined || options.positions === 'auto';
    if (named && answers.length !== IN_THE_WILD_QUERY_COUNT) {
      throw new InputError(
        `has ${answers.length} answers, but ${label} indexes the ${IN_THE_WILD_QUERY_COUNT}-answer in-the-wild response file`,
        { file },
      );
    }
    selected = selectRowsByPosition(answers, positions, { file, field: 'positions' });
  }

  const match = options.match ?? (positions ? 'position' : 'id');
  if (match === 'position') {
    if (selected.length !== table.rows.length) {
      const count = positions ? `selecting ${label} gives ${selected.length} answers` : `has ${selected.length} answers`;
      throw new InputError(`${count} but split ${table.name} has ${table.rows.length} queries; position matching pairs them one to one`, { file });
    }
    return { ...table, rows: table.rows.map((row, index) => ({ ...row, model_answer: selected[index].text })) };
  }

  assertUniqueIds(table.rows.map((row, index) => ({ id: row.question_id, where: `row ${index}` })), table.source);
  const byId = new Map(selected.map((answer) => [String(answer.question_id), answer]));
  const queryIds = new Set(table.rows.map((row) => String(row.question_id)));
  const unanswered = table.rows.filter((row) => !byId.has(String(row.question_id))).map((row) => row.question_id);
  const extra = selected.filter((answer) => !queryIds.has(String(answer.question_id))).map((answer) => answer.question_id);
  const problems: string[] = [];
  if (unanswered.length > 0 && !options.dropUnanswered) {
    problems.push(`no answer for question_id ${firstFew(unanswered)} (${unanswered.length} of ${table.rows.length} queries of split ${table.name})`);
  }
  if (extra.length > 0 && !options.ignoreExtraAnswers) {
    problems.push(`answers for question_id ${firstFew(extra)} that split ${table.name} does not have (${extra.length} of ${selected.length} answers)`);
  }
  if (problems.length > 0) {
    const subsetHint =
      selected.length === IN_THE_WILD_QUERY_COUNT && table.rows.length === IN_THE_WILD_EASY_POSITIONS.length
        ? "; for the in-the-wild easy/hard splits pass positions: 'easy' or 'hard'"
        : '; dropUnanswered / ignoreExtraAnswers join the overlap only';
    throw new InputError(problems.join('; ') + subsetHint, { file });
  }
  const rows: SplitRow[] = [];
  for (const row of table.rows) {
    const answer = byId.get(String(row.question_id));
    if (answer) rows.push({ ...row, model_answer: answer.text });
  }
  if (rows.length === 0) throw new InputError(`no answer matches any query of split ${table.name}`, { file });
  return { ...table, rows };
}

/** `joinAnswers` with the answers read from a LLaVA answer file. */
export function joinResponses(table: SplitTable, answersFile: string, options: JoinResponsesOptions = {}): SplitTable {
  return joinAnswers(table, readLlavaAnswers(answersFile), answersFile, options);
}

/** How `readSplitTable` reads a split file: its format, its name, and an answer file to join. */
export interface ReadSplitTableOptions {
  /** Default: from the extension (.jsonl/.json/.ndjson, .csv, .parquet/.pq). */
  format?: SplitFormat | undefined;
  /** Default: the file's base name without extension and Hugging Face shard suffix. */
  name?: string | undefined;
  /** A LLaVA answer file to join (its answers replace any model_answer in the split file). */
  responses?: string | undefined;
  /** How to join `responses`. */
  join?: JoinResponsesOptions | undefined;
  /**
   * JSONL and CSV: the folder that `image` paths (the LLaVA question-file layout) are relative
   * to, and must stay inside. Default: the file's folder, then `<folder>/<file stem>/images/`.
   */
  imageRoot?: string | undefined;
  /** Further text columns to keep in each row's `fields` (a caption for the judge, say); a row without one is an InputError. */
  textFields?: readonly string[] | undefined;
  /** 'optional': rows may lack reference_answer (it is then ''), for collecting answers to a question file. Default 'required'. */
  referenceAnswers?: 'required' | 'optional' | undefined;
}

/** A LLaVA answer file read as a split: `prompt` → question, `text` → reference answer. */
function llavaReferenceRows(file: string): SplitRow[] {
  const answers = readLlavaAnswers(file);
  if (answers.length === 0) throw new InputError('no answers in the file', { file });
  const rows = answers.map((answer) => {
    if (typeof answer.prompt !== 'string' || answer.prompt === '') {
      throw new InputError(`line ${answer.line}: no "prompt" (the question) — a split in the llava format needs it`, { file });
    }
    return { question_id: answer.question_id, question: answer.prompt, reference_answer: answer.text };
  });
  assertUniqueIds(answers.map((answer) => ({ id: answer.question_id, where: `line ${answer.line}` })), file);
  return rows;
}

/** LLaVA answer files keep only their own keys: a text field asked of one is refused rather than found missing on every line. */
function withTextFields(rows: SplitRow[], textFields: readonly string[] | undefined, file: string): SplitRow[] {
  if (textFields !== undefined && textFields.length > 0) {
    throw new InputError(`a split in the llava format has no column ${textFields.join(', ')}; keep it in a JSONL, CSV or parquet split`, { file, field: 'textFields' });
  }
  return rows;
}

/** Loads a benchmark split (combined JSONL, CSV, parquet or a LLaVA answer file) as rows, joining model answers from `responses`. */
export async function readSplitTable(file: string, options: ReadSplitTableOptions = {}): Promise<SplitTable> {
  const format = options.format ?? inferSplitFormat(file);
  let rows: SplitRow[];
  const textFields = options.textFields;
  const rowOptions = () => ({ textFields, referenceAnswers: options.referenceAnswers, images: new ImagePathReader(file, options.imageRoot) });
  if (options.imageRoot !== undefined && format !== 'jsonl' && format !== 'csv') {
    throw new InputError(`image paths are read from JSONL and CSV question files; a ${format} split carries its images itself`, { file, field: 'imageRoot' });
  }
  if (format === 'jsonl') rows = readCombinedJsonl(file, rowOptions());
  else if (format === 'csv') rows = readCsvSplit(file, rowOptions());
  else if (format === 'parquet') rows = await readParquetSplit(file, { textFields });
  else if (format === 'llava') rows = withTextFields(llavaReferenceRows(file), textFields, file);
  else throw new InputError(`unknown format '${String(format)}'; expected ${SPLIT_FORMATS.join(' | ')}`, { file, field: 'format' });
  const name = options.name ?? splitNameFromFile(file);
  // A split of the paper's benchmark brings its shift with it, to its manifest and figures.
  const table: SplitTable = { name, source: file, rows, ...(isScenarioName(name) ? { shift: scenarioShift(scenario(name)) } : {}) };
  return options.responses === undefined ? table : joinResponses(table, options.responses, options.join);
}
