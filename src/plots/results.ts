/**
 * Reading a results object for plotting and reporting: the reference implementation's published
 * format (EMI, EMID, EMID_UB maps; PearsonR, PearsonPval), the `emishift sweep`/`run` output (the
 * same plus JSD_* term maps, rank correlations and optional intervals), or an in-memory
 * SweepResult. Optional parts a results file may carry, each used when present:
 * - `SHIFT`: per split `{ family, label, modality, severity, unit }` (else the scenario catalog
 *   for the paper's split names, else 'other');
 * - `quality`: `{ key, label, higher_is_better }` naming a per-split map such as ACCURACY or RP
 *   (else an ACCURACY or RP map when there is one), with `EMI_vs_<KEY>` rank correlations;
 * - `provenance`: how the results were made, kept as recorded for the report to print.
 * Everything is checked up front so a bad file is one InputError naming the problem, never an
 * empty or silently truncated figure.
 */
import { InputError } from '../errors';
import type { SweepResult } from '../sweep/sweep';
import { toResultsJson } from '../sweep/resultsJson';
import { requireCorrelatable, requireFinite, requireVarying } from './format';
import { readableLabel, shiftInfoOf, type ShiftInfo, type ShiftModality } from './shift';

export type ResultsFormat = 'reference' | 'sweep';

export interface SplitResult {
  split: string;
  /** The shift family token (the same as `shift.family`). */
  family: string;
  /** The split's shift: from the results' SHIFT map, else the scenario catalog, else 'other'. */
  shift: ShiftInfo;
  /** The per-split quality (e.g. accuracy) when the results hold one. */
  quality?: number;
  /** EMI of the OOD split, when the results hold it. */
  emi?: number;
  emid: number;
  bound: number;
  terms?: { jsdV: number; jsdT: number; jsdPy: number; jsdQy: number };
  emidInterval?: [number, number];
  boundInterval?: [number, number];
}

export interface NormalizedResults {
  format: ResultsFormat;
  /** The ID split, when the results name it or the EMI map has exactly one split without an EMID. */
  idSplit?: string;
  /** Model and benchmark names from the reference format's metadata, when present. */
  model?: string;
  shiftType?: string;
  /** EMI of every split the results hold (ID included). */
  emi: Record<string, number>;
  /** OOD splits in the order of the EMID map. */
  splits: SplitResult[];
  /** The correlation the file itself reports (recomputed values are in the summary). */
  reported: { pearsonR?: number; pearsonPval?: number };
  /** The shift of every split the results describe (OOD splits and, when known, the ID split). */
  shift: Record<string, ShiftInfo>;
  /** Where the shift information came from: the file's SHIFT map, or split names only. */
  shiftSource: 'file' | 'names';
  /** The per-split quality measure the job recorded (accuracy, RP, …), when there is one. */
  quality?: QualityMeasure;
  /** How the results were made, as the file records it (printed by the report as is). */
  provenance?: Record<string, unknown>;
}

/** Rank correlations of EMI with the quality, as a results file records them (`EMI_vs_<KEY>`). */
export interface ReportedRankCorrelation {
  n: number;
  spearmanRho: number;
  spearmanPval: number;
  kendallTau: number;
  kendallPval: number;
}

export interface QualityMeasure {
  /** The key of the map in the results, e.g. 'ACCURACY' or 'RP'. */
  key: string;
  /** In words, e.g. "accuracy". */
  label: string;
  higherIsBetter: boolean;
  /** Every split that has a value, the ID split included. */
  values: Record<string, number>;
  /** What the file says about EMI against it, when it does. */
  reported?: ReportedRankCorrelation;
}

