/**
 * The results format, read and written in one place. On disk it is the reference
 * implementation's JSON (`EMI`, `EMID`, `EMID_UB` maps from split name to number; `PearsonR`,
 * `PearsonPval` for EMID against the bound over the OOD splits), which emishift extends with the
 * MI estimates, the four RJSD term maps, rank correlations, bootstrap intervals, `SHIFT`, a
 * per-split `quality` and `provenance`. In memory it is always a SweepResult: `toResultsJson`
 * writes one, `fromResultsJson` reads either flavour back into one (a published reference file
 * simply fills fewer of its parts), and figures and reports take the SweepResult.
 *
 * Reading checks everything up front, so a bad file is one InputError naming the field, never a
 * result with a hole in it. Python's bare NaN/Infinity tokens (json.dump writes them) are read as
 * null, so the check names the split holding one.
 */
import { InputError } from '../errors';
import type { ComparisonPValues, DriftBaselines, ModalityDrift, ShiftDescription } from '../interface';
import { writeFileAtomic } from '../io/atomicWrite';
import { readInputFile } from '../io/inputFile';
import { shiftFamilyLabel } from '../data/shiftFamilies';
import type { BoundTerms } from '../bound/emidUpperBound';
import type { DivergenceCounts } from '../bound/divergenceCache';
import { MIXTURE_WEIGHTINGS, type MixtureWeighting } from '../bound/rjsd';
import type { ResultProvenance, SplitRecord } from './provenance';
import { correlationSummary, type CorrelationSummary, type Interval, type PairComparison, type QualityCorrelation, type QualityMeasure, type SplitEmi, type SweepResult } from './sweep';

/**
 * A results file's JSON object (see the module comment): maps keyed by split name, the correlations
 * of EMID with the bound over the OOD splits, and emishift's additions; further keys pass through.
 */
