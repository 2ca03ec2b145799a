/**
 * Combined JSONL: one query per line, `{"question_id", "question", "reference_answer",
 * "model_answer"}` (the shared text splits use it). Other keys are ignored.
 */
import { parseJsonLines, readTextFile } from './text';
import { assertColumns, buildRows, type SourceRecord } from './rows';
import type { SplitRow } from '../splitRow';

export function parseCombinedJsonl(text: string, file: string): SplitRow[] {
  const records: SourceRecord[] = parseJsonLines(text, file).map(({ line, value }) => {
    const where = `line ${line}`;
    assertColumns(Object.keys(value), file, where);
    return { where, get: (column: string) => value[column] };
  });
  return buildRows(records, file);
}

export function readCombinedJsonl(file: string): SplitRow[] {
  return parseCombinedJsonl(readTextFile(file, 'JSON lines {"question_id", "question", "reference_answer", "model_answer"}'), file);
}