const REFERENCE_KEYS = 'EMI, EMID, EMID_UB maps and PearsonR, PearsonPval';
const TERM_KEYS = ['JSD_V', 'JSD_T', 'JSD_PY', 'JSD_QY'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSweepResult(value: Record<string, unknown>): value is Record<string, unknown> & SweepResult {
  return Array.isArray(value.comparisons) && typeof value.idSplit === 'string' && isPlainObject(value.emi);
}

function numberMap(results: Record<string, unknown>, key: string, required: true): Record<string, number>;
function numberMap(results: Record<string, unknown>, key: string, required: false): Record<string, number> | undefined;
function numberMap(results: Record<string, unknown>, key: string, required: boolean): Record<string, number> | undefined {
  const value = results[key];
  if (value === undefined) {
    if (!required) return undefined;
    throw new InputError(
      `not a results file: missing the '${key}' map (expected the reference format — ${REFERENCE_KEYS} — or emishift sweep output)`,
    );
  }
  if (!isPlainObject(value)) throw new InputError(`expected a map from split name to number, got ${Array.isArray(value) ? 'an array' : typeof value}`, { field: key });
  const map: Record<string, number> = {};
  for (const [split, entry] of Object.entries(value)) map[split] = requireFinite(entry, `${key}['${split}']`);
  return map;
}

function sameSplits(reference: Record<string, number>, referenceKey: string, other: Record<string, unknown>, otherKey: string): void {
  const expected = Object.keys(reference);
  const actual = new Set(Object.keys(other));
  const missing = expected.filter((split) => !actual.has(split));
  const extra = [...actual].filter((split) => !(split in reference));
  if (missing.length === 0 && extra.length === 0) return;
  const list = (names: string[]) => names.slice(0, 3).map((name) => `'${name}'`).join(', ') + (names.length > 3 ? `, … (${names.length})` : '');
  const parts = [
    `${referenceKey} has ${expected.length} splits and ${otherKey} ${actual.size}`,
    missing.length ? `${otherKey} lacks ${list(missing)}` : '',
    extra.length ? `${otherKey} has ${list(extra)} not in ${referenceKey}` : '',
  ].filter(Boolean);
  throw new InputError(`mismatched splits: ${parts.join('; ')}`, { field: otherKey });
}

function intervalMap(results: Record<string, unknown>, key: string): Record<string, [number, number]> {
  const value = results[key];
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new InputError(`expected a map from split name to [lower, upper]`, { field: key });
  const intervals: Record<string, [number, number]> = {};
  for (const [split, entry] of Object.entries(value)) {
    // A sweep writes null for a split whose interval was not computed; that split just has no band.
    if (entry === null) continue;
    if (!Array.isArray(entry) || entry.length !== 2) throw new InputError(`expected [lower, upper], got ${JSON.stringify(entry)}`, { field: `${key}['${split}']` });
    const lower = requireFinite(entry[0], `${key}['${split}'][0]`);
    const upper = requireFinite(entry[1], `${key}['${split}'][1]`);
    if (lower > upper) throw new InputError(`interval lower ${lower} exceeds upper ${upper}`, { field: `${key}['${split}']` });
    intervals[split] = [lower, upper];
  }
  return intervals;
}

function optionalNumber(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  return requireFinite(value, key);
}

const MODALITIES: readonly ShiftModality[] = ['image', 'text', 'joint', 'none'];

/** The SHIFT map (split → family, label, modality, severity, unit), checked; undefined when absent. */
function shiftMap(value: unknown): Record<string, ShiftInfo> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new InputError(`expected a map from split name to { family, label, modality, severity, unit }`, { field: 'SHIFT' });
  const map: Record<string, ShiftInfo> = {};
  for (const [split, entry] of Object.entries(value)) {
    const where = `SHIFT['${split}']`;
    if (!isPlainObject(entry)) throw new InputError(`expected { family, label, modality, severity, unit }, got ${JSON.stringify(entry)}`, { field: where });
    if (typeof entry.family !== 'string' || entry.family.trim() === '') throw new InputError(`expected a family name, got ${JSON.stringify(entry.family)}`, { field: `${where}.family` });
    if (entry.label !== undefined && typeof entry.label !== 'string') throw new InputError(`expected a string, got ${JSON.stringify(entry.label)}`, { field: `${where}.label` });
    if (!MODALITIES.includes(entry.modality as ShiftModality)) throw new InputError(`expected one of ${MODALITIES.join(', ')}, got ${JSON.stringify(entry.modality)}`, { field: `${where}.modality` });
    const severity = entry.severity === undefined || entry.severity === null ? null : requireFinite(entry.severity, `${where}.severity`);
    if (entry.unit !== undefined && entry.unit !== null && typeof entry.unit !== 'string') throw new InputError(`expected a string or null, got ${JSON.stringify(entry.unit)}`, { field: `${where}.unit` });
    map[split] = {
      family: entry.family,
      label: readableLabel(entry.label as string | undefined, entry.family),
      modality: entry.modality as ShiftModality,
      severity,
      unit: typeof entry.unit === 'string' && entry.unit !== '' ? entry.unit : null,
    };
  }
  return map;
}