export interface ResultsJson {
  /** The split every other one is compared against. */
  id_split: string;
  /** RJSD's mixture weighting (`sample-weighted` or `equal`). */
  mixture: string;
  /** Ĥ, when the full bound was computed. */
  entropy_scale?: number;
  /** EMI of every split, the ID split included. */
  EMI: Record<string, number>;
  /** Per split: the MI estimate with the model's responses, I(X; Ŷ), EMI's first term. */
  MI_MODEL?: Record<string, number>;
  /** Per split: the MI estimate with the reference responses, I(X; Y), the term EMI subtracts. */
  MI_REF?: Record<string, number>;
  /** Per OOD split: EMI of the ID split minus EMI of this one. */
  EMID: Record<string, number>;
  /** Per OOD split: the scale-adjusted bound. */
  EMID_UB: Record<string, number>;
  /** Per OOD split: the full bound (with `entropy_scale`). */
  EMID_UB_FULL?: Record<string, number>;
  /** Per OOD split: the bound's four RJSD terms. */
  JSD_V?: Record<string, number>;
  JSD_T?: Record<string, number>;
  JSD_PY?: Record<string, number>;
  JSD_QY?: Record<string, number>;
  /** Per OOD split: permutation p-values (one-sided) of EMID, the bound and the two query RJSDs (`provenance.permutation_test` says how). */
  EMID_PVAL?: Record<string, number>;
  EMID_UB_PVAL?: Record<string, number>;
  /** null for a split without image embeddings: no image term, nothing tested. */
  JSD_V_PVAL?: Record<string, number | null>;
  JSD_T_PVAL?: Record<string, number>;
  /** Per OOD split: EMID's p-value adjusted by Benjamini–Hochberg across the OOD splits. */
  EMID_QVAL?: Record<string, number>;
  /** EMID against EMID_UB over the OOD splits; null when undefined (fewer than 3 OOD splits, or a constant column). */
  PearsonR: number | null;
  PearsonPval: number | null;
  SpearmanRho: number | null;
  SpearmanPval: number | null;
  KendallTau: number | null;
  KendallPval: number | null;
  /** What the generator or the scenario catalog knew of each split's shift. */
  SHIFT?: Record<string, ShiftDescription>;
  /** Names the per-split quality map (`quality.key`), e.g. ACCURACY or RP. */
  quality?: { key: string; label: string; higher_is_better: boolean };
  /** How the results were made (see ResultProvenance). */
  provenance?: ResultProvenance;
  /**
   * With drift baselines (`sweep --baselines`), per OOD split and modality M — V the images
   * (z_v), T the questions (z_t), YHAT the model's answers (z_ŷ); V only with images:
   * `MMD2_M` the unbiased MMD², `MMD2_M_PVAL` its permutation p-value, `MMD2_SIGMA_M` the RBF
   * bandwidth σ, `DOMAIN_AUC_M` the domain classifier's cross-validated ROC-AUC,
   * `MEAN_COS_DIST_M` the cosine distance of the mean embeddings; settings in
   * `provenance.drift_baselines`.
   */
  MMD2_T?: Record<string, number>;
  [extra: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// Drift baselines: one map per modality and statistic

/** The modalities' key suffixes: V the images, T the questions, YHAT the model's answers (as v.npy, t.npy, yhat.npy). */
const BASELINE_MODALITIES = [
  ['image', 'V'],
  ['question', 'T'],
  ['answer', 'YHAT'],
] as const satisfies readonly (readonly [keyof DriftBaselines, string])[];

/** Each statistic's key for a modality suffix, and its field of ModalityDrift. */
const BASELINE_STATISTICS = [
  ['mmd2', (m: string) => `MMD2_${m}`],
  ['mmd2PValue', (m: string) => `MMD2_${m}_PVAL`],
  ['bandwidth', (m: string) => `MMD2_SIGMA_${m}`],
  ['classifierAuc', (m: string) => `DOMAIN_AUC_${m}`],
  ['meanCosineDistance', (m: string) => `MEAN_COS_DIST_${m}`],
] as const satisfies readonly (readonly [keyof ModalityDrift, (suffix: string) => string])[];

const BASELINE_KEYS = BASELINE_MODALITIES.flatMap(([, suffix]) => BASELINE_STATISTICS.map(([, key]) => key(suffix)));

/** The baseline maps of a result whose every comparison has baselines (image maps when every one has images). */
function baselineMaps(comparisons: readonly PairComparison[]): Record<string, Record<string, number>> {
  if (comparisons.length === 0 || !comparisons.every((comparison) => comparison.baselines !== undefined)) return {};
  const maps: Record<string, Record<string, number>> = {};
  for (const [modality, suffix] of BASELINE_MODALITIES) {
    if (!comparisons.every((comparison) => comparison.baselines![modality] !== undefined)) continue;
    for (const [statistic, key] of BASELINE_STATISTICS) maps[key(suffix)] = byTarget(comparisons, (c) => c.baselines![modality]![statistic]);
  }
  return maps;
}

/** The `pair` JSON's baseline keys: mmd2_t, mmd2_t_pvalue, mmd2_sigma_t, domain_auc_t, mean_cos_dist_t, and likewise _v, _yhat. */
function pairBaselineKeys(baselines: DriftBaselines | undefined): Record<string, number> {
  if (!baselines) return {};
  const keys: Record<string, number> = {};
  for (const [modality, suffix] of BASELINE_MODALITIES) {
    const drift = baselines[modality];
    if (!drift) continue;
    const m = suffix.toLowerCase();
    Object.assign(keys, {
      [`mmd2_${m}`]: drift.mmd2,
      [`mmd2_${m}_pvalue`]: drift.mmd2PValue,
      [`mmd2_sigma_${m}`]: drift.bandwidth,
      [`domain_auc_${m}`]: drift.classifierAuc,
      [`mean_cos_dist_${m}`]: drift.meanCosineDistance,
    });
  }
  return keys;
}

/** Each OOD split's baselines from the maps, or undefined when the file has none; the maps come as a set per modality. */
function baselinesOf(results: Json, emid: Record<string, number>): Record<string, DriftBaselines> | undefined {
  const byModality = new Map<keyof DriftBaselines, Record<string, number>[]>();
  for (const [modality, suffix] of BASELINE_MODALITIES) {
    const keys = BASELINE_STATISTICS.map(([, key]) => key(suffix));
    const maps = keys.map((key) => numberMap(results, key, false));
    const present = maps.filter((map) => map !== undefined).length;
    if (present === 0) continue;
    if (present !== keys.length) {
      const missing = keys.filter((_, index) => maps[index] === undefined);
      throw new InputError(`the drift baseline maps come as a set per modality: ${missing.join(', ')} missing`, { field: missing[0] });
    }
    maps.forEach((map, index) => sameSplits(emid, 'EMID', map!, keys[index]));
    byModality.set(modality, maps as Record<string, number>[]);
  }
  if (byModality.size === 0) return undefined;
  for (const required of ['question', 'answer'] as const) {
    if (!byModality.has(required)) {
      const suffix = BASELINE_MODALITIES.find(([modality]) => modality === required)![1];
      throw new InputError(`drift baseline maps without the ${required} maps (${BASELINE_STATISTICS.map(([, key]) => key(suffix)).join(', ')})`, { field: `MMD2_${suffix}` });
    }
  }
  const drift = (maps: Record<string, number>[], split: string): ModalityDrift => {
    const [mmd2, mmd2PValue, bandwidth, classifierAuc, meanCosineDistance] = maps.map((map) => map[split]);
    return { mmd2, mmd2PValue, bandwidth, classifierAuc, meanCosineDistance };
  };
  return Object.fromEntries(
    Object.keys(emid).map((split) => {
      const image = byModality.get('image');
      const baselines: DriftBaselines = {
        ...(image ? { image: drift(image, split) } : {}),
        question: drift(byModality.get('question')!, split),
        answer: drift(byModality.get('answer')!, split),
      };
      return [split, baselines];
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Writing

const byTarget = (comparisons: readonly PairComparison[], value: (comparison: PairComparison) => number): Record<string, number> =>
  Object.fromEntries(comparisons.map((comparison) => [comparison.target, value(comparison)]));

const byTargetInterval = (comparisons: readonly PairComparison[], value: (comparison: PairComparison) => Interval | undefined): Record<string, Interval | null> =>
  Object.fromEntries(comparisons.map((comparison) => [comparison.target, value(comparison) ?? null]));

/** A per-split map of one MI estimate, when every split has it (a computed result always does). */
function estimateMap(emi: Record<string, SplitEmi>, part: 'miModel' | 'miReference'): Record<string, number> | undefined {
  const entries = Object.entries(emi);
  if (!entries.every(([, value]) => value[part] !== undefined)) return undefined;
  return Object.fromEntries(entries.map(([name, value]) => [name, value[part]!]));
}

/** The p-value maps (and EMID_QVAL), when every comparison has p-values (q-values). */
function pValueMaps(comparisons: readonly PairComparison[]): Partial<ResultsJson> {
  if (comparisons.length === 0 || !comparisons.every((comparison) => comparison.pValues !== undefined)) return {};
  const map = (value: (p: ComparisonPValues) => number) => byTarget(comparisons, (c) => value(c.pValues as ComparisonPValues));
  const qValues = comparisons.every((comparison) => comparison.pValues?.emidQValue !== undefined);
  return {
    EMID_PVAL: map((p) => p.emid),
    EMID_UB_PVAL: map((p) => p.emidUpperBound),
    // A missing value is null, as in EMID_UB_FULL and the intervals: the map keeps every split.
    JSD_V_PVAL: Object.fromEntries(comparisons.map((comparison) => [comparison.target, comparison.pValues?.jsdV ?? null])),
    JSD_T_PVAL: map((p) => p.jsdT),
    ...(qValues ? { EMID_QVAL: map((p) => p.emidQValue as number) } : {}),
  };
}

/**
 * A result in the reference format (EMI, EMID, EMID_UB maps, PearsonR, …) with emishift's
 * extensions: MI estimates, RJSD terms, rank correlations, SHIFT, intervals, quality and
 * provenance, each written when the result holds it. `extra` keys come first, as given.
 */
export function toResultsJson(result: SweepResult, extra: Record<string, unknown> = {}): ResultsJson {
  const { comparisons, correlation } = result;
  const miModel = estimateMap(result.emi, 'miModel');
  const miReference = estimateMap(result.emi, 'miReference');
  const terms = comparisons.every((comparison) => comparison.terms !== undefined) ? comparisons.map((comparison) => comparison.terms!) : undefined;
  const termMap = (term: keyof BoundTerms) => Object.fromEntries(comparisons.map((comparison, i) => [comparison.target, terms![i][term]]));
  const json: ResultsJson = {
    ...result.metadata,
    ...extra,
    ...(result.model !== undefined ? { model_name: result.model } : {}),
    ...(result.shiftType !== undefined ? { shift_type: result.shiftType } : {}),
    id_split: result.idSplit,
    mixture: result.mixture,
    ...(result.entropyScale !== undefined ? { entropy_scale: result.entropyScale } : {}),
    EMI: Object.fromEntries(Object.entries(result.emi).map(([name, value]) => [name, value.emi])),
    ...(miModel && miReference ? { MI_MODEL: miModel, MI_REF: miReference } : {}),
    EMID: byTarget(comparisons, (c) => c.emid),
    EMID_UB: byTarget(comparisons, (c) => c.emidUpperBound),
    ...(terms ? { JSD_V: termMap('jsdV'), JSD_T: termMap('jsdT'), JSD_PY: termMap('jsdPy'), JSD_QY: termMap('jsdQy') } : {}),
    ...pValueMaps(comparisons),
    PearsonR: correlation?.pearson.r ?? null,
    PearsonPval: correlation?.pearson.pValue ?? null,
    SpearmanRho: correlation?.spearman.rho ?? null,
    SpearmanPval: correlation?.spearman.pValue ?? null,
    KendallTau: correlation?.kendall.tau ?? null,
    KendallPval: correlation?.kendall.pValue ?? null,
    ...(result.eigenproblems ? { eigenproblems: result.eigenproblems } : {}),
  };
  if (Object.keys(result.shifts).length > 0) json.SHIFT = result.shifts;
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
  Object.assign(json, baselineMaps(comparisons));
  if (result.provenance) json.provenance = result.provenance;
  if (result.quality) {
    const { key, label, higherIsBetter, values, emiCorrelation } = result.quality;
    json.quality = { key, label, higher_is_better: higherIsBetter };
    json[key] = values;
    if (emiCorrelation) {
      const { n, spearmanRho, spearmanPval, kendallTau, kendallPval } = emiCorrelation;
      json[`EMI_vs_${key}`] = { n, spearman_rho: spearmanRho, spearman_pval: spearmanPval, kendall_tau: kendallTau, kendall_pval: kendallPval };
    }
  }
  return json;
}

/** Writes a result as results JSON (see toResultsJson), atomically: a reader never sees half a file. Returns the JSON written. */
export function writeResults(file: string, result: SweepResult, extra: Record<string, unknown> = {}): ResultsJson {
  const json = toResultsJson(result, extra);
  writeFileAtomic(file, `${JSON.stringify(json, null, 2)}\n`);
  return json;
}

/**
 * The `pair` command's flat JSON object: both splits' MI estimates and EMI, EMID, the RJSD terms
 * and the bound, with permutation p-values the `*_pvalue` keys, and with bootstrap intervals the
 * `*_ci` keys (and `interval_method` when given).
 * A part the comparison does not hold (read from a reference-format file) is null.
 */
export function toPairJson(comparison: PairComparison, intervalMethod?: string): Record<string, number | null | Interval | string> {
  const terms = comparison.terms;
  return {
    source_mi_model: comparison.sourceEmi.miModel ?? null,
    source_mi_ref: comparison.sourceEmi.miReference ?? null,
    target_mi_model: comparison.targetEmi.miModel ?? null,
    target_mi_ref: comparison.targetEmi.miReference ?? null,
    emi_source: comparison.sourceEmi.emi,
    emi_target: comparison.targetEmi.emi,
    emid: comparison.emid,
    jsd_v: terms?.jsdV ?? null,
    jsd_t: terms?.jsdT ?? null,
    jsd_py: terms?.jsdPy ?? null,
    jsd_qy: terms?.jsdQy ?? null,
    emid_ub: comparison.emidUpperBound,
    ...(comparison.emidUpperBoundFull !== undefined ? { emid_ub_full: comparison.emidUpperBoundFull } : {}),
    ...(comparison.pValues
      ? { emid_pvalue: comparison.pValues.emid, jsd_v_pvalue: comparison.pValues.jsdV ?? null, jsd_t_pvalue: comparison.pValues.jsdT, emid_ub_pvalue: comparison.pValues.emidUpperBound }
      : {}),
    ...(comparison.intervals
      ? {
          ...(intervalMethod !== undefined ? { interval_method: intervalMethod } : {}),
          emi_source_ci: comparison.intervals.sourceEmi,
          emi_target_ci: comparison.intervals.targetEmi,
          emid_ci: comparison.intervals.emid,
          emid_ub_ci: comparison.intervals.emidUpperBound,
        }
      : {}),
    ...pairBaselineKeys(comparison.baselines),
  };
}

// ---------------------------------------------------------------------------------------------
// Reading

const REFERENCE_KEYS = 'EMI, EMID, EMID_UB maps and PearsonR, PearsonPval';
const TERM_KEYS = ['JSD_V', 'JSD_T', 'JSD_PY', 'JSD_QY'] as const;
const P_VALUE_KEYS = ['EMID_PVAL', 'EMID_UB_PVAL', 'JSD_V_PVAL', 'JSD_T_PVAL'] as const;
const CORRELATION_KEYS = ['PearsonR', 'PearsonPval', 'SpearmanRho', 'SpearmanPval', 'KendallTau', 'KendallPval'] as const;
/** Keys this module reads; every other top-level key is kept in `metadata`. */
const KNOWN_KEYS = new Set<string>([
  'id_split',
  'mixture',
  'entropy_scale',
  'EMI',
  'MI_MODEL',
  'MI_REF',
  'EMID',
  'EMID_UB',
  'EMID_UB_FULL',
  ...TERM_KEYS,
  ...P_VALUE_KEYS,
  'EMID_QVAL',
  ...CORRELATION_KEYS,
  'eigenproblems',
  'SHIFT',
  'bootstrap',
  'EMI_CI',
  'EMID_CI',
  'EMID_UB_CI',
  'PearsonR_CI',
  'SpearmanRho_CI',
  'KendallTau_CI',
  'provenance',
  'quality',
  ...BASELINE_KEYS,
]);

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
}

function finiteNumber(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    const shown = typeof value === 'number' ? String(value) : value === null ? 'null (NaN in the file?)' : value === undefined ? 'missing' : JSON.stringify(value);
    throw new InputError(`expected a finite number, got ${shown}`, { field: where });
  }
  return value;
}

function optionalNumber(value: unknown, where: string): number | undefined {
  return value === undefined || value === null ? undefined : finiteNumber(value, where);
}

function numberMap(results: Json, key: string, required: true): Record<string, number>;
function numberMap(results: Json, key: string, required: false): Record<string, number> | undefined;
function numberMap(results: Json, key: string, required: boolean): Record<string, number> | undefined {
  const value = results[key];
  if (value === undefined) {
    if (!required) return undefined;
    throw new InputError(`not a results file: missing the '${key}' map (expected the reference format — ${REFERENCE_KEYS} — or emishift sweep output)`);
  }
  if (!isPlainObject(value)) throw new InputError(`expected a map from split name to number, got ${kindOf(value)}`, { field: key });
  const map: Record<string, number> = {};
  for (const [split, entry] of Object.entries(value)) map[split] = finiteNumber(entry, `${key}['${split}']`);
  return map;
}

const listed = (names: readonly string[]) => names.slice(0, 3).map((name) => `'${name}'`).join(', ') + (names.length > 3 ? `, … (${names.length})` : '');

function sameSplits(reference: Record<string, number>, referenceKey: string, other: Record<string, unknown>, otherKey: string): void {
  const expected = Object.keys(reference);
  const actual = new Set(Object.keys(other));
  const missing = expected.filter((split) => !actual.has(split));
  const extra = [...actual].filter((split) => !(split in reference));
  if (missing.length === 0 && extra.length === 0) return;
  const parts = [
    `${referenceKey} has ${expected.length} splits and ${otherKey} ${actual.size}`,
    missing.length ? `${otherKey} lacks ${listed(missing)}` : '',
    extra.length ? `${otherKey} has ${listed(extra)} not in ${referenceKey}` : '',
  ].filter(Boolean);
  throw new InputError(`mismatched splits: ${parts.join('; ')}`, { field: otherKey });
}

function interval(value: unknown, where: string): Interval {
  if (!Array.isArray(value) || value.length !== 2) throw new InputError(`expected [lower, upper], got ${JSON.stringify(value)}`, { field: where });
  const lower = finiteNumber(value[0], `${where}[0]`);
  const upper = finiteNumber(value[1], `${where}[1]`);
  if (lower > upper) throw new InputError(`interval lower ${lower} exceeds upper ${upper}`, { field: where });
  return [lower, upper];
}

/** A map from split to [lower, upper]; a split whose interval was not computed is null and left out. */
function intervalMap(results: Json, key: string): Record<string, Interval> {
  const value = results[key];
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new InputError(`expected a map from split name to [lower, upper]`, { field: key });
  const intervals: Record<string, Interval> = {};
  for (const [split, entry] of Object.entries(value)) if (entry !== null) intervals[split] = interval(entry, `${key}['${split}']`);
  return intervals;
}

function optionalInterval(value: unknown, where: string): { interval?: Interval } {
  return value === undefined || value === null ? {} : { interval: interval(value, where) };
}

const MODALITIES: readonly ShiftDescription['modality'][] = ['image', 'text', 'answer', 'joint', 'none'];

/** One SHIFT entry, checked; a missing label becomes the family in words. */
function shiftEntry(entry: unknown, where: string): ShiftDescription {
  if (!isPlainObject(entry)) throw new InputError(`expected { family, label, modality, severity, unit }, got ${JSON.stringify(entry)}`, { field: where });
  if (typeof entry.family !== 'string' || entry.family.trim() === '') throw new InputError(`expected a family name, got ${JSON.stringify(entry.family)}`, { field: `${where}.family` });
  if (entry.label !== undefined && typeof entry.label !== 'string') throw new InputError(`expected a string, got ${JSON.stringify(entry.label)}`, { field: `${where}.label` });
  if (!MODALITIES.includes(entry.modality as ShiftDescription['modality'])) {
    throw new InputError(`expected one of ${MODALITIES.join(', ')}, got ${JSON.stringify(entry.modality)}`, { field: `${where}.modality` });
  }
  const severity = entry.severity === undefined || entry.severity === null ? null : finiteNumber(entry.severity, `${where}.severity`);
  if (entry.unit !== undefined && entry.unit !== null && typeof entry.unit !== 'string') throw new InputError(`expected a string or null, got ${JSON.stringify(entry.unit)}`, { field: `${where}.unit` });
  if (entry.components !== undefined && !Array.isArray(entry.components)) throw new InputError(`expected a list of shifts, got ${kindOf(entry.components)}`, { field: `${where}.components` });
  return {
    family: entry.family,
    label: typeof entry.label === 'string' && entry.label !== '' ? entry.label : shiftFamilyLabel(entry.family),
    modality: entry.modality as ShiftDescription['modality'],
    severity,
    unit: typeof entry.unit === 'string' && entry.unit !== '' ? entry.unit : null,
    ...(Array.isArray(entry.components) ? { components: entry.components.map((part, i) => shiftEntry(part, `${where}.components[${i}]`)) } : {}),
  };
}

function shiftMap(value: unknown): Record<string, ShiftDescription> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new InputError(`expected a map from split name to { family, label, modality, severity, unit }`, { field: 'SHIFT' });
  return Object.fromEntries(Object.entries(value).map(([split, entry]) => [split, shiftEntry(entry, `SHIFT['${split}']`)]));
}

/** Quality maps a results file may hold without naming them in `quality`, in order of preference. */
const KNOWN_QUALITIES: readonly { key: string; label: string; higherIsBetter: boolean }[] = [
  { key: 'ACCURACY', label: 'accuracy', higherIsBetter: true },
  { key: 'RP', label: 'relative preference (RP)', higherIsBetter: true },
];

function qualityCorrelation(value: unknown, key: string): QualityCorrelation | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new InputError(`expected { n, spearman_rho, spearman_pval, kendall_tau, kendall_pval }`, { field: key });
  return {
    n: finiteNumber(value.n, `${key}.n`),
    spearmanRho: finiteNumber(value.spearman_rho, `${key}.spearman_rho`),
    spearmanPval: finiteNumber(value.spearman_pval, `${key}.spearman_pval`),
    kendallTau: finiteNumber(value.kendall_tau, `${key}.kendall_tau`),
    kendallPval: finiteNumber(value.kendall_pval, `${key}.kendall_pval`),
  };
}

/** The quality the results name in `quality`, else an ACCURACY or RP map; undefined when none. */
function qualityMeasure(results: Json): QualityMeasure | undefined {
  let chosen: { key: string; label: string; higherIsBetter: boolean } | undefined;
  const declared = results.quality;
  if (declared !== undefined && declared !== null) {
    if (!isPlainObject(declared)) throw new InputError(`expected { key, label, higher_is_better }, got ${JSON.stringify(declared)}`, { field: 'quality' });
    if (typeof declared.key !== 'string' || declared.key === '') throw new InputError(`expected the key of a per-split map, got ${JSON.stringify(declared.key)}`, { field: 'quality.key' });
    if (results[declared.key] === undefined) throw new InputError(`names '${declared.key}', but the results have no '${declared.key}' map`, { field: 'quality.key' });
    if (declared.label !== undefined && typeof declared.label !== 'string') throw new InputError(`expected a string, got ${JSON.stringify(declared.label)}`, { field: 'quality.label' });
    if (declared.higher_is_better !== undefined && typeof declared.higher_is_better !== 'boolean') {
      throw new InputError(`expected true or false, got ${JSON.stringify(declared.higher_is_better)}`, { field: 'quality.higher_is_better' });
    }
    const known = KNOWN_QUALITIES.find((entry) => entry.key === declared.key);
    chosen = {
      key: declared.key,
      label: typeof declared.label === 'string' && declared.label !== '' ? declared.label : (known?.label ?? shiftFamilyLabel(declared.key.toLowerCase())),
      higherIsBetter: typeof declared.higher_is_better === 'boolean' ? declared.higher_is_better : (known?.higherIsBetter ?? true),
    };
  } else {
    chosen = KNOWN_QUALITIES.find((entry) => results[entry.key] !== undefined && results[entry.key] !== null);
  }
  if (!chosen) return undefined;
  const measure: QualityMeasure = { ...chosen, values: numberMap(results, chosen.key, true) };
  const emiCorrelation = qualityCorrelation(results[`EMI_vs_${chosen.key}`], `EMI_vs_${chosen.key}`);
  if (emiCorrelation) measure.emiCorrelation = emiCorrelation;
  return measure;
}

function requireString(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new InputError(`expected a string, got ${JSON.stringify(value)}`, { field: where });
  return value;
}

/**
 * The provenance block, checked where code relies on it (the version, the estimator's name, the
 * split records) and otherwise kept as recorded: the report prints it as it is.
 */
function provenanceOf(value: unknown): ResultProvenance | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new InputError(`expected an object, got ${kindOf(value)}`, { field: 'provenance' });
  requireString(value.emishift_version, 'provenance.emishift_version');
  if (!isPlainObject(value.estimator)) throw new InputError(`expected an object, got ${kindOf(value.estimator)}`, { field: 'provenance.estimator' });
  requireString(value.estimator.name, 'provenance.estimator.name');
  if (!isPlainObject(value.splits)) throw new InputError(`expected a map from split name to its record, got ${kindOf(value.splits)}`, { field: 'provenance.splits' });
  for (const [split, record] of Object.entries(value.splits)) {
    if (!isPlainObject(record)) throw new InputError(`expected { rows, space, manifest_digest }, got ${JSON.stringify(record)}`, { field: `provenance.splits['${split}']` });
    finiteNumber(record.rows, `provenance.splits['${split}'].rows`);
  }
  return value as unknown as ResultProvenance;
}

function bootstrapSettings(value: unknown): Omit<NonNullable<SweepResult['bootstrap']>, 'sourceEmi'> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new InputError(`expected { resamples, confidence, seed, method }, got ${kindOf(value)}`, { field: 'bootstrap' });
  return {
    resamples: finiteNumber(value.resamples, 'bootstrap.resamples'),
    confidence: finiteNumber(value.confidence, 'bootstrap.confidence'),
    seed: finiteNumber(value.seed, 'bootstrap.seed'),
    method: requireString(value.method, 'bootstrap.method'),
  };
}

