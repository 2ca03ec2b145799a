/** Writing results: JSON to stdout, files atomically (never a half-written output), and tables. */
import { formatNumber as formatSingleNumber, formatCoefficient, formatPValue } from '../plots/format';
import { textTable, type Cell, type ColumnSpec } from '../plots/table';

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export { writeFileAtomic } from '../io/atomicWrite';

/** The report's p-value and coefficient formats, so the CLI prints the same strings. */
export { formatCoefficient, formatPValue };

/**
 * An aligned table for human-readable output: text columns left-aligned, number columns
 * right-aligned with one format per column (see numberColumnFormat in src/plots/format.ts),
 * p-value columns (by header name) in the report's p-value format, every row shown.
 */
export function formatTable(header: string[], rows: Cell[][], columns?: Record<string, ColumnSpec>): string {
  return textTable({ columns: header, rows }, { maxRows: Infinity, ...(columns ? { columns } : {}) });
}

/** A single number: 4 significant digits, trailing zeros dropped, rounding noise printed as 0. */
export function formatNumber(value: number): string {
  return formatSingleNumber(value);
}
