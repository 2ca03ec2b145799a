/**
 * Correlation coefficients with two-sided p-values, matching scipy.stats (pearsonr, spearmanr,
 * kendalltau with its defaults) so results can be checked against the Python reference code.
 *
 * Input rules, shared by all three:
 * - x and y must have the same length n ≥ 3 (below that the t test has no degrees of freedom);
 * - NaN anywhere is an InputError (Pearson also rejects ±Infinity; the rank-based coefficients
 *   order infinities like any other value);
 * - a constant x or y is an InputError: the coefficient is 0/0, and a NaN would silently drop a
 *   split from a downstream summary. (bootstrap.ts uses the coefficient-only functions below,
 *   which return NaN instead, so degenerate resamples can be counted and dropped.)
 */
import { InputError } from '../errors';
import { twoSidedNormalPValue, twoSidedStudentTPValue } from './distributions';

/** The three coefficients: Pearson's r, Spearman's rho, Kendall's tau-b. */
export type CorrelationKind = 'pearson' | 'spearman' | 'kendall';

/** Pearson's r with its two-sided p-value (t test), as scipy.stats.pearsonr gives them. */
export interface PearsonResult {
  r: number;
  pValue: number;
  /** Paired values used. */
  n: number;
}

/** Spearman's rho with its two-sided p-value, as scipy.stats.spearmanr gives them. */
export interface SpearmanResult {
  rho: number;
  pValue: number;
  /** Paired values used. */
  n: number;
}

/** Kendall's tau-b with its two-sided p-value, as scipy.stats.kendalltau gives them. */
export interface KendallResult {
  tau: number;
  pValue: number;
  /** Paired values used. */
  n: number;
  /** Which null distribution gave pValue (see kendallTauB). */
  pValueMethod: 'exact' | 'normal';
}

/** scipy.stats.kendalltau switches from the exact distribution to the normal one above this n. */
const KENDALL_EXACT_MAX_N = 33;

/** The length, once x and y are known to be usable together. */
function checkPairedSamples(x: ArrayLike<number>, y: ArrayLike<number>, allowInfinite: boolean): number {
  if (x.length !== y.length) {
    throw new InputError(`length ${y.length} differs from x's length ${x.length}`, { field: 'y' });
  }
  if (x.length < 3) {
    throw new InputError(`needs at least 3 paired values, got ${x.length}`, { field: 'x' });
  }
  checkValues(x, 'x', allowInfinite);
  checkValues(y, 'y', allowInfinite);
  return x.length;
}

function checkValues(values: ArrayLike<number>, field: string, allowInfinite: boolean): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new InputError(`value at index ${i} is ${String(value)}, not a number`, { field });
    }
    if (!allowInfinite && !Number.isFinite(value)) {
      throw new InputError(`value at index ${i} is ${value}; Pearson needs finite values`, { field });
    }
  }
}

function constantInputError(field: string): InputError {
  return new InputError('all values are equal, so the correlation is undefined', { field });
}

/**
 * Two-sided p-value of a Pearson-type coefficient under independence: t = r √((n−2)/(1−r²)) on
 * n − 2 degrees of freedom, as scipy's pearsonr and spearmanr do. |r| = 1 gives exactly 0.
 */
function correlationPValue(r: number, n: number): number {
  const magnitude = Math.abs(r);
  if (magnitude >= 1) return 0;
  // (1 − r)(1 + r) keeps 1 − r² accurate when |r| is close to 1.
  const t = magnitude * Math.sqrt((n - 2) / ((1 - magnitude) * (1 + magnitude)));
  return twoSidedStudentTPValue(t, n - 2);
}

/**
 * Pearson's r without validation or p-value, NaN when x or y is constant.
 * Shared with bootstrap.ts; not part of the package surface.
 */
export function pearsonCoefficient(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += x[i];
    meanY += y[i];
  }
  meanX /= n;
  meanY /= n;
  // Two passes (centre, then sum) avoid the cancellation of the one-pass Σxy − n x̄ ȳ formula.
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - meanX;
    const dy = y[i] - meanY;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  // √(sxx·syy) rather than √sxx·√syy: when y is an exact copy of x the ratio is then exactly 1
  // (so p is exactly 0); the split form is only a fallback for products that overflow.
  const product = sxx * syy;
  const r = sxy / (Number.isFinite(product) && product > 0 ? Math.sqrt(product) : Math.sqrt(sxx) * Math.sqrt(syy));
  return Math.max(-1, Math.min(1, r));
}