function eigenproblemCounts(value: unknown): DivergenceCounts | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new InputError(`expected { entropies, mixtures, reused }, got ${kindOf(value)}`, { field: 'eigenproblems' });
  return {
    entropies: finiteNumber(value.entropies, 'eigenproblems.entropies'),
    mixtures: finiteNumber(value.mixtures, 'eigenproblems.mixtures'),
    reused: finiteNumber(value.reused, 'eigenproblems.reused'),
  };
}

/** The ID split: `id_split`, else the one split in the EMI map without an EMID. */
function idSplitOf(results: Json, emi: Record<string, number>, emid: Record<string, number>): string {
  if (results.id_split !== undefined) {
    const id = requireString(results.id_split, 'id_split');
    if (!(id in emi)) throw new InputError(`names '${id}', but the EMI map has no '${id}'`, { field: 'id_split' });
    return id;
  }
  const candidates = Object.keys(emi).filter((split) => !(split in emid));
  if (candidates.length === 1) return candidates[0];
  throw new InputError(
    `cannot tell the ID split: ${candidates.length === 0 ? 'every split of EMI has an EMID' : `EMI has ${candidates.length} splits without an EMID (${listed(candidates)})`}; name it with 'id_split'`,
    { field: 'EMI' },
  );
}

/**
 * The correlation the file records; statistics it lacks (the reference format records Pearson
 * only) are computed from its EMID and EMID_UB maps.
 */
