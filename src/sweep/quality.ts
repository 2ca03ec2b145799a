/**
 * A per-split quality beside EMI (the answering model's accuracy, a judge's relative preference,
 * …): joined to a result, it is written to the results file (`quality`, the map under its key and
 * `EMI_vs_<KEY>`) and drawn by the figures and the report as EMI against it.
 */
import { InputError } from '../errors';
import type { RelativePreferenceScore } from '../data/formats/relativePreferences';
import { kendallTauB, spearman } from '../stats/correlation';
import type { QualityMeasure, SweepResult } from './sweep';

/** A quality to join: its key in the results file, its name in words, and a value per split. */
export interface QualityValues {
  /** e.g. `ACCURACY` or `RP`. */
  key: string;
  /** In words (default: the key in lower case). */
  label?: string | undefined;
  /** Default true. */
  higherIsBetter?: boolean | undefined;
  values: Readonly<Record<string, number>>;
}

/**
 * The result with the quality joined: its values for the result's splits (in the order of the
 * EMI map; others are dropped) and, with 3 or more of them not all equal, Spearman and Kendall
 * rank correlations of EMI with it. Throws InputError when no split of the result has a value.
 */
export function withQuality<Result extends SweepResult>(result: Result, quality: QualityValues): Result {
  if (quality.key === '') throw new InputError('expected the key of the quality map, got an empty string', { field: 'quality.key' });
  const splits = Object.keys(result.emi).filter((split) => quality.values[split] !== undefined);
  if (splits.length === 0) {
    const given = Object.keys(quality.values);
    throw new InputError(`none of the ${given.length} splits with a ${quality.key} value (${given.slice(0, 3).join(', ')}${given.length > 3 ? ', …' : ''}) is in the results`, { field: quality.key });
  }
  const values = splits.map((split) => quality.values[split]);
  const measure: QualityMeasure = {
    key: quality.key,
    label: quality.label ?? quality.key.toLowerCase(),
    higherIsBetter: quality.higherIsBetter ?? true,
    values: Object.fromEntries(splits.map((split, i) => [split, values[i]])),
  };
  if (splits.length >= 3 && new Set(values).size > 1) {
    const emi = splits.map((split) => result.emi[split].emi);
    const rho = spearman(emi, values);
    const tau = kendallTauB(emi, values);
    measure.emiCorrelation = { n: splits.length, spearmanRho: rho.rho, spearmanPval: rho.pValue, kendallTau: tau.tau, kendallPval: tau.pValue };
  }
  return { ...result, quality: measure };
}

/** One judge's RP per split from a judges' RP file (`readRelativePreferences`), as a quality for `withQuality`. */
export function relativePreferenceQuality(scores: readonly RelativePreferenceScore[], judge: string): QualityValues {
  const mine = scores.filter((score) => score.judge === judge);
  if (mine.length === 0) {
    const judges = [...new Set(scores.map((score) => score.judge))];
    throw new InputError(`no RP scores of judge '${judge}' (judges in the file: ${judges.join(', ') || 'none'})`, { field: 'judge' });
  }
  return { key: 'RP', label: `RP (judge ${judge})`, higherIsBetter: true, values: Object.fromEntries(mine.map((score) => [score.split, score.rp])) };
}
