/**
 * The numbers a report leads with: how well the bound tracks EMID across OOD splits (Pearson,
 * Spearman, Kendall, recomputed from the maps rather than copied from the file), how well EMI
 * ranks the splits by the job's quality measure (accuracy, RP) when there is one, and the means
 * per shift family.
 */
import { kendallTauB, pearson, spearman } from '../stats/correlation';
import { familyStylesOf, qualityPointsOf } from '../plots/figures';
import { normalizeResults, type NormalizedResults, type ReportedRankCorrelation, type ResultsFormat } from '../plots/results';
import type { ShiftModality } from '../plots/shift';

export interface FamilyMeans {
  /** The family in words, e.g. "defocus blur". */
  family: string;
  /** The family's token, e.g. `defocus_blur` ('other' when unknown). */
  familyKey: string;
  modality: ShiftModality;
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

export interface QualitySummary {
  key: string;
  label: string;
  higherIsBetter: boolean;
  /** Splits with both EMI and a quality value (the ID split included). */
  n: number;
  spearman: { rho: number; p: number };
  kendall: { tau: number; p: number; method: 'exact' | 'normal' };
  /** What the file itself reports (`EMI_vs_<KEY>`), when it does. */
  reported?: ReportedRankCorrelation;
}

export interface ResultsSummary {
  format: ResultsFormat;
  model?: string;
  shiftType?: string;
  idSplit?: string;
  /** Number of OOD splits (points in each correlation). */
  splits: number;
  pearson: { r: number; p: number };
  spearman: { rho: number; p: number };
  kendall: { tau: number; p: number; method: 'exact' | 'normal' };
  /** What the file itself reports, when it does (the reference format's PearsonR/PearsonPval). */
  reported?: { pearsonR?: number; pearsonPval?: number };
  /** EMI against the per-split quality, when the results hold one with 3+ varying values. */
  quality?: QualitySummary;
  perFamily: FamilyMeans[];
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

function qualitySummary(results: NormalizedResults): QualitySummary | undefined {
  const quality = results.quality;
  if (!quality) return undefined;
  const points = qualityPointsOf(results);
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
    ...(quality.reported ? { reported: quality.reported } : {}),
  };
}

/** The summary of results already checked by normalizeResults. */
export function summarizeNormalized(results: NormalizedResults): ResultsSummary {
  const emid = results.splits.map((entry) => entry.emid);
  const bound = results.splits.map((entry) => entry.bound);
  const p = pearson(emid, bound);
  const s = spearman(emid, bound);
  const k = kendallTauB(emid, bound);
  const styles = familyStylesOf(results);
  const perFamily: FamilyMeans[] = styles.order(results.splits.map((entry) => entry.family)).map((family) => {
    const members = results.splits.filter((entry) => entry.family === family);
    const severities = [...new Set(members.map((entry) => entry.shift.severity).filter((value): value is number => value !== null))].sort((a, b) => a - b);
    const units = [...new Set(members.map((entry) => entry.shift.unit).filter((unit): unit is string => unit !== null))];
    const means: FamilyMeans = {
      family: styles.label(family),
      familyKey: family,
      modality: members[0].shift.modality,
      n: members.length,
      severities,
      meanEmid: mean(members.map((entry) => entry.emid)),
      meanBound: mean(members.map((entry) => entry.bound)),
    };
    if (units.length === 1) means.unit = units[0];
    const emi = members.map((entry) => entry.emi).filter((value): value is number => value !== undefined);
    if (emi.length === members.length) means.meanEmi = mean(emi);
    const quality = members.map((entry) => entry.quality).filter((value): value is number => value !== undefined);
    if (results.quality && quality.length === members.length) means.meanQuality = mean(quality);
    return means;
  });
  const quality = qualitySummary(results);
  const summary: ResultsSummary = {
    format: results.format,
    ...(results.model !== undefined ? { model: results.model } : {}),
    ...(results.shiftType !== undefined ? { shiftType: results.shiftType } : {}),
    ...(results.idSplit !== undefined ? { idSplit: results.idSplit } : {}),
    splits: results.splits.length,
    pearson: { r: p.r, p: p.pValue },
    spearman: { rho: s.rho, p: s.pValue },
    kendall: { tau: k.tau, p: k.pValue, method: k.pValueMethod },
    ...(quality ? { quality } : {}),
    perFamily,
  };
  if (results.reported.pearsonR !== undefined || results.reported.pearsonPval !== undefined) summary.reported = { ...results.reported };
  return summary;
}

/**
 * The JSON summary of a results object (reference format, sweep output, or a SweepResult).
 * Throws InputError when the results cannot support it (see normalizeResults).
 */
export function summarizeResults(results: unknown): ResultsSummary {
  return summarizeNormalized(normalizeResults(results));
}