/** Quality maps a results file may hold without naming them in `quality`, in order of preference. */
const KNOWN_QUALITIES: readonly { key: string; label: string; higherIsBetter: boolean }[] = [
  { key: 'ACCURACY', label: 'accuracy', higherIsBetter: true },
  { key: 'RP', label: 'relative preference (RP)', higherIsBetter: true },
];

function reportedRankCorrelation(value: unknown, key: string): ReportedRankCorrelation | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new InputError(`expected { n, spearman_rho, spearman_pval, kendall_tau, kendall_pval }`, { field: key });
  return {
    n: requireFinite(value.n, `${key}.n`),
    spearmanRho: requireFinite(value.spearman_rho, `${key}.spearman_rho`),
    spearmanPval: requireFinite(value.spearman_pval, `${key}.spearman_pval`),
    kendallTau: requireFinite(value.kendall_tau, `${key}.kendall_tau`),
    kendallPval: requireFinite(value.kendall_pval, `${key}.kendall_pval`),
  };
}

/** The quality the results name in `quality`, else an ACCURACY or RP map; undefined when none. */
function qualityMeasure(results: Record<string, unknown>): QualityMeasure | undefined {
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
      label: typeof declared.label === 'string' && declared.label !== '' ? declared.label : (known?.label ?? readableLabel(undefined, declared.key.toLowerCase())),
      higherIsBetter: typeof declared.higher_is_better === 'boolean' ? declared.higher_is_better : (known?.higherIsBetter ?? true),
    };
  } else {
    chosen = KNOWN_QUALITIES.find((entry) => results[entry.key] !== undefined && results[entry.key] !== null);
  }
  if (!chosen) return undefined;
  const values = numberMap(results, chosen.key, true);
  const measure: QualityMeasure = { ...chosen, values };
  const reported = reportedRankCorrelation(results[`EMI_vs_${chosen.key}`], `EMI_vs_${chosen.key}`);
  if (reported) measure.reported = reported;
  return measure;
}

/**
 * Checks and normalises a results object. Throws InputError when it is neither format, when a
 * map holds a non-number (NaN is written as null by a JSON round-trip), when the maps cover
 * different splits, when there are fewer than 3 OOD splits or a constant column (no
 * correlation to plot), or when SHIFT, quality or provenance are present but malformed.
 */
