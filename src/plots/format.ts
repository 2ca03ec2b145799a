/**
 * Number formatting shared by the CLI, the HTML report, notebook tables and figure titles, plus
 * the small input checks and helpers the figures use.
 *
 * The rules, in one place so every output agrees:
 * - A table column has ONE format, chosen from all of its values: fixed decimals such that the
 *   largest magnitude shows `significant` significant digits (default 4) and the smallest
 *   non-zero one at least 2, capped at 6 decimals; then decimals no value needs are dropped (a
 *   published 0.579 prints as 0.579, never 0.5790; 0.5790476 keeps its 0.5790). Columns whose magnitudes are all
 *   below 0.001 or reach 10^6 use exponent notation with a common mantissa length instead.
 * - A value within rounding noise of zero (|x| below 1e-9 of the column's largest magnitude, or
 *   below 1e-12) prints as 0: an RJSD of −4.44e-16 between identical question sets is 0.
 * - Correlation coefficients print with 3 decimals, like the published numbers.
 * - p-values print with 3 significant digits, trailing zeros dropped, in exponent notation below
 *   0.001 (`0.0123`, `0.05`, `9.15e-11`): the same function serves the CLI and the report.
 * - Minus signs are ASCII hyphen-minus, so numbers copy into code and spreadsheets unchanged.
 */
import { InputError } from '../errors';

/** Relative size below which a value counts as rounding noise around zero. */
const RELATIVE_ZERO = 1e-9;
/** Absolute floor for the same: float64 sums of O(1) quantities are exact to about 1e-16. */
const ABSOLUTE_ZERO = 1e-12;
const MAX_DECIMALS = 6;

/** How every number of one column is written (see numberColumnFormat). */
export type NumberFormat =
  | { kind: 'fixed'; decimals: number; zeroBelow: number }
  | { kind: 'exponential'; significant: number; zeroBelow: number };

export interface ColumnFormatOptions {
  /** Significant digits of the column's largest magnitude (default 4). */
  significant?: number | undefined;
}

/** Decimals that give `significant` significant digits to a value of magnitude `magnitude`. */
function decimalsFor(magnitude: number, significant: number): number {
  return Math.max(0, significant - 1 - Math.floor(Math.log10(magnitude)));
}

/** Relative error within which a shorter rendering still is the value itself. */
const EXACT = 1e-9;

/**
 * The fewest decimals (up to `most`) that reproduce the value: 0.579 needs 3, however many
 * decimals its column allows, while 0.5790476 needs all 4 of a 4-decimal column.
 */
function neededDecimals(value: number, most: number): number {
  for (let decimals = 0; decimals < most; decimals++) {
    if (Math.abs(Number(value.toFixed(decimals)) - value) <= Math.abs(value) * EXACT) return decimals;
  }
  return most;
}

/** The same for the mantissa of exponent notation. */
function neededMantissaDecimals(value: number, most: number): number {
  for (let decimals = 0; decimals < most; decimals++) {
    if (Math.abs(Number(value.toExponential(decimals)) - value) <= Math.abs(value) * EXACT) return decimals;
  }
  return most;
}

/**
 * The one format for a column of numbers (null, undefined and non-finite entries are ignored
 * when choosing it). See the module comment for the rules.
 */
export function numberColumnFormat(values: readonly (number | null | undefined)[], options: ColumnFormatOptions = {}): NumberFormat {
  const significant = Math.max(1, Math.round(options.significant ?? 4));
  const finite = values.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  const largest = finite.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  const zeroBelow = Math.max(largest * RELATIVE_ZERO, ABSOLUTE_ZERO);
  const kept = finite.filter((value) => Math.abs(value) >= zeroBelow);
  if (kept.length === 0) return { kind: 'fixed', decimals: 0, zeroBelow };
  const smallest = kept.reduce((min, value) => Math.min(min, Math.abs(value)), Infinity);
  if (largest < 1e-3 || largest >= 1e6) {
    const used = Math.max(...kept.map((value) => neededMantissaDecimals(value, significant - 1)));
    return { kind: 'exponential', significant: used + 1, zeroBelow };
  }
  const wanted = Math.min(MAX_DECIMALS, Math.max(decimalsFor(largest, significant), decimalsFor(smallest, 2)));
  const decimals = Math.max(...kept.map((value) => neededDecimals(value, wanted)));
  return { kind: 'fixed', decimals, zeroBelow };
}

/** One value in a column's format; non-finite values print as NaN, Infinity, -Infinity. */
export function formatWith(value: number, format: NumberFormat): string {
  if (!Number.isFinite(value)) return String(value);
  const snapped = Math.abs(value) < format.zeroBelow ? 0 : value;
  const text = format.kind === 'fixed' ? snapped.toFixed(format.decimals) : snapped.toExponential(format.significant - 1);
  // Rounding can leave a sign on a zero (-0.0000); zero has no sign.
  return /^-0(\.0*)?(e[+-]?\d+)?$/.test(text) ? text.slice(1) : text;
}

