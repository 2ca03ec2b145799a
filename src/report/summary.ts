/**
 * The numbers a report leads with: how well the bound tracks EMID across OOD splits (Pearson,
 * Spearman, Kendall, recomputed from the maps rather than copied from the file), how well EMI
 * ranks the splits by the job's quality measure (accuracy, RP) when there is one, and the means
 * per shift family.
 */
import { kendallTauB, pearson, spearman } from '../stats/correlation';
import { familyStylesOf, qualityPointsOf, requireCorrelatableResult } from '../plots/figures';
import { splitShift, type ShiftModality } from '../plots/shift';
import type { QualityCorrelation, SweepResult } from '../sweep/sweep';

/** Which flavour of the results format a result fills: the reference implementation's (EMI, EMID and the bound), or emishift's sweep (with the RJSD terms). */
export type ResultsFormat = 'reference' | 'sweep';

/** The flavour of a result (see ResultsFormat). */
export function resultsFormat(result: SweepResult): ResultsFormat {
  return result.comparisons.length > 0 && result.comparisons.every((comparison) => comparison.terms !== undefined) ? 'sweep' : 'reference';
}

/** One shift family's row of the summary: its OOD splits' mean EMID, bound, EMI and quality, and their severities. */
export interface FamilyMeans {
  /** The family in words, e.g. "defocus blur". */
  family: string;
  /** The family's token, e.g. `defocus_blur` ('other' when unknown). */
  familyKey: string;
  modality: ShiftModality;
  /** OOD splits of the family. */
  n: number;
  /** The distinct numeric severities of the family's splits, ascending (empty when none). */
  severities: number[];
  /** What the severity counts, when the family's splits say (one unit per family). */
  unit?: string;
  meanEmid: number;
  meanBound: number;
  /** Mean EMI of the family's OOD splits, when the results hold EMI. */
  meanEmi?: number;
  /** Mean quality (e.g. accuracy) of the family's OOD splits, when every one has a value. */
  meanQuality?: number;
}

/** How well EMI ranks the splits by the results' quality measure: Spearman and Kendall, recomputed from the per-split values. */
export interface QualitySummary {
  /** The quality's key in the results file, e.g. 'ACCURACY' or 'RP'. */
  key: string;
  /** In words, e.g. "accuracy". */
  label: string;
  higherIsBetter: boolean;
  /** Splits with both EMI and a quality value (the ID split included). */
  n: number;
  spearman: { rho: number; p: number };
  /** `method`: which null distribution gave p (see kendallTauB). */
  kendall: { tau: number; p: number; method: 'exact' | 'normal' };
  /** What the results record (`EMI_vs_<KEY>` in the file), when they do. */
  reported?: QualityCorrelation;
}

/** The numbers `summarizeResults` gives a report to lead with (see the module comment). */
export interface ResultsSummary {
  format: ResultsFormat;
  /** The model and the benchmark's shift type, when the results name them. */
  model?: string;
  shiftType?: string;
  idSplit: string;
  /** Number of OOD splits (points in each correlation). */
  splits: number;
  /** EMID against the scale-adjusted bound over the OOD splits, recomputed from the maps. */
  pearson: { r: number; p: number };
  spearman: { rho: number; p: number };
  kendall: { tau: number; p: number; method: 'exact' | 'normal' };
  /** What the results record (PearsonR/PearsonPval in the file), when they do. */
  reported?: { pearsonR?: number; pearsonPval?: number };
  /** EMI against the per-split quality, when the results hold one with 3+ varying values. */
  quality?: QualitySummary;
  /** One row per shift family, in the figures' family order. */
  perFamily: FamilyMeans[];
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

function qualitySummary(result: SweepResult): QualitySummary | undefined {
  const quality = result.quality;
  if (!quality) return undefined;
  const points = qualityPointsOf(result);
  const emi = points.map((point) => point.emi);
  const values = points.map((point) => point.quality);
  if (points.length < 3 || new Set(values).size < 2 || new Set(emi).size < 2) return undefined;
  const s = spearman(emi, values);
  const k = kendallTauB(emi, values);
  return {
    key: quality.key,
    label: quality.label,
    higherIsBetter: quality.higherIsBetter,
    n: points.length,
    spearman: { rho: s.rho, p: s.pValue },
    kendall: { tau: k.tau, p: k.pValue, method: k.pValueMethod },
    ...(quality.emiCorrelation ? { reported: quality.emiCorrelation } : {}),
  };
}

/**
 * The JSON summary of a result (computed, or read from a results file with `readResults`):
 * correlations recomputed from EMID and the bound, EMI against the quality, per-family means.
 * Throws InputError with fewer than 3 OOD splits or a constant EMID or bound.
 */
export function summarizeResults(result: SweepResult): ResultsSummary {
  requireCorrelatableResult(result);
  const comparisons = result.comparisons;
  const emid = comparisons.map((comparison) => comparison.emid);
  const bound = comparisons.map((comparison) => comparison.emidUpperBound);
  const p = pearson(emid, bound);
  const s = spearman(emid, bound);
  const k = kendallTauB(emid, bound);
  const styles = familyStylesOf(result);
  const shifts = new Map(comparisons.map((comparison) => [comparison.target, splitShift(result, comparison.target)]));
  const perFamily: FamilyMeans[] = styles.order(comparisons.map((comparison) => shifts.get(comparison.target)!.family)).map((family) => {
    const members = comparisons.filter((comparison) => shifts.get(comparison.target)!.family === family);
    const memberShifts = members.map((comparison) => shifts.get(comparison.target)!);
    const severities = [...new Set(memberShifts.map((shift) => shift.severity).filter((value): value is number => value !== null))].sort((a, b) => a - b);
    const units = [...new Set(memberShifts.map((shift) => shift.unit).filter((unit): unit is string => unit !== null))];
    const means: FamilyMeans = {
      family: styles.label(family),
      familyKey: family,
      modality: memberShifts[0].modality,
      n: members.length,
      severities,
      meanEmid: mean(members.map((comparison) => comparison.emid)),
      meanBound: mean(members.map((comparison) => comparison.emidUpperBound)),
    };
    if (units.length === 1) means.unit = units[0];
    means.meanEmi = mean(members.map((comparison) => comparison.targetEmi.emi));
    const quality = members.map((comparison) => result.quality?.values[comparison.target]).filter((value): value is number => value !== undefined);
    if (result.quality && quality.length === members.length) means.meanQuality = mean(quality);
    return means;
  });
  const quality = qualitySummary(result);
  const summary: ResultsSummary = {
    format: resultsFormat(result),
    ...(result.model !== undefined ? { model: result.model } : {}),
    ...(result.shiftType !== undefined ? { shiftType: result.shiftType } : {}),
    idSplit: result.idSplit,
    splits: comparisons.length,
    pearson: { r: p.r, p: p.pValue },
    spearman: { rho: s.rho, p: s.pValue },
    kendall: { tau: k.tau, p: k.pValue, method: k.pValueMethod },
    ...(quality ? { quality } : {}),
    perFamily,
  };
  if (result.correlation) summary.reported = { pearsonR: result.correlation.pearson.r, pearsonPval: result.correlation.pearson.pValue };
  return summary;
}