function correlationOf(results: Json, emids: number[], bounds: number[]): CorrelationSummary | undefined {
  const recorded = (value: string, pValue: string): [number, number] | undefined => {
    const coefficient = optionalNumber(results[value], value);
    const p = optionalNumber(results[pValue], pValue);
    return coefficient !== undefined && p !== undefined ? [coefficient, p] : undefined;
  };
  const computed = correlationSummary(emids, bounds);
  const pearson = recorded('PearsonR', 'PearsonPval') ?? (computed ? [computed.pearson.r, computed.pearson.pValue] : undefined);
  const spearman = recorded('SpearmanRho', 'SpearmanPval') ?? (computed ? [computed.spearman.rho, computed.spearman.pValue] : undefined);
  const kendall = recorded('KendallTau', 'KendallPval') ?? (computed ? [computed.kendall.tau, computed.kendall.pValue] : undefined);
  if (!pearson || !spearman || !kendall) return undefined;
  return {
    n: emids.length,
    pearson: { r: pearson[0], pValue: pearson[1], ...optionalInterval(results.PearsonR_CI, 'PearsonR_CI') },
    spearman: { rho: spearman[0], pValue: spearman[1], ...optionalInterval(results.SpearmanRho_CI, 'SpearmanRho_CI') },
    kendall: { tau: kendall[0], pValue: kendall[1], ...optionalInterval(results.KendallTau_CI, 'KendallTau_CI') },
  };
}