/**
 * Pearson's product-moment correlation r with the two-sided p-value of scipy.stats.pearsonr
 * (t test on n − 2 degrees of freedom, exact under bivariate normality). r is clamped to [−1, 1].
 * Throws InputError on length mismatch, n < 3, NaN/±Infinity, or a constant x or y.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): PearsonResult {
  const n = checkPairedSamples(x, y, false);
  const r = pearsonCoefficient(x, y);
  if (Number.isNaN(r)) {
    if (isConstant(x)) throw constantInputError('x');
    if (isConstant(y)) throw constantInputError('y');
    throw new InputError('sums of squares overflow; rescale the values (|value| ≲ 1e150)', { field: 'x' });
  }
  return { r, pValue: correlationPValue(r, n), n };
}

function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

/** Indices 0..n−1 ordered by value (ties in any order). */
function sortedOrder(values: ArrayLike<number>): Int32Array {
  const order = new Int32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => (values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0));
}

/** rank() without validation. */
function averageRanks(values: ArrayLike<number>): Float64Array {
  const order = sortedOrder(values);
  const ranks = new Float64Array(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    // Positions start..end−1 hold 1-based ranks start+1..end; every tied value gets their mean.
    const shared = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = shared;
    start = end;
  }
  return ranks;
}

/**
 * 1-based ranks with ties given the average of the ranks they span ("fractional" ranking, as
 * scipy.stats.rankdata's default), e.g. [10, 20, 20, 5] → [2, 3.5, 3.5, 1].
 * Throws InputError on NaN, which has no place in an order.
 */
export function rank(values: ArrayLike<number>): Float64Array {
  checkValues(values, 'values', true);
  return averageRanks(values);
}

/** Spearman's rho without validation or p-value, NaN when x or y is constant (bootstrap.ts). */
export function spearmanCoefficient(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearsonCoefficient(averageRanks(x), averageRanks(y));
}

/**
 * Spearman's rank correlation: Pearson's r of the average ranks (so ties are handled by
 * fractional ranking), with scipy.stats.spearmanr's two-sided p-value: the same t test on n − 2
 * degrees of freedom as pearson(). That p-value is an approximation, fair for n ≳ 10.
 * Throws InputError on length mismatch, n < 3, NaN, or a constant x or y.
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): SpearmanResult {
  const n = checkPairedSamples(x, y, true);
  const rho = spearmanCoefficient(x, y);
  if (Number.isNaN(rho)) throw constantInputError(isConstant(x) ? 'x' : 'y');
  return { rho, pValue: correlationPValue(rho, n), n };
}

/** Pair counts behind tau-b; tie sums are over groups of t tied values. */
interface KendallCounts {
  n: number;
  /** n(n−1)/2. */
  totalPairs: number;
  /** Pairs with x and y ordered in opposite directions. */
  discordant: number;
  /** Concordant minus discordant pairs. */
  score: number;
  /** Σ t(t−1)/2, Σ t(t−1)(t−2), Σ t(t−1)(2t+5) over tie groups in x (resp. y). */
  xTiedPairs: number;
  xTieCubic: number;
  xTieVariance: number;
  yTiedPairs: number;
  yTieCubic: number;
  yTieVariance: number;
}

interface TieSums {
  pairs: number;
  cubic: number;
  variance: number;
}

function addTieGroup(sums: TieSums, t: number): void {
  if (t < 2) return;
  sums.pairs += (t * (t - 1)) / 2;
  sums.cubic += t * (t - 1) * (t - 2);
  sums.variance += t * (t - 1) * (2 * t + 5);
}

/**
 * Stable bottom-up merge sort of `values` in place, returning the number of inversions
 * (pairs i < j with values[i] > values[j]; equal values are not inversions).
 */
