/**
 * Tables for notebooks, reports and the CLI: from an array of row objects or anything
 * DataFrame-like (danfojs' `columns` + `values`), to HTML and to fixed-width text.
 *
 * Each number column gets one format from all of its values (see numberColumnFormat in
 * format.ts); p-value columns (by name, or declared) print with formatPValue; intervals print
 * both ends in their column's format. Text columns are left-aligned, number columns (numbers,
 * intervals, or strings that read as numbers) right-aligned, in HTML and in text alike.
 */
import { InputError } from '../errors';
import { escapeHtml, formatCoefficient, formatPValue, formatWith, isPValueColumn, numberColumnFormat, type NumberFormat } from './format';

/** An interval cell: both ends print in the column's number format. */
export type IntervalCell = readonly [number, number];

export type Cell = string | number | boolean | null | undefined | IntervalCell;

export interface Table {
  columns: string[];
  rows: Cell[][];
}

/** What `tableFrom` accepts: rows as objects, or a DataFrame-like `{ columns, values }`. */
export type TableInput = readonly Record<string, unknown>[] | { columns: readonly string[]; values: readonly (readonly unknown[])[] };

function isIntervalCell(value: unknown): value is IntervalCell {
  return Array.isArray(value) && value.length === 2 && value.every((end) => typeof end === 'number');
}

function toCell(value: unknown): Cell {
  if (value === null || value === undefined || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (isIntervalCell(value)) return [value[0], value[1]];
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value)) return `<${value.byteLength} bytes>`;
  return JSON.stringify(value);
}

/** A Table from row objects (columns in order of first appearance) or a DataFrame-like object. */
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
        const cells = Array.isArray(row) && !(columns.length === 1 && isIntervalCell(row)) ? row : [row];
        if (cells.length !== columns.length) throw new InputError(`row has ${cells.length} values for ${columns.length} columns`, { field: `values[${index}]` });
        return cells.map(toCell);
      });
      return { columns, rows };
    }
  }
  throw new InputError('expected an array of row objects or a DataFrame-like { columns, values }', { field: 'table' });
}

/** How one column prints. */
export interface ColumnSpec {
  /**
   * `number` (default for numbers): one format for the column; `p-value`: formatPValue per cell
   * (the default for columns named like p-values); `coefficient`: 3 decimals.
   */
  format?: 'number' | 'p-value' | 'coefficient';
  /** Significant digits of the column's largest magnitude, for `number` (default: the table's). */
  significant?: number;
  /** Alignment (default: right for number columns, left for text). */
  align?: 'left' | 'right';
  /** A tooltip for the column header (HTML only). */
  description?: string;
}

export interface TableFormatOptions {
  /** Significant digits of each number column's largest magnitude (default 4). */
  digits?: number | undefined;
  /** Rows shown before the rest is summarised as "… N more rows" (default 200). */
  maxRows?: number | undefined;
  caption?: string | undefined;
  /** Per column name: its format and alignment. */
  columns?: Record<string, ColumnSpec> | undefined;
}

const NUMERIC_TEXT = /^[-+−]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?%?$|^[[(][^,]+,[^,]+[\])]$|^(NaN|-?Infinity)$/i;

/** Cells as text, and per column whether it reads as numbers (so is right-aligned). */
function renderCells(table: Table, rows: Cell[][], options: TableFormatOptions): { text: string[][]; numeric: boolean[] } {
  const formats = table.columns.map((name, column) => {
    const spec = options.columns?.[name] ?? {};
    const kind = spec.format ?? (isPValueColumn(name) ? 'p-value' : 'number');
    // The format comes from every row, shown or not, so a truncated table prints like the full one.
    const numbers = table.rows.flatMap((row) => {
      const cell = row[column];
      return typeof cell === 'number' ? [cell] : isIntervalCell(cell) ? [...cell] : [];
    });
    return { kind, format: numberColumnFormat(numbers, { significant: spec.significant ?? options.digits ?? 4 }) };
  });
  const numberText = (value: number, column: number): string => {
    const { kind, format } = formats[column];
    if (kind === 'p-value') return formatPValue(value);
    if (kind === 'coefficient') return formatCoefficient(value);
    return formatWith(value, format as NumberFormat);
  };
  const text = rows.map((row) =>
    row.map((cell, column) => {
      if (cell === null || cell === undefined) return '';
      if (typeof cell === 'number') return numberText(cell, column);
      if (isIntervalCell(cell)) return `[${numberText(cell[0], column)}, ${numberText(cell[1], column)}]`;
      return String(cell);
    }),
  );
  const numeric = table.columns.map((name, column) => {
    const align = options.columns?.[name]?.align;
    if (align) return align === 'right';
    const cells = table.rows.map((row) => row[column]).filter((cell) => cell !== null && cell !== undefined && cell !== '');
    return cells.length > 0 && cells.every((cell) => typeof cell === 'number' || isIntervalCell(cell) || (typeof cell === 'string' && NUMERIC_TEXT.test(cell.trim())));
  });
  return { text, numeric };
}

function visibleRows(table: Table, maxRows: number): { rows: Cell[][]; hidden: number } {
  if (table.rows.length <= maxRows) return { rows: table.rows, hidden: 0 };
  return { rows: table.rows.slice(0, maxRows), hidden: table.rows.length - maxRows };
}

/** The table as an HTML <table class="emishift-table"> (number cells carry class="num"). */
export function htmlTable(table: Table, options: TableFormatOptions = {}): string {
  const { rows, hidden } = visibleRows(table, options.maxRows ?? 200);
  const { text, numeric } = renderCells(table, rows, options);
  const head = table.columns
    .map((column, index) => {
      const description = options.columns?.[column]?.description;
      return `<th${numeric[index] ? ' class="num"' : ''}${description ? ` title="${escapeHtml(description)}"` : ''}>${escapeHtml(column)}</th>`;
    })
    .join('');
  // Split names are long and unspaced: a text cell may wrap after an underscore when space runs out.
  const cellHtml = (cell: string, index: number) => (numeric[index] ? escapeHtml(cell) : escapeHtml(cell).replace(/_/g, '_<wbr>'));
  const body = text.map((row) => `<tr>${row.map((cell, index) => `<td${numeric[index] ? ' class="num"' : ''}>${cellHtml(cell, index)}</td>`).join('')}</tr>`).join('\n');
  const more = hidden > 0 ? `\n<tr><td colspan="${table.columns.length}">… ${hidden} more rows</td></tr>` : '';
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : '';
  return `<table class="emishift-table">${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}${more}\n</tbody></table>`;
}

/** The table as aligned plain text: text columns padded on the right, number columns on the left. */
export function textTable(table: Table, options: TableFormatOptions = {}): string {
  const { rows, hidden } = visibleRows(table, options.maxRows ?? 200);
  const { text, numeric } = renderCells(table, rows, options);
  const cells = [table.columns, ...text];
  const widths = table.columns.map((_, column) => Math.max(...cells.map((row) => [...row[column]].length)));
  const pad = (cell: string, column: number) => {
    const fill = ' '.repeat(widths[column] - [...cell].length);
    return numeric[column] ? fill + cell : cell + fill;
  };
  const lines = cells.map((row) => row.map(pad).join('  ').trimEnd());
  if (hidden > 0) lines.push(`… ${hidden} more rows`);
  return [options.caption, ...lines].filter((line) => line !== undefined).join('\n');
}