/**
 * A results object (the reference format or emishift's) as a SweepResult. Throws InputError when
 * it is neither format, when a map holds a non-number (NaN is null after a JSON round trip), when
 * the maps cover different splits, when the ID split cannot be told, when RJSD terms or a
 * split's intervals come incomplete, or when SHIFT, quality, bootstrap or provenance are present
 * but malformed. The figures need 3 or more OOD splits; that is checked where they are drawn.
 */
export function fromResultsJson(input: unknown): SweepResult {
  if (!isPlainObject(input)) {
    throw new InputError(`not a results object: got ${kindOf(input)} (expected the reference format — ${REFERENCE_KEYS} — or emishift sweep output)`, { field: 'results' });
  }
  const results = input;
  const emid = numberMap(results, 'EMID', true);
  const bound = numberMap(results, 'EMID_UB', true);
  sameSplits(emid, 'EMID', bound, 'EMID_UB');
  const emi = numberMap(results, 'EMI', true);
  const noEmi = Object.keys(emid).filter((split) => !(split in emi));
  if (noEmi.length > 0) throw new InputError(`EMID has ${listed(noEmi)}, but EMI has no value for ${noEmi.length === 1 ? 'it' : 'them'}`, { field: 'EMI' });
  const termMaps = TERM_KEYS.map((key) => numberMap(results, key, false));
  const present = termMaps.filter((map) => map !== undefined).length;
  if (present !== 0 && present !== TERM_KEYS.length) {
    const missing = TERM_KEYS.filter((_, index) => termMaps[index] === undefined);
    throw new InputError(`the RJSD term maps come as a set: ${missing.join(', ')} missing`, { field: missing[0] });
  }
  termMaps.forEach((map, index) => {
    if (map) sameSplits(emid, 'EMID', map, TERM_KEYS[index]);
  });
  const miModel = numberMap(results, 'MI_MODEL', false);
  const miReference = numberMap(results, 'MI_REF', false);
  if ((miModel === undefined) !== (miReference === undefined)) throw new InputError('the MI estimate maps come as a pair: MI_MODEL and MI_REF', { field: miModel ? 'MI_REF' : 'MI_MODEL' });
  if (miModel) sameSplits(emi, 'EMI', miModel, 'MI_MODEL');
  if (miReference) sameSplits(emi, 'EMI', miReference, 'MI_REF');
  const full = numberMapAllowingNull(results, 'EMID_UB_FULL');
  const baselines = baselinesOf(results, emid);
  const pValues = pValueMapsOf(results, emid);

  const idSplit = idSplitOf(results, emi, emid);
  let mixture: MixtureWeighting = 'sample-weighted'; // the reference implementation's only mixture
  if (results.mixture !== undefined) {
    if (!MIXTURE_WEIGHTINGS.includes(results.mixture as MixtureWeighting)) {
      throw new InputError(`expected one of ${MIXTURE_WEIGHTINGS.join(', ')}, got ${JSON.stringify(results.mixture)}`, { field: 'mixture' });
    }
    mixture = results.mixture as MixtureWeighting;
  }
  const entropyScale = optionalNumber(results.entropy_scale, 'entropy_scale');
  const provenance = provenanceOf(results.provenance);

  const splitEmi = (split: string): SplitEmi => ({
    emi: emi[split],
    ...(miModel && miReference ? { miModel: miModel[split], miReference: miReference[split] } : {}),
  });
  const emiIntervals = intervalMap(results, 'EMI_CI');
  const emidIntervals = intervalMap(results, 'EMID_CI');
  const boundIntervals = intervalMap(results, 'EMID_UB_CI');
  const comparisons: PairComparison[] = Object.keys(emid).map((split) => {
    const comparison: PairComparison = { source: idSplit, target: split, sourceEmi: splitEmi(idSplit), targetEmi: splitEmi(split), emid: emid[split], emidUpperBound: bound[split] };
    if (present) {
      const [v, t, py, qy] = termMaps as Record<string, number>[];
      comparison.terms = { jsdV: v[split], jsdT: t[split], jsdPy: py[split], jsdQy: qy[split] };
    }
    if (full?.[split] !== undefined) comparison.emidUpperBoundFull = full[split];
    const parts = { [`EMI_CI['${idSplit}']`]: emiIntervals[idSplit], [`EMI_CI['${split}']`]: emiIntervals[split], [`EMID_CI['${split}']`]: emidIntervals[split], [`EMID_UB_CI['${split}']`]: boundIntervals[split] };
    if (emidIntervals[split] || boundIntervals[split] || emiIntervals[split]) {
      const missing = Object.entries(parts).filter(([, value]) => value === undefined).map(([key]) => key);
      if (missing.length > 0) throw new InputError(`a split's intervals come as a set: ${missing.join(', ')} missing`, { field: missing[0] });
      comparison.intervals = { sourceEmi: emiIntervals[idSplit], targetEmi: emiIntervals[split], emid: emidIntervals[split], emidUpperBound: boundIntervals[split] };
    }
    const record = provenance?.splits[split] as SplitRecord | undefined;
    if (record) comparison.targetSplit = record;
    if (baselines) comparison.baselines = baselines[split];
    if (pValues) {
      const [emidP, boundP, imageP, textP] = pValues.maps;
      const q = pValues.q;
      comparison.pValues = { emid: emidP[split], ...(imageP[split] !== undefined ? { jsdV: imageP[split] } : {}), jsdT: textP[split], emidUpperBound: boundP[split], ...(q ? { emidQValue: q[split] } : {}) };
    }
    return comparison;
  });

  const result: SweepResult = {
    idSplit,
    mixture,
    ...(entropyScale !== undefined ? { entropyScale } : {}),
    emi: Object.fromEntries(Object.keys(emi).map((split) => [split, splitEmi(split)])),
    comparisons,
    shifts: shiftMap(results.SHIFT),
  };
  const correlation = correlationOf(
    results,
    comparisons.map((comparison) => comparison.emid),
    comparisons.map((comparison) => comparison.emidUpperBound),
  );
  if (correlation) result.correlation = correlation;
  const quality = qualityMeasure(results);
  if (quality) result.quality = quality;
  const settings = bootstrapSettings(results.bootstrap);
  if (settings && emiIntervals[idSplit]) result.bootstrap = { ...settings, sourceEmi: emiIntervals[idSplit] };
  const eigenproblems = eigenproblemCounts(results.eigenproblems);
  if (eigenproblems) result.eigenproblems = eigenproblems;
  if (provenance) result.provenance = provenance;
  const known = new Set([...KNOWN_KEYS, ...(quality ? [quality.key, `EMI_vs_${quality.key}`] : [])]);
  if (typeof results.model_name === 'string') {
    result.model = results.model_name;
    known.add('model_name');
  }
  if (typeof results.shift_type === 'string') {
    result.shiftType = results.shift_type;
    known.add('shift_type');
  }
  const metadata = Object.fromEntries(Object.entries(results).filter(([key]) => !known.has(key)));
  if (Object.keys(metadata).length > 0) result.metadata = metadata;
  return result;
}