function sortCountingInversions(values: Float64Array): number {
  const n = values.length;
  let source: Float64Array = values;
  let target: Float64Array = new Float64Array(n);
  let inversions = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let low = 0; low < n; low += 2 * width) {
      const middle = Math.min(low + width, n);
      const high = Math.min(low + 2 * width, n);
      let i = low;
      let j = middle;
      let k = low;
      while (i < middle && j < high) {
        if (source[i] <= source[j]) {
          target[k++] = source[i++];
        } else {
          // source[j] jumps ahead of every element still waiting in the left run.
          inversions += middle - i;
          target[k++] = source[j++];
        }
      }
      while (i < middle) target[k++] = source[i++];
      while (j < high) target[k++] = source[j++];
    }
    const swap = source;
    source = target;
    target = swap;
  }
  if (source !== values) values.set(source);
  return inversions;
}

/**
 * Knight's O(n log n) algorithm: sort pairs by (x, y); the inversions a stable merge sort on y
 * then finds are exactly the discordant pairs (pairs tied in x were put in y order, pairs tied
 * in y are never inverted). Tie counts come from runs in the two sorted orders.
 */
function kendallCounts(x: ArrayLike<number>, y: ArrayLike<number>): KendallCounts {
  const n = x.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    if (x[a] !== x[b]) return x[a] < x[b] ? -1 : 1;
    return y[a] < y[b] ? -1 : y[a] > y[b] ? 1 : 0;
  });

  const xTies: TieSums = { pairs: 0, cubic: 0, variance: 0 };
  let jointTiedPairs = 0;
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && x[order[end]] === x[order[start]]) end++;
    addTieGroup(xTies, end - start);
    // Within an x group y is sorted, so pairs tied in both are runs of equal y.
    let runStart = start;
    while (runStart < end) {
      let runEnd = runStart + 1;
      while (runEnd < end && y[order[runEnd]] === y[order[runStart]]) runEnd++;
      const t = runEnd - runStart;
      jointTiedPairs += (t * (t - 1)) / 2;
      runStart = runEnd;
    }
    start = end;
  }

  const ySorted = new Float64Array(n);
  for (let i = 0; i < n; i++) ySorted[i] = y[order[i]];
  const discordant = sortCountingInversions(ySorted);

  const yTies: TieSums = { pairs: 0, cubic: 0, variance: 0 };
  start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && ySorted[end] === ySorted[start]) end++;
    addTieGroup(yTies, end - start);
    start = end;
  }

  const totalPairs = (n * (n - 1)) / 2;
  // Every pair is concordant, discordant, or tied in x, y or both; the joint ties were
  // subtracted twice.
  const score = totalPairs - xTies.pairs - yTies.pairs + jointTiedPairs - 2 * discordant;
  return {
    n,
    totalPairs,
    discordant,
    score,
    xTiedPairs: xTies.pairs,
    xTieCubic: xTies.cubic,
    xTieVariance: xTies.variance,
    yTiedPairs: yTies.pairs,
    yTieCubic: yTies.cubic,
    yTieVariance: yTies.variance,
  };
}

function tauB(counts: KendallCounts): number {
  const denominator = Math.sqrt(counts.totalPairs - counts.xTiedPairs) * Math.sqrt(counts.totalPairs - counts.yTiedPairs);
  if (denominator === 0) return NaN;
  return Math.max(-1, Math.min(1, counts.score / denominator));
}

/** Kendall's tau-b without validation or p-value, NaN when x or y is constant (bootstrap.ts). */
export function kendallCoefficient(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return tauB(kendallCounts(x, y));
}

/**
 * Two-sided exact p-value for Kendall's tau with no ties: 2 P(C ≤ min(c, N − c)), where C, the
 * number of concordant pairs of a uniformly random permutation, has the Mahonian distribution
 * and N = n(n−1)/2. Capped at 1.
 */
