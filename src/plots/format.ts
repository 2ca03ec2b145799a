/**
 * Small pieces the figures, the notebook display and the HTML report share: number formatting,
 * the colour of each shift family, split-name shortening and input checks.
 */
import { InputError } from '../errors';
import { isScenarioName, scenario } from '../data/scenarios';

/** A correlation coefficient as printed everywhere (3 decimals, like the published numbers). */
export function formatCoefficient(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : String(value);
}

/** A p-value: plain below 3 significant digits would print 0.000 for the strong correlations. */
export function formatPValue(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  if (p === 0) return '0';
  return p >= 1e-3 ? p.toPrecision(3) : p.toExponential(2);
}

export function formatValue(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 10 ** -digits) return value.toExponential(2);
  return value.toFixed(digits);
}

/** The family a split belongs to: its shift modality from the catalog, 'other' when unknown. */
export function shiftFamilyOf(split: string): string {
  if (!isScenarioName(split)) return 'other';
  return scenario(split).modality;
}

// Fixed colours for the catalog's modalities keep one family the same colour in every figure
// of a report; other families take the remaining colours in order of appearance.
const FAMILY_COLOURS: Record<string, string> = {
  visual: '#1f77b4',
  text: '#ff7f0e',
  joint: '#2ca02c',
  none: '#9467bd',
  other: '#7f7f7f',
};
const EXTRA_COLOURS = ['#d62728', '#8c564b', '#e377c2', '#bcbd22', '#17becf', '#9467bd', '#1f77b4', '#ff7f0e', '#2ca02c'];

export class FamilyColours {
  private readonly assigned = new Map<string, string>();

  colour(family: string): string {
    const fixed = FAMILY_COLOURS[family];
    if (fixed) return fixed;
    let colour = this.assigned.get(family);
    if (!colour) {
      colour = EXTRA_COLOURS[this.assigned.size % EXTRA_COLOURS.length];
      this.assigned.set(family, colour);
    }
    return colour;
  }
}

/** `#rrggbb` with an alpha, for interval bands drawn under their line. */
export function withAlpha(hex: string, alpha: number): string {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}

/** Catalog modalities first (in a fixed order), then other families alphabetically, 'other' last. */
export function orderFamilies(families: Iterable<string>): string[] {
  const rank = (family: string) => {
    const fixed = ['visual', 'text', 'joint', 'none'].indexOf(family);
    if (fixed >= 0) return fixed;
    return family === 'other' ? 6 : 5;
  };
  return [...new Set(families)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** What a family is called in a legend: catalog modalities read as "visual shift". */
export function familyLabel(family: string): string {
  if (family === 'visual' || family === 'text' || family === 'joint') return `${family} shift`;
  if (family === 'none') return 'no shift';
  return family;
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

export function requireNonEmpty(length: number, what: string): void {
  if (length === 0) throw new InputError(`no points to plot`, { field: what });
}

/** Correlations over fewer than 3 points have no p-value: refused rather than drawn empty. */
export function requireCorrelatable(length: number, what: string): void {
  if (length < 3) throw new InputError(`${length} point${length === 1 ? '' : 's'}: a correlation needs at least 3`, { field: what });
}

export function requireVarying(values: readonly number[], what: string): void {
  if (values.every((value) => value === values[0])) {
    throw new InputError(`every value is ${values[0]}: a correlation with a constant column is undefined`, { field: what });
  }
}

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