/**
 * The p-value maps (EMID_PVAL, EMID_UB_PVAL, JSD_V_PVAL, JSD_T_PVAL, then EMID_QVAL when present),
 * checked: a set, over EMID's splits, each in [0, 1]; JSD_V_PVAL's null entries (text-only
 * splits) are left out of its map.
 */
function pValueMapsOf(results: Json, emid: Record<string, number>): { maps: Record<string, number>[]; q?: Record<string, number> } | undefined {
  const maps = P_VALUE_KEYS.map((key) => (key === 'JSD_V_PVAL' ? numberMapAllowingNull(results, key) : numberMap(results, key, false)));
  const present = maps.filter((map) => map !== undefined).length;
  const q = numberMap(results, 'EMID_QVAL', false);
  if (present === 0) {
    if (q) throw new InputError('EMID_QVAL needs the p-value maps it adjusts: EMID_PVAL missing', { field: 'EMID_QVAL' });
    return undefined;
  }
  if (present !== P_VALUE_KEYS.length) {
    const missing = P_VALUE_KEYS.filter((_, index) => maps[index] === undefined);
    throw new InputError(`the p-value maps come as a set: ${missing.join(', ')} missing`, { field: missing[0] });
  }
  const checked: [string, Record<string, number>][] = P_VALUE_KEYS.map((key, index) => [key, maps[index] as Record<string, number>]);
  if (q) checked.push(['EMID_QVAL', q]);
  for (const [key, map] of checked) {
    sameSplits(emid, 'EMID', key === 'JSD_V_PVAL' ? (results[key] as Record<string, unknown>) : map, key);
    for (const [split, value] of Object.entries(map)) if (value < 0 || value > 1) throw new InputError(`expected a p-value in [0, 1], got ${value}`, { field: `${key}['${split}']` });
  }
  return { maps: maps as Record<string, number>[], ...(q ? { q } : {}) };
}

