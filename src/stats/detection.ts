/**
 * How well a score separates two groups of units (positives: shifted, OOD; negatives: ID), with
 * seeded bootstrap intervals:
 * - ROC-AUC: `rocAuc` of rankTests.ts, the chance that a random positive scores above a random
 *   negative (ties ½); 0.5 is chance.
 * - PR-AUC as average precision, AP = Σ_k (R_k − R_{k−1}) P_k over the distinct score
 *   thresholds from the highest down (tied scores enter together), R_k and P_k the recall and
 *   precision at threshold k: scikit-learn's `average_precision_score`, a step sum, not the
 *   trapezoidal area (which is optimistic). Chance is the positives' share of all units.
 * Intervals resample positives and negatives separately (a stratified bootstrap), so every
 * resample keeps both groups' sizes, and with them AP's chance level; their ends are clipped to
 * [0, 1] (a basic interval is a reflection and can reach past them).
 * Also the sanity checks that expose a degenerate score or test: the same two-sample test on
 * randomly relabelled units and on a random score must come out null.
 */
import { InputError } from '../errors';
import { createRng, shuffleInPlace } from '../random';
import { bootstrapIntervalOfSamples, type BootstrapInterval, type BootstrapOptions } from './bootstrap';
import { mannWhitneyU, rocAuc, type Alternative, type MannWhitneyResult } from './rankTests';

/** How PR-AUC is computed here, for outputs that report it. */
export const PR_AUC_DEFINITION = 'average precision: Σ_k (R_k − R_{k−1}) P_k over distinct score thresholds, highest first, ties entering together (scikit-learn average_precision_score)';

function checkScores(values: ArrayLike<number>, field: string): void {
  if (values.length < 1) throw new InputError('needs at least one score', { field });
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new InputError(`score at index ${i} is ${String(values[i])}, not a finite number`, { field });
  }
}

/**
 * Average precision of a score that should be higher on `positives` (see the module comment).
 * 1 when every positive outscores every negative; about the positives' share for a random score.
 */
export function averagePrecision(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  checkScores(positives, 'positives');
  checkScores(negatives, 'negatives');
  const units: { score: number; positive: boolean }[] = [];
  for (let i = 0; i < positives.length; i++) units.push({ score: positives[i], positive: true });
  for (let j = 0; j < negatives.length; j++) units.push({ score: negatives[j], positive: false });
  units.sort((a, b) => b.score - a.score);
  const total = positives.length;
  let truePositives = 0;
  let selected = 0;
  let previousRecall = 0;
  let sum = 0;
  for (let k = 0; k < units.length; ) {
    const threshold = units[k].score;
    while (k < units.length && units[k].score === threshold) {
      if (units[k].positive) truePositives += 1;
      selected += 1;
      k += 1;
    }
    const recall = truePositives / total;
    sum += (recall - previousRecall) * (truePositives / selected);
    previousRecall = recall;
  }
  return sum;
}

/** One detection metric with its bootstrap interval. */
export interface DetectionMetric {
  estimate: number;
  /** [lower, upper] of the bootstrap interval (method and coverage in `bootstrap`). */
  interval: [number, number];
  standardError: number;
}

/** ROC-AUC and PR-AUC of a score, with intervals and how they were made. */
export interface DetectionMetrics {
  rocAuc: DetectionMetric;
  /** Average precision (see `definition`). */
  prAuc: DetectionMetric & { definition: string; chance: number };
  positives: number;
  negatives: number;
  bootstrap: { resamples: number; confidence: number; seed: number; method: string; stratified: true };
}

/**
 * ROC-AUC and average precision of a score higher on `positives` than on `negatives`, each with
 * a stratified bootstrap interval (defaults: 1000 resamples, 95%, seed 0, basic; see bootstrap.ts).
 */
export async function detectionMetrics(positives: ArrayLike<number>, negatives: ArrayLike<number>, options: BootstrapOptions = {}): Promise<DetectionMetrics> {
  checkScores(positives, 'positives');
  checkScores(negatives, 'negatives');
  const settings = { resamples: options.resamples ?? 1000, confidence: options.confidence ?? 0.95, seed: options.seed ?? 0, method: options.method ?? 'basic' };
  const gather = (values: ArrayLike<number>, rows: Int32Array): Float64Array => {
    const out = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]];
    return out;
  };
  const interval = (metric: (p: Float64Array, n: Float64Array) => number): Promise<BootstrapInterval> =>
    bootstrapIntervalOfSamples([positives.length, negatives.length], async ([p, n]) => metric(gather(positives, p), gather(negatives, n)), settings);
  // Both metrics live in [0, 1]; a basic interval, being a reflection, can reach past it.
  const clip = (value: number) => Math.min(1, Math.max(0, value));
  const toMetric = (result: BootstrapInterval): DetectionMetric => ({ estimate: result.estimate, interval: [clip(result.lower), clip(result.upper)], standardError: result.standardError });
  const auc = await interval(rocAuc);
  const ap = await interval(averagePrecision);
  return {
    rocAuc: toMetric(auc),
    prAuc: { ...toMetric(ap), definition: PR_AUC_DEFINITION, chance: positives.length / (positives.length + negatives.length) },
    positives: positives.length,
    negatives: negatives.length,
    bootstrap: { ...settings, stratified: true },
  };
}

/**
 * The Mann–Whitney test of `a` against `b` on a random score: uniform draws, seeded, as many
 * as each sample has. Whatever the data, it must come out null (p uniform over seeds): a
 * pipeline whose test rejects here is broken, not the data shifted.
 */
export function randomScoreTest(sizes: readonly [number, number], alternative: Alternative, seed: number): MannWhitneyResult {
  const rng = createRng(seed);
  const draw = (count: number) => Float64Array.from({ length: count }, () => rng.next());
  return mannWhitneyU(draw(sizes[0]), draw(sizes[1]), alternative);
}

/**
 * A seeded random relabelling of `first + second` units: which units the first group gets
 * (sizes kept). The rest are the second group's.
 */
export function shuffledLabels(first: number, second: number, seed: number): { first: Int32Array; second: Int32Array } {
  const order = Int32Array.from({ length: first + second }, (_, i) => i);
  shuffleInPlace(order, createRng(seed));
  return { first: order.slice(0, first), second: order.slice(first) };
}
