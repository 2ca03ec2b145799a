/**
 * The results JSON in the reference implementation's format (`EMI`, `EMID`, `EMID_UB` maps from
 * split name to number; `PearsonR`, `PearsonPval` for EMID against the bound over OOD splits),
 * extended with the four RJSD term maps, the MI estimates, and rank correlations.
 */
import type { ShiftDescription } from '../interface';
import type { ResultProvenance } from './provenance';
import type { Interval, PairComparison, SweepResult } from './sweep';

export interface ResultsJson {
  id_split: string;
  mixture: string;
  entropy_scale?: number;
  EMI: Record<string, number>;
  MI_MODEL: Record<string, number>;
  MI_REF: Record<string, number>;
  EMID: Record<string, number>;
  EMID_UB: Record<string, number>;
  EMID_UB_FULL?: Record<string, number>;
  JSD_V: Record<string, number>;
  JSD_T: Record<string, number>;
  JSD_PY: Record<string, number>;
  JSD_QY: Record<string, number>;
  PearsonR: number | null;
  PearsonPval: number | null;
  SpearmanRho: number | null;
  SpearmanPval: number | null;
  KendallTau: number | null;
  KendallPval: number | null;
  /** What the generator or the scenario catalog knew of each split's shift. */
  SHIFT?: Record<string, ShiftDescription>;
  /** How the results were made (see ResultProvenance). */
  provenance?: ResultProvenance;
  [extra: string]: unknown;
}

const byTarget = (comparisons: readonly PairComparison[], value: (comparison: PairComparison) => number): Record<string, number> =>
  Object.fromEntries(comparisons.map((comparison) => [comparison.target, value(comparison)]));

const byTargetInterval = (comparisons: readonly PairComparison[], value: (comparison: PairComparison) => Interval | undefined): Record<string, Interval | null> =>
  Object.fromEntries(comparisons.map((comparison) => [comparison.target, value(comparison) ?? null]));

/** A sweep in the reference results format (EMI, EMID, EMID_UB maps, PearsonR, …), with SHIFT and provenance. */
export function toResultsJson(result: SweepResult, extra: Record<string, unknown> = {}): ResultsJson {
  const { comparisons, correlation } = result;
  const json: ResultsJson = {
    ...extra,
    id_split: result.idSplit,
    mixture: result.mixture,
    ...(result.entropyScale !== undefined ? { entropy_scale: result.entropyScale } : {}),
    EMI: Object.fromEntries(Object.entries(result.emi).map(([name, value]) => [name, value.emi])),
    MI_MODEL: Object.fromEntries(Object.entries(result.emi).map(([name, value]) => [name, value.miModel])),
    MI_REF: Object.fromEntries(Object.entries(result.emi).map(([name, value]) => [name, value.miReference])),
    EMID: byTarget(comparisons, (c) => c.emid),
    EMID_UB: byTarget(comparisons, (c) => c.emidUpperBound),
    JSD_V: byTarget(comparisons, (c) => c.terms.jsdV),
    JSD_T: byTarget(comparisons, (c) => c.terms.jsdT),
    JSD_PY: byTarget(comparisons, (c) => c.terms.jsdPy),
    JSD_QY: byTarget(comparisons, (c) => c.terms.jsdQy),
    PearsonR: correlation?.pearson.r ?? null,
    PearsonPval: correlation?.pearson.pValue ?? null,
    SpearmanRho: correlation?.spearman.rho ?? null,
    SpearmanPval: correlation?.spearman.pValue ?? null,
    KendallTau: correlation?.kendall.tau ?? null,
    KendallPval: correlation?.kendall.pValue ?? null,
    eigenproblems: result.eigenproblems,
  };
  // Figures accept hand-made SweepResult-like objects too, which may carry no provenance.
  const shifts = Object.entries(result.provenance?.splits ?? {}).flatMap(([name, split]) => (split.shift ? [[name, split.shift] as const] : []));
  if (shifts.length > 0) json.SHIFT = Object.fromEntries(shifts);
  if (result.bootstrap) {
    const { sourceEmi, ...settings } = result.bootstrap;
    json.bootstrap = settings;
    json.EMI_CI = { [result.idSplit]: sourceEmi, ...byTargetInterval(comparisons, (c) => c.intervals?.targetEmi) };
    json.EMID_CI = byTargetInterval(comparisons, (c) => c.intervals?.emid);
    json.EMID_UB_CI = byTargetInterval(comparisons, (c) => c.intervals?.emidUpperBound);
    json.PearsonR_CI = correlation?.pearson.interval ?? null;
    json.SpearmanRho_CI = correlation?.spearman.interval ?? null;
    json.KendallTau_CI = correlation?.kendall.interval ?? null;
  }
  if (result.entropyScale !== undefined) json.EMID_UB_FULL = byTarget(comparisons, (c) => c.emidUpperBoundFull ?? NaN);
  if (result.provenance) json.provenance = result.provenance;
  return json;
}

/** The `pair` command's flat JSON object. */
export function pairJson(comparison: PairComparison): Record<string, number> {
  return {
    source_mi_model: comparison.sourceEmi.miModel,
    source_mi_ref: comparison.sourceEmi.miReference,
    target_mi_model: comparison.targetEmi.miModel,
    target_mi_ref: comparison.targetEmi.miReference,
    emi_source: comparison.sourceEmi.emi,
    emi_target: comparison.targetEmi.emi,
    emid: comparison.emid,
    jsd_v: comparison.terms.jsdV,
    jsd_t: comparison.terms.jsdT,
    jsd_py: comparison.terms.jsdPy,
    jsd_qy: comparison.terms.jsdQy,
    emid_ub: comparison.emidUpperBound,
    ...(comparison.emidUpperBoundFull !== undefined ? { emid_ub_full: comparison.emidUpperBoundFull } : {}),
  };
}

/**
 * The `pair` command's intervals (with --bootstrap), keyed like its values, and the method that
 * formed them (`interval_method`) when it is given.
 */
export function pairIntervalsJson(comparison: PairComparison, method?: string): Record<string, Interval | string> {
  if (!comparison.intervals) return {};
  return {
    ...(method !== undefined ? { interval_method: method } : {}),
    emi_source_ci: comparison.intervals.sourceEmi,
    emi_target_ci: comparison.intervals.targetEmi,
    emid_ci: comparison.intervals.emid,
    emid_ub_ci: comparison.intervals.emidUpperBound,
  };
}
