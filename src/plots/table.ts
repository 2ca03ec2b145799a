/**
 * Tables for notebooks and reports: from an array of row objects or anything DataFrame-like
 * (danfojs' `columns` + `values`), to HTML and to fixed-width text.
 */
import { InputError } from '../errors';
import { escapeHtml, formatValue } from './format';

export type Cell = string | number | boolean | null | undefined;

export interface Table {
  columns: string[];
  rows: Cell[][];
}

/** What `tableFrom` accepts: rows as objects, or a DataFrame-like `{ columns, values }`. */
export type TableInput = readonly Record<string, unknown>[] | { columns: readonly string[]; values: readonly (readonly unknown[])[] };

function toCell(value: unknown): Cell {
  if (value === null || value === undefined || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value)) return `<${value.byteLength} bytes>`;
  return JSON.stringify(value);
}

export function tableFrom(input: TableInput | unknown): Table {
  if (Array.isArray(input)) {
    const columns: string[] = [];
    const seen = new Set<string>();
    input.forEach((row, index) => {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new InputError(`expected an object per row, got ${Array.isArray(row) ? 'an array' : typeof row}`, { field: `rows[${index}]` });
      for (const key of Object.keys(row)) {
        if (!seen.has(key)) {
          seen.add(key);
          columns.push(key);
        }
      }
    });
    return { columns, rows: input.map((row: Record<string, unknown>) => columns.map((column) => toCell(row[column]))) };
  }
  if (typeof input === 'object' && input !== null) {
    const frame = input as { columns?: unknown; values?: unknown };
    if (Array.isArray(frame.columns) && Array.isArray(frame.values)) {
      const columns = frame.columns.map(String);
      const rows = (frame.values as unknown[]).map((row, index) => {
        // A one-column danfojs frame (or a Series) gives a flat array of values.
        const cells = Array.isArray(row) ? row : [row];
        if (cells.length !== columns.length) throw new InputError(`row has ${cells.length} values for ${columns.length} columns`, { field: `values[${index}]` });
        return cells.map(toCell);
      });
      return { columns, rows };
    }
  }
  throw new InputError('expected an array of row objects or a DataFrame-like { columns, values }', { field: 'table' });
}

function cellText(cell: Cell, digits: number): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') return Number.isInteger(cell) ? String(cell) : formatValue(cell, digits);
  return String(cell);
}

export interface TableFormatOptions {
  /** Decimals for non-integer numbers (default 4). */
  digits?: number;
  /** Rows shown before the rest is summarised as "… N more rows" (default 200). */
  maxRows?: number;
  caption?: string;
}

function visibleRows(table: Table, maxRows: number): { rows: Cell[][]; hidden: number } {
  if (table.rows.length <= maxRows) return { rows: table.rows, hidden: 0 };
  return { rows: table.rows.slice(0, maxRows), hidden: table.rows.length - maxRows };
}

export function htmlTable(table: Table, options: TableFormatOptions = {}): string {
  const digits = options.digits ?? 4;
  const { rows, hidden } = visibleRows(table, options.maxRows ?? 200);
  const numeric = table.columns.map((_, column) => table.rows.length > 0 && table.rows.every((row) => typeof row[column] === 'number' || row[column] === null || row[column] === undefined));
  const head = table.columns.map((column, index) => `<th${numeric[index] ? ' class="num"' : ''}>${escapeHtml(column)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((cell, index) => `<td${numeric[index] ? ' class="num"' : ''}>${escapeHtml(cellText(cell, digits))}</td>`).join('')}</tr>`)
    .join('\n');
  const more = hidden > 0 ? `\n<tr><td colspan="${table.columns.length}">… ${hidden} more rows</td></tr>` : '';
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : '';
  return `<table class="emishift-table">${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}${more}\n</tbody></table>`;
}

export function textTable(table: Table, options: TableFormatOptions = {}): string {
  const digits = options.digits ?? 4;
  const { rows, hidden } = visibleRows(table, options.maxRows ?? 200);
  const cells = [table.columns, ...rows.map((row) => row.map((cell) => cellText(cell, digits)))];
  const widths = table.columns.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  const numeric = table.columns.map((_, column) => rows.every((row) => typeof row[column] === 'number'));
  const lines = cells.map((row) => row.map((cell, column) => (numeric[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd());
  if (hidden > 0) lines.push(`… ${hidden} more rows`);
  return [options.caption, ...lines].filter((line) => line !== undefined).join('\n');
}