export function normalizeResults(input: unknown): NormalizedResults {
  if (!isPlainObject(input)) {
    throw new InputError(`not a results object: got ${Array.isArray(input) ? 'an array' : input === null ? 'null' : typeof input} (expected the reference format — ${REFERENCE_KEYS} — or emishift sweep output)`, {
      field: 'results',
    });
  }
  const results: Record<string, unknown> = isSweepResult(input) ? (toResultsJson(input) as Record<string, unknown>) : input;
  const emid = numberMap(results, 'EMID', true);
  const bound = numberMap(results, 'EMID_UB', true);
  sameSplits(emid, 'EMID', bound, 'EMID_UB');
  const emi = numberMap(results, 'EMI', false) ?? {};
  const termMaps = TERM_KEYS.map((key) => numberMap(results, key, false));
  const present = termMaps.filter((map) => map !== undefined).length;
  if (present !== 0 && present !== TERM_KEYS.length) {
    const missing = TERM_KEYS.filter((_, index) => termMaps[index] === undefined);
    throw new InputError(`the RJSD term maps come as a set: ${missing.join(', ')} missing`, { field: missing[0] });
  }
  termMaps.forEach((map, index) => {
    if (map) sameSplits(emid, 'EMID', map, TERM_KEYS[index]);
  });
  const format: ResultsFormat = present > 0 || typeof results.id_split === 'string' ? 'sweep' : 'reference';
  const emidIntervals = intervalMap(results, 'EMID_CI');
  const boundIntervals = intervalMap(results, 'EMID_UB_CI');

  const names = Object.keys(emid);
  requireCorrelatable(names.length, 'EMID');
  requireVarying(names.map((name) => emid[name]), 'EMID');
  requireVarying(names.map((name) => bound[name]), 'EMID_UB');

  const fileShift = shiftMap(results.SHIFT);
  const shiftOf = (split: string): ShiftInfo => fileShift?.[split] ?? shiftInfoOf(split);
  const quality = qualityMeasure(results);

  const splits: SplitResult[] = names.map((split) => {
    const shift = shiftOf(split);
    const entry: SplitResult = { split, family: shift.family, shift, emid: emid[split], bound: bound[split] };
    if (split in emi) entry.emi = emi[split];
    if (quality && split in quality.values) entry.quality = quality.values[split];
    if (present) {
      const [v, t, py, qy] = termMaps as Record<string, number>[];
      entry.terms = { jsdV: v[split], jsdT: t[split], jsdPy: py[split], jsdQy: qy[split] };
    }
    if (emidIntervals[split]) entry.emidInterval = emidIntervals[split];
    if (boundIntervals[split]) entry.boundInterval = boundIntervals[split];
    return entry;
  });

  const idCandidates = Object.keys(emi).filter((name) => !(name in emid));
  const idSplit = typeof results.id_split === 'string' ? results.id_split : idCandidates.length === 1 ? idCandidates[0] : undefined;
  const shift: Record<string, ShiftInfo> = {};
  for (const split of [...(idSplit !== undefined ? [idSplit] : []), ...names]) shift[split] = shiftOf(split);
  if (idSplit !== undefined && !fileShift?.[idSplit] && shift[idSplit].family === 'other') {
    shift[idSplit] = { family: 'none', label: 'no shift', modality: 'none', severity: null, unit: null };
  }
  const normalized: NormalizedResults = {
    format,
    emi,
    splits,
    reported: {},
    shift,
    shiftSource: fileShift ? 'file' : 'names',
  };
  if (quality) normalized.quality = quality;
  if (results.provenance !== undefined && results.provenance !== null) {
    if (!isPlainObject(results.provenance)) throw new InputError(`expected an object, got ${Array.isArray(results.provenance) ? 'an array' : typeof results.provenance}`, { field: 'provenance' });
    normalized.provenance = results.provenance;
  }
  if (idSplit !== undefined) normalized.idSplit = idSplit;
  if (typeof results.model_name === 'string') normalized.model = results.model_name;
  if (typeof results.shift_type === 'string') normalized.shiftType = results.shift_type;
  const pearsonR = optionalNumber(results.PearsonR, 'PearsonR');
  const pearsonPval = optionalNumber(results.PearsonPval, 'PearsonPval');
  if (pearsonR !== undefined) normalized.reported.pearsonR = pearsonR;
  if (pearsonPval !== undefined) normalized.reported.pearsonPval = pearsonPval;
  return normalized;
}

/**
 * JSON.parse, except that Python's bare NaN/Infinity tokens (json.dump writes them) become null,
 * so the check above can name the split holding one instead of failing on "Unexpected token N".
 */
export function parseResultsText(text: string, file?: string): unknown {
  const tolerant = text.replace(/"(?:[^"\\]|\\.)*"|-?\bInfinity\b|\bNaN\b/g, (token) => (token.startsWith('"') ? token : 'null'));
  try {
    return JSON.parse(tolerant);
  } catch (error) {
    throw new InputError(`not valid JSON: ${(error as Error).message}`, { file });
  }
}
