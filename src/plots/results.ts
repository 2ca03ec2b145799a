/**
 * Reading a results object for plotting and reporting: the reference implementation's published
 * format (EMI, EMID, EMID_UB maps; PearsonR, PearsonPval), the `emishift sweep` output (the same
 * plus JSD_* term maps, rank correlations and optional intervals), or an in-memory SweepResult.
 * Everything is checked up front so a bad file is one InputError naming the problem, never an
 * empty or silently truncated figure.
 */
import { InputError } from '../errors';
import type { SweepResult } from '../sweep/sweep';
import { toResultsJson } from '../sweep/resultsJson';
import { requireCorrelatable, requireFinite, requireVarying, shiftFamilyOf } from './format';

export type ResultsFormat = 'reference' | 'sweep';

export interface SplitResult {
  split: string;
  family: string;
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

/**
 * Checks and normalises a results object. Throws InputError when it is neither format, when a
 * map holds a non-number (NaN is written as null by a JSON round-trip), when the maps cover
 * different splits, or when there are fewer than 3 OOD splits or a constant column (no
 * correlation to plot).
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

  const splits: SplitResult[] = names.map((split) => {
    const entry: SplitResult = { split, family: shiftFamilyOf(split), emid: emid[split], bound: bound[split] };
    if (split in emi) entry.emi = emi[split];
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
  const normalized: NormalizedResults = {
    format,
    emi,
    splits,
    reported: {},
  };
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