function kendallExactPValue(n: number, concordant: number): number {
  const totalPairs = (n * (n - 1)) / 2;
  const c = Math.min(concordant, totalPairs - concordant);
  if (2 * c === totalPairs) return 1;
  if (c <= 1) {
    // Only the identity (c = 0) or it plus the n − 1 adjacent swaps (c ≤ 1) are that extreme:
    // 2/n! or 2n/n! = 2/(n−1)!, built by division so large n underflows gently to 0.
    let p = 2;
    for (let k = 2; k <= (c === 0 ? n : n - 1); k++) p /= k;
    return p;
  }
  // P_j(k) = (1/j) Σ_{i<j} P_{j−1}(k − i): inserting element j into a random permutation of j−1
  // elements adds 0..j−1 inversions uniformly. Probabilities (not counts) stay in range, and
  // only k ≤ c is needed.
  let previous = new Float64Array(c + 1);
  let next = new Float64Array(c + 1);
  previous[0] = 1;
  for (let j = 2; j <= n; j++) {
    for (let k = 0; k <= c; k++) {
      let sum = 0;
      const reach = Math.min(k, j - 1);
      for (let i = 0; i <= reach; i++) sum += previous[k - i];
      next[k] = sum / j;
    }
    const swap = previous;
    previous = next;
    next = swap;
  }
  let tail = 0;
  for (let k = 0; k <= c; k++) tail += previous[k];
  return Math.min(1, 2 * tail);
}

/**
 * Two-sided p-value from the normal approximation to the concordant-minus-discordant score,
 * with the tie-corrected variance (Kendall 1970, as in scipy.stats.kendalltau).
 */
function kendallNormalPValue(counts: KendallCounts): number {
  const n = counts.n;
  const m = n * (n - 1);
  const variance =
    (m * (2 * n + 5) - counts.xTieVariance - counts.yTieVariance) / 18 +
    (2 * counts.xTiedPairs * counts.yTiedPairs) / m +
    (counts.xTieCubic * counts.yTieCubic) / (9 * m * (n - 2));
  return twoSidedNormalPValue(counts.score / Math.sqrt(variance));
}

/**
 * Kendall's tau-b (tie-corrected: (C − D) / √((N − Tx)(N − Ty)), with Tx, Ty the pairs tied in
 * x, y), computed in O(n log n). The two-sided p-value follows scipy.stats.kendalltau's default
 * (method='auto'):
 * - no ties in x or y, and n ≤ 33 (or at most one pair out of order): the exact permutation
 *   distribution (`pValueMethod: 'exact'`);
 * - otherwise: the normal approximation with tie-corrected variance (`pValueMethod: 'normal'`).
 * Throws InputError on length mismatch, n < 3, NaN, or a constant x or y.
 */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): KendallResult {
  const n = checkPairedSamples(x, y, true);
  const counts = kendallCounts(x, y);
  const tau = tauB(counts);
  if (Number.isNaN(tau)) throw constantInputError(counts.xTiedPairs === counts.totalPairs ? 'x' : 'y');
  const noTies = counts.xTiedPairs === 0 && counts.yTiedPairs === 0;
  const concordant = counts.totalPairs - counts.discordant;
  if (noTies && (n <= KENDALL_EXACT_MAX_N || Math.min(counts.discordant, concordant) <= 1)) {
    return { tau, pValue: kendallExactPValue(n, concordant), n, pValueMethod: 'exact' };
  }
  return { tau, pValue: kendallNormalPValue(counts), n, pValueMethod: 'normal' };
}

/** The coefficient of the given kind without validation, NaN when undefined (bootstrap.ts). */
export function correlationCoefficient(x: ArrayLike<number>, y: ArrayLike<number>, kind: CorrelationKind): number {
  switch (kind) {
    case 'pearson':
      return pearsonCoefficient(x, y);
    case 'spearman':
      return spearmanCoefficient(x, y);
    case 'kendall':
      return kendallCoefficient(x, y);
  }
}

/** Validation plus the full result, for callers holding a kind at run time. */
export function correlation(x: ArrayLike<number>, y: ArrayLike<number>, kind: CorrelationKind): { coefficient: number; pValue: number; n: number } {
  switch (kind) {
    case 'pearson': {
      const { r, pValue, n } = pearson(x, y);
      return { coefficient: r, pValue, n };
    }
    case 'spearman': {
      const { rho, pValue, n } = spearman(x, y);
      return { coefficient: rho, pValue, n };
    }
    case 'kendall': {
      const { tau, pValue, n } = kendallTauB(x, y);
      return { coefficient: tau, pValue, n };
    }
    default:
      throw new InputError(`unknown correlation kind ${JSON.stringify(kind)}; use pearson, spearman or kendall`, { field: 'kind' });
  }
}