/** A map whose null entries mean "not computed" (EMID_UB_FULL of a split without a full bound). */
function numberMapAllowingNull(results: Json, key: string): Record<string, number> | undefined {
  const value = results[key];
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new InputError(`expected a map from split name to number, got ${kindOf(value)}`, { field: key });
  return Object.fromEntries(Object.entries(value).flatMap(([split, entry]) => (entry === null ? [] : [[split, finiteNumber(entry, `${key}['${split}']`)]])));
}

/**
 * JSON.parse, except that Python's bare NaN/Infinity tokens (json.dump writes them) become null,
 * so the checks can name the split holding one instead of failing on "Unexpected token N".
 */
function parseTolerantJson(text: string, file?: string): unknown {
  const tolerant = text.replace(/"(?:[^"\\]|\\.)*"|-?\bInfinity\b|\bNaN\b/g, (token) => (token.startsWith('"') ? token : 'null'));
  try {
    return JSON.parse(tolerant);
  } catch (error) {
    throw new InputError(`not valid JSON: ${(error as Error).message}`, { file });
  }
}

/** A results text (see fromResultsJson); `file` names it in error messages. */
export function parseResultsJson(text: string, file?: string): SweepResult {
  const parsed = parseTolerantJson(text, file);
  try {
    return fromResultsJson(parsed);
  } catch (error) {
    // Name the file: the checks only know the field.
    if (error instanceof InputError && error.file === undefined && file !== undefined) throw new InputError(error.message, { file });
    throw error;
  }
}

/** Reads a results file: the reference implementation's published JSON or emishift's (see fromResultsJson). */
export function readResults(file: string): SweepResult {
  return parseResultsJson(readInputFile(file).toString('utf8'), file);
}
