/**
 * Combined JSONL: one query per line, `{"question_id", "question", "reference_answer",
 * "model_answer"}` (the shared text splits use it), or the LLaVA question-file layout
 * `{"question_id", "image", "text"}` whose `image` is a path (read with `options.images`).
 * Other keys are ignored unless kept as `textFields`.
 */
import { parseJsonLines, readTextFile } from './text';
import { assertColumns, buildRows, isQuestionFileLayout, requiredColumns, type BuildRowsOptions, type SourceRecord } from './rows';
import type { SplitRow } from '../splitRow';

export function parseCombinedJsonl(text: string, file: string, options: Omit<BuildRowsOptions, 'idFallback'> = {}): SplitRow[] {
  const records: SourceRecord[] = parseJsonLines(text, file).map(({ line, value }) => {
    const where = `line ${line}`;
    const present = Object.keys(value);
    assertColumns(present, file, where, requiredColumns(present, options.referenceAnswers));
    return { where, get: (column: string) => value[column], questionColumn: isQuestionFileLayout(present) ? 'text' : 'question' };
  });
  return buildRows(records, file, options);
}

export function readCombinedJsonl(file: string, options: Omit<BuildRowsOptions, 'idFallback'> = {}): SplitRow[] {
  return parseCombinedJsonl(readTextFile(file, 'JSON lines {"question_id", "question", "reference_answer", "model_answer"}'), file, options);
}
