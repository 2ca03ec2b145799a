/**
 * The numbers a report leads with: how well the bound tracks EMID across OOD splits (Pearson,
 * Spearman, Kendall, recomputed from the maps rather than copied from the file) and the mean
 * EMID and bound per shift family.
 */
import { kendallTauB, pearson, spearman } from '../stats/correlation';
import { familyLabel, orderFamilies } from '../plots/format';
import { normalizeResults, type NormalizedResults, type ResultsFormat } from '../plots/results';

export interface FamilyMeans {
  family: string;
  n: number;
  meanEmid: number;
  meanBound: number;
  /** Mean EMI of the family's OOD splits, when the results hold EMI. */
  meanEmi?: number;
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
  perFamily: FamilyMeans[];
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

export function summarizeNormalized(results: NormalizedResults): ResultsSummary {
  const emid = results.splits.map((entry) => entry.emid);
  const bound = results.splits.map((entry) => entry.bound);
  const p = pearson(emid, bound);
  const s = spearman(emid, bound);
  const k = kendallTauB(emid, bound);
  const perFamily: FamilyMeans[] = orderFamilies(results.splits.map((entry) => entry.family)).map((family) => {
    const members = results.splits.filter((entry) => entry.family === family);
    const means: FamilyMeans = {
      family: familyLabel(family),
      n: members.length,
      meanEmid: mean(members.map((entry) => entry.emid)),
      meanBound: mean(members.map((entry) => entry.bound)),
    };
    const emi = members.map((entry) => entry.emi).filter((value): value is number => value !== undefined);
    if (emi.length === members.length) means.meanEmi = mean(emi);
    return means;
  });
  const summary: ResultsSummary = {
    format: results.format,
    ...(results.model !== undefined ? { model: results.model } : {}),
    ...(results.shiftType !== undefined ? { shiftType: results.shiftType } : {}),
    ...(results.idSplit !== undefined ? { idSplit: results.idSplit } : {}),
    splits: results.splits.length,
    pearson: { r: p.r, p: p.pValue },
    spearman: { rho: s.rho, p: s.pValue },
    kendall: { tau: k.tau, p: k.pValue, method: k.pValueMethod },
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
