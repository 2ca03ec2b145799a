/**
 * Two-sample rank statistics: the Mann–Whitney U test and the ROC-AUC it equals. A score that
 * separates two groups is summarised by AUC = U / (n₁ n₂), the chance that a random member of
 * the first group scores above a random member of the second (ties count one half).
 */
import { InputError } from '../errors';
import { normalCdf } from '../math/specialFunctions';
import { rank } from './correlation';

/** Which difference the test looks for: `greater` means the first sample tends to be larger. */
export type Alternative = 'greater' | 'less' | 'two-sided';

/** The alternatives, for option checks. */
export const ALTERNATIVES: readonly Alternative[] = ['greater', 'less', 'two-sided'];

/** A Mann–Whitney U test of sample a against sample b. */
export interface MannWhitneyResult {
  /** U of the first sample: the number of pairs (a_i, b_j) with a_i > b_j, ties counting ½. */
  readonly u: number;
  /** The normal approximation's z, with the tie correction and a continuity correction of ½. */
  readonly z: number;
  readonly pValue: number;
  /** Stated in every output, so that nobody has to guess which side was tested. */
  readonly alternative: Alternative;
  /** U / (n_a n_b): the ROC-AUC of "a scores higher than b". */
  readonly auc: number;
  readonly sizes: readonly [number, number];
}

function checkSample(values: ArrayLike<number>, field: string): void {
  if (values.length < 1) throw new InputError('needs at least one value', { field });
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || Number.isNaN(values[i])) {
      throw new InputError(`value at index ${i} is ${String(values[i])}, not a number`, { field });
    }
  }
}

/** U of `a` against `b` and the tie sum Σ(t³ − t) of the pooled ranks, from one ranking. */
function uStatistic(a: ArrayLike<number>, b: ArrayLike<number>): { u: number; tieSum: number } {
  const pooled = new Float64Array(a.length + b.length);
  for (let i = 0; i < a.length; i++) pooled[i] = a[i];
  for (let j = 0; j < b.length; j++) pooled[a.length + j] = b[j];
  const ranks = rank(pooled);
  let rankSumA = 0;
  for (let i = 0; i < a.length; i++) rankSumA += ranks[i];
  const counts = new Map<number, number>();
  for (const value of pooled) counts.set(value, (counts.get(value) ?? 0) + 1);
  let tieSum = 0;
  for (const t of counts.values()) if (t > 1) tieSum += t * t * t - t;
  return { u: rankSumA - (a.length * (a.length + 1)) / 2, tieSum };
}

/**
 * Mann–Whitney U test of `a` against `b` (as scipy.stats.mannwhitneyu with method 'asymptotic'):
 * `greater` asks whether a tends to be larger than b. The p-value is the normal approximation
 * with tie and continuity corrections, fair from about ten values per side. Throws InputError
 * on an empty sample or NaN.
 */
export function mannWhitneyU(a: ArrayLike<number>, b: ArrayLike<number>, alternative: Alternative = 'two-sided'): MannWhitneyResult {
  checkSample(a, 'a');
  checkSample(b, 'b');
  if (!ALTERNATIVES.includes(alternative)) {
    throw new InputError(`must be one of ${ALTERNATIVES.join(', ')}, got ${String(alternative)}`, { field: 'alternative' });
  }
  const na = a.length;
  const nb = b.length;
  const n = na + nb;
  const { u, tieSum } = uStatistic(a, b);
  const mean = (na * nb) / 2;
  const variance = ((na * nb) / 12) * (n + 1 - tieSum / (n * (n - 1)));
  let z = 0;
  let pValue = 1;
  if (variance > 0) {
    const sd = Math.sqrt(variance);
    if (alternative === 'greater') {
      z = (u - mean - 0.5) / sd;
      pValue = 1 - normalCdf(z);
    } else if (alternative === 'less') {
      z = (u - mean + 0.5) / sd;
      pValue = normalCdf(z);
    } else {
      const distance = Math.max(Math.abs(u - mean) - 0.5, 0);
      z = Math.sign(u - mean) * (distance / sd);
      pValue = Math.min(1, 2 * (1 - normalCdf(distance / sd)));
    }
  }
  return { u, z, pValue, alternative, auc: u / (na * nb), sizes: [na, nb] };
}

/**
 * ROC-AUC of a score that should be higher on `positives` than on `negatives`: the share of
 * (positive, negative) pairs ordered correctly, ties counting ½ (the area under the empirical
 * ROC curve with ties drawn as diagonal steps). 0.5 is chance; below 0.5 the score points the
 * wrong way.
 */
export function rocAuc(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  checkSample(positives, 'positives');
  checkSample(negatives, 'negatives');
  return uStatistic(positives, negatives).u / (positives.length * negatives.length);
}
