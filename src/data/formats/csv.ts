/**
 * RFC 4180 CSV: comma-separated, `"`-quoted fields that may hold commas, newlines and doubled
 * quotes; CRLF or LF line ends; a UTF-8 BOM is dropped by the decoder. Blank lines are skipped
 * (as Python's csv module does), and every record must have as many fields as the header.
 */
import { InputError } from '../../errors';
import { assertColumns, buildRows, isQuestionFileLayout, requiredColumns, type BuildRowsOptions, type SourceRecord } from './rows';
import { readTextFile } from './text';
import type { SplitRow } from '../splitRow';

export interface CsvRecord {
  /** 1-based line on which the record starts (records may span lines inside quotes). */
  line: number;
  fields: string[];
}

export function parseCsv(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let inQuotes = false;
  let closedQuote = false;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;

  const endField = () => {
    fields.push(field);
    field = '';
    quoted = false;
    closedQuote = false;
  };
  const endRecord = () => {
    const blank = fields.length === 0 && field === '' && !quoted;
    endField();
    if (!blank) records.push({ line: recordLine, fields });
    fields = [];
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
          closedQuote = true;
        }
      } else {
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        field += c;
      }
      continue;
    }
    if (c === ',') {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else if (c === '"') {
      if (field !== '' || closedQuote) {
        throw new InputError('unexpected \'"\' inside an unquoted field (quote the whole field and double its quotes)', { file, field: `line ${line}` });
      }
      inQuotes = true;
      quoted = true;
      quoteLine = line;
    } else {
      if (closedQuote) {
        throw new InputError(`unexpected character '${c}' after a closing quote (expected ',' or the end of the line)`, { file, field: `line ${line}` });
      }
      field += c;
    }
  }
  if (inQuotes) throw new InputError('unterminated quoted field (a \'"\' opened here is never closed)', { file, field: `line ${quoteLine}` });
  if (fields.length > 0 || field !== '' || quoted) endRecord();
  return records;
}

/** LLaVA ids are integers; keep canonical integer cells numeric so CSV and JSONL tables agree. */
function idFromCell(cell: string): string | number {
  if (/^(0|-?[1-9]\d*)$/.test(cell)) {
    const value = Number(cell);
    if (Number.isSafeInteger(value)) return value;
  }
  return cell;
}

export function parseCsvSplit(text: string, file: string, options: Omit<BuildRowsOptions, 'idFallback'> = {}): SplitRow[] {
  const [header, ...body] = parseCsv(text, file);
  if (!header) throw new InputError('empty file, expected a CSV header', { file });
  const columns = header.fields.map((name) => name.trim());
  const seen = new Set<string>();
  for (const name of columns) {
    if (name !== '' && seen.has(name)) throw new InputError(`column '${name}' appears twice in the header`, { file, field: `line ${header.line}` });
    seen.add(name);
  }
  assertColumns(columns, file, `line ${header.line}`, requiredColumns(columns, options.referenceAnswers));
  if (body.length === 0) throw new InputError('no data rows after the header', { file });
  const index = new Map(columns.map((name, position) => [name, position]));
  const questionColumn = isQuestionFileLayout(columns) ? ('text' as const) : ('question' as const);
  const records: SourceRecord[] = body.map(({ line, fields }) => {
    const where = `line ${line}`;
    if (fields.length !== columns.length) {
      throw new InputError(`${fields.length} field${fields.length === 1 ? '' : 's'}, expected ${columns.length} (as in the header)`, { file, field: where });
    }
    return {
      where,
      questionColumn,
      get: (column: string) => {
        const position = index.get(column);
        if (position === undefined) return undefined;
        if (column === 'question_id') return idFromCell(fields[position]);
        // CSV cannot tell a missing answer from an empty one; pandas writes NaN as ''.
        if (column === 'model_answer' && fields[position] === '') return undefined;
        // Likewise an empty image cell is a row without an image.
        if (column === 'image' && fields[position] === '') return undefined;
        return fields[position];
      },
    };
  });
  return buildRows(records, file, options);
}

export function readCsvSplit(file: string, options: Omit<BuildRowsOptions, 'idFallback'> = {}): SplitRow[] {
  return parseCsvSplit(readTextFile(file, 'CSV with columns question_id, question, reference_answer[, model_answer]'), file, options);
}