/** A column of numbers in its one format (empty strings for null and undefined). */
export function formatNumberColumn(values: readonly (number | null | undefined)[], options: ColumnFormatOptions = {}): string[] {
  const format = numberColumnFormat(values, options);
  return values.map((value) => (typeof value === 'number' ? formatWith(value, format) : ''));
}

/** A single number with 4 significant digits (trailing zeros dropped), 0 for rounding noise. */
export function formatNumber(value: number, options: ColumnFormatOptions = {}): string {
  return formatWith(value, numberColumnFormat([value], options));
}

/** An interval `[lower, upper]`, both ends in `format` (default: a format chosen for the pair). */
export function formatInterval(interval: readonly [number, number], format: NumberFormat = numberColumnFormat(interval)): string {
  return `[${formatWith(interval[0], format)}, ${formatWith(interval[1], format)}]`;
}

/** A correlation coefficient as printed everywhere (3 decimals, like the published numbers). */
export function formatCoefficient(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return formatWith(value, { kind: 'fixed', decimals: 3, zeroBelow: ABSOLUTE_ZERO });
}

/**
 * A p-value: 3 significant digits without trailing zeros, in exponent notation below 0.001 so
 * the strong correlations do not print as 0.000. The CLI and the report both print with this.
 */
export function formatPValue(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  if (p === 0) return '0';
  if (p < 1e-3) return p.toExponential(2);
  const text = p.toPrecision(3);
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/**
 * Fixed decimals for a single number in running text (e.g. a fitted slope in a legend); values
 * too small for `digits` decimals switch to exponent notation instead of printing as zero.
 */
export function formatValue(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 10 ** -digits) return value.toExponential(2);
  return formatWith(value, { kind: 'fixed', decimals: digits, zeroBelow: 0 });
}

/** Column names that hold p-values (`p-value`, `p`, `PearsonPval`, `spearman_pval`, …). */
export function isPValueColumn(name: string): boolean {
  return /^p$/i.test(name.trim()) || /(^|[\s_(-])p[\s_-]?val(ue)?s?\b/i.test(name) || /[a-z]Pval$/.test(name) || /_pval$/i.test(name);
}

/** `#rrggbb` with an alpha, for interval bands drawn under their line. */
export function withAlpha(hex: string, alpha: number): string {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}

/**
 * Split names share long prefixes (`llava_bench_coco_…`) that crowd a category axis; the common
 * prefix up to an underscore is dropped from the labels and named once in the axis title.
 */
export function shortSplitLabels(names: readonly string[]): { labels: string[]; prefix: string } {
  if (names.length < 2) return { labels: [...names], prefix: '' };
  let prefix = names[0];
  for (const name of names) {
    let i = 0;
    while (i < prefix.length && i < name.length && prefix[i] === name[i]) i++;
    prefix = prefix.slice(0, i);
  }
  const cut = prefix.lastIndexOf('_') + 1;
  prefix = prefix.slice(0, cut);
  // A name equal to the prefix minus its underscore (the un-suffixed split) keeps its full name.
  if (prefix === '' || names.some((name) => name.length <= prefix.length)) return { labels: [...names], prefix: '' };
  return { labels: names.map((name) => name.slice(prefix.length)), prefix };
}

/** Text safe inside HTML elements and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A finite number, or an InputError naming where the bad value is. */
export function requireFinite(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    const shown = typeof value === 'number' ? String(value) : value === null ? 'null (NaN in the file?)' : value === undefined ? 'missing' : JSON.stringify(value);
    throw new InputError(`expected a finite number, got ${shown}`, { field: where });
  }
  return value;
}

/** An InputError when there is nothing to plot. */
export function requireNonEmpty(length: number, what: string): void {
  if (length === 0) throw new InputError(`no points to plot`, { field: what });
}

/** Correlations over fewer than 3 points have no p-value: refused rather than drawn empty. */
export function requireCorrelatable(length: number, what: string): void {
  if (length < 3) throw new InputError(`${length} point${length === 1 ? '' : 's'}: a correlation needs at least 3`, { field: what });
}

/** An InputError when every value is the same (a correlation with it is undefined). */
export function requireVarying(values: readonly number[], what: string): void {
  if (values.every((value) => value === values[0])) {
    throw new InputError(`every value is ${values[0]}: a correlation with a constant column is undefined`, { field: what });
  }
}

/** A checked `[lower, upper]` pair of finite numbers with lower ≤ upper. */
export function requireInterval(value: unknown, where: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) throw new InputError(`expected an interval [lower, upper], got ${JSON.stringify(value)}`, { field: where });
  const lower = requireFinite(value[0], `${where}[0]`);
  const upper = requireFinite(value[1], `${where}[1]`);
  if (lower > upper) throw new InputError(`interval lower ${lower} exceeds upper ${upper}`, { field: where });
  return [lower, upper];
}

/** Least-squares fit y = intercept + slope · x. */
export function leastSquares(x: readonly number[], y: readonly number[]): { slope: number; intercept: number } {
  const n = x.length;
  const meanX = x.reduce((sum, value) => sum + value, 0) / n;
  const meanY = y.reduce((sum, value) => sum + value, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - meanX) ** 2;
    sxy += (x[i] - meanX) * (y[i] - meanY);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: meanY - slope * meanX };
}

