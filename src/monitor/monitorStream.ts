/**
 * Monitoring over time: a stream of rows (queries with the model's and the reference answers, in
 * arrival order) cut into windows [start, start + window), start = 0, step, 2·step, …, each
 * compared with one reference split: the window's EMI, EMID = EMI(reference) − EMI(window), the
 * EMID upper bound with its four RJSD terms, and, with permutations, the permutation p-values of
 * EMID, jsd_v, jsd_t and the bound (significance/permutationTest.ts) and an alert.
 *
 * The alert is decided online, per window: the window's p-values (of the statistics tested) are
 * combined into one adjusted p-value, and `alert` is true when it is strictly below α.
 * - 'bonferroni' (default): m · min p over the m statistics, capped at 1 (valid under any
 *   dependence between the statistics);
 * - 'bh': the smallest Benjamini–Hochberg q-value of the window's m p-values, min_j m·p_(j)/j
 *   (Simes' test; valid when the statistics are positively dependent, as the bound and its
 *   terms are).
 * Either way a window's alert depends on that window, the reference and the settings alone, so
 * a window that arrives later never changes an earlier alert, and a rerun that resumes a stream
 * reproduces it. The error it controls is per window: a window drawn like the reference alerts
 * with probability at most α (a false-alert rate per window, as a chunked monitor reports), not a
 * family-wise rate over the whole stream, which grows with the number of windows.
 *
 * Cost: the reference's EMI (one pass) and its spectra (its moments, in one DivergenceCache) are
 * computed once for every window; the stream's queries are conditioned on once, and each window's
 * EMI is a selection of that pass. The permutation test pools the reference and the window, so it
 * conditions the estimator on the pooled queries once per window (all its partitions share that
 * pass) and shares one PermutationCache across windows. A window's bound terms and its
 * permutation test run side by side: with large windows the spectra go to worker threads while
 * this thread reduces CLUB's selections.
 */
import { availableParallelism } from 'node:os';
import { InputError } from '../errors';
import type { BoundTerms, EmbeddingSet, EmiResult, EstimatorDescription, Matrix, MixtureWeighting, MutualInformationEstimator, ProgressCallback } from '../interface';
import { boundFromTerms, boundTermsOfMoments, setMoments } from '../bound/emidUpperBound';
import { DivergenceCache } from '../bound/divergenceCache';
import { createParallelEigenSolver, inThreadEigenSolver, type EigenSolver } from '../linalg/eigenSolver';
import { emi } from '../emi/emi';
import { queryEmbedding } from '../data/queryEmbedding';
import { benjaminiHochberg } from '../stats/multipleTesting';
import { isSignificant } from '../stats/significance';
import { PERMUTATION_ALTERNATIVES, PERMUTATION_METHOD, PERMUTATION_STATISTICS, PermutationCache, permutationTest, type PermutationStatistic } from '../significance/permutationTest';
import { EMISHIFT_VERSION } from '../version';
import { matrixDigest, windowDigest } from './digest';

/** How a window's p-values become the one its alert is decided on (see the module comment). */
export type AlertAdjustment = 'bonferroni' | 'bh';

/** Every adjustment, in the order the usage lists them. */
export const ALERT_ADJUSTMENTS: readonly AlertAdjustment[] = ['bonferroni', 'bh'];

/** How `monitorStream` cuts and tests the stream. */
export interface MonitorOptions {
  /** Rows per window (an integer ≥ 2, at most the stream's rows). */
  window: number;
  /** Rows between the starts of consecutive windows (default `window`: windows side by side). */
  step?: number | undefined;
  /** Permutations per window (an integer ≥ 1); omitted → no p-values and no alerts (`alert` null). */
  permutations?: number | undefined;
  /** Seed of every window's partitions (default 0); every window of one size draws the same partitions. */
  seed?: number | undefined;
  /** The level the adjusted p-value is compared with (default 0.05, in (0, 1)). */
  alpha?: number | undefined;
  /** How the window's p-values are combined (default 'bonferroni'). */
  adjust?: AlertAdjustment | undefined;
  /** The statistics tested and adjusted over (default all four; `jsd_v` is left out for text-only data). */
  statistics?: readonly PermutationStatistic[] | undefined;
  /** RJSD's mixture; default 'sample-weighted', the reference implementation's. */
  mixture?: MixtureWeighting | undefined;
  /** Ĥ: with it each window also carries the full bound, and `emid_ub` is tested in its full form. */
  entropyScale?: number | undefined;
  /**
   * Where the spectra are computed; default a pool of `threads` worker threads when windows have
   * 128 rows or more (as a sweep's large splits), else this thread.
   */
  solver?: EigenSolver | undefined;
  /** Worker threads of the default solver (default: every core). */
  threads?: number | undefined;
  /** Windows finished by an earlier run (in order, from window 0): kept as they are, not recomputed. */
  completedWindows?: readonly MonitorWindow[] | undefined;
  /** Called with each window as soon as it is finished (an append-only log, say), in window order. */
  onWindow?: ((window: MonitorWindow) => void) | undefined;
  /** Windows finished, of all the stream's windows. */
  onProgress?: ProgressCallback | undefined;
}

/** One window of the stream against the reference. */
export interface MonitorWindow {
  /** 0, 1, 2, …: the window's place in the stream. */
  index: number;
  /** First row (0-based, in arrival order). */
  start: number;
  /** One past the last row. */
  end: number;
  /** The window's EMI with its two terms. */
  emi: EmiResult;
  /** EMI(reference) − EMI(window): positive when the model lost relevance in this window. */
  emid: number;
  /** The scale-adjusted EMID upper bound between the reference and the window. */
  emidUpperBound: number;
  /** The full bound, with an entropy scale. */
  emidUpperBoundFull?: number;
  terms: BoundTerms;
  /** Permutation p-values of the statistics tested (with permutations). */
  pValues?: Partial<Record<PermutationStatistic, number>>;
  /** The window's p-values combined by the adjustment (with permutations). */
  adjustedPValue?: number;
  /** adjustedPValue < α (`isSignificant`, the rule of the report and the CLI too); null without permutations. */
  alert: boolean | null;
  /** A digest of the window's rows, so that a resumed run can tell the stream was not changed under it. */
  digest: string;
}

/** The settings a monitoring run was made with; a resumed run must have the same. */
export interface MonitorSettings {
  window: number;
  step: number;
  permutations: number | null;
  seed: number;
  alpha: number;
  adjust: AlertAdjustment;
  statistics: PermutationStatistic[];
  mixture: MixtureWeighting;
  entropyScale: number | null;
}

/** How a monitoring run was made, for every result it publishes. */
export interface MonitorProvenance {
  emishift_version: string;
  node_version: string;
  estimator: EstimatorDescription;
  reference: { name: string | null; rows: number; digest: string; space: EmbeddingSet['space'] | null; manifest_digest: string | null; directory?: string };
  /** What each statistic's one-sided alternative says (with permutations). */
  alternatives: Partial<Record<PermutationStatistic, string>>;
  method: string | null;
  /** The alert rule in words. */
  alert_rule: string;
  /** The smallest adjusted p-value any window can have: 1/(1 + K), times m under Bonferroni. */
  smallest_adjusted_pvalue: number | null;
  warnings: string[];
}

/** A monitoring run: the reference's EMI and every window in order. */
export interface MonitorResult {
  reference: { name: string | null; rows: number; emi: EmiResult };
  /** The stream's rows when the run was made. */
  streamRows: number;
  settings: MonitorSettings;
  windows: MonitorWindow[];
  provenance: MonitorProvenance;
}

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

/** The rows [start, end) of a matrix, copied. */
function rowSlice(matrix: Matrix, start: number, end: number): Matrix {
  return { rows: end - start, cols: matrix.cols, data: matrix.data.slice(start * matrix.cols, end * matrix.cols) };
}

/** The rows [start, end) of a set, as a split of their own. */
export function windowOf(stream: EmbeddingSet, start: number, end: number): EmbeddingSet {
  return {
    name: `${stream.name ?? 'stream'}[${start}:${end}]`,
    ...(stream.space ? { space: stream.space } : {}),
    ...(stream.image ? { image: rowSlice(stream.image, start, end) } : {}),
    text: rowSlice(stream.text, start, end),
    response: rowSlice(stream.response, start, end),
    reference: rowSlice(stream.reference, start, end),
  };
}

/** The windows' [start, end) of a stream of `rows` rows: every full window, none past the end. */
export function windowBounds(rows: number, window: number, step: number): { start: number; end: number }[] {
  const bounds: { start: number; end: number }[] = [];
  for (let start = 0; start + window <= rows; start += step) bounds.push({ start, end: start + window });
  return bounds;
}

/** The settings, checked (InputError naming the option); the stream's shapes checked against the reference's. */
export function monitorSettings(reference: EmbeddingSet, stream: EmbeddingSet, options: MonitorOptions): MonitorSettings {
  const { window } = options;
  const rows = stream.text.rows;
  if (!isInteger(window) || window < 2) throw new InputError(`window must be an integer ≥ 2 (each side of a comparison needs at least 2 rows), got ${window}`, { field: 'window' });
  if (window > rows) throw new InputError(`window of ${window} rows is larger than the stream's ${rows} rows`, { field: 'window' });
  const step = options.step ?? window;
  if (!isInteger(step) || step < 1) throw new InputError(`step must be an integer ≥ 1, got ${step}`, { field: 'step' });
  const permutations = options.permutations;
  if (permutations !== undefined && (!isInteger(permutations) || permutations < 1)) throw new InputError(`permutations must be an integer ≥ 1, got ${permutations}`, { field: 'permutations' });
  const seed = options.seed ?? 0;
  if (!isInteger(seed) || seed < 0) throw new InputError(`seed must be an integer ≥ 0, got ${seed}`, { field: 'seed' });
  const alpha = options.alpha ?? 0.05;
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) throw new InputError(`alpha must be a number strictly between 0 and 1, got ${alpha}`, { field: 'alpha' });
  const adjust = options.adjust ?? 'bonferroni';
  if (!ALERT_ADJUSTMENTS.includes(adjust)) throw new InputError(`expected ${ALERT_ADJUSTMENTS.join(' or ')}, got '${String(adjust)}'`, { field: 'adjust' });
  const asked = options.statistics ?? PERMUTATION_STATISTICS;
  for (const name of asked) {
    if (!PERMUTATION_STATISTICS.includes(name)) throw new InputError(`unknown statistic '${String(name)}' (expected ${PERMUTATION_STATISTICS.join(', ')})`, { field: 'statistics' });
  }
  // Text-only data has no image term: its jsd_v is 0 on every partition, a test of nothing.
  const statistics = PERMUTATION_STATISTICS.filter((name) => asked.includes(name) && (name !== 'jsd_v' || reference.image !== undefined));
  if (statistics.length === 0) throw new InputError(`no statistic left to test${asked.includes('jsd_v') ? ' (jsd_v needs image embeddings)' : ''}`, { field: 'statistics' });
  if (reference.text.rows < 2) throw new InputError(`the reference has ${reference.text.rows} row; each side of a comparison needs at least 2 rows`, { field: 'reference' });
  const describe = (set: EmbeddingSet) => `queries ${set.text.cols}-d${set.image ? ' with images' : ', text-only'}, answers ${set.response.cols}-d`;
  if (Boolean(reference.image) !== Boolean(stream.image) || reference.text.cols !== stream.text.cols || reference.response.cols !== stream.response.cols) {
    throw new InputError(`the stream has ${describe(stream)}, but the reference has ${describe(reference)}`, { field: 'stream' });
  }
  const mixture = options.mixture ?? 'sample-weighted';
  if (options.entropyScale !== undefined) boundFromTerms({ jsdV: 0, jsdT: 0, jsdPy: 0, jsdQy: 0 }, options.entropyScale);
  return { window, step, permutations: permutations ?? null, seed, alpha, adjust, statistics, mixture, entropyScale: options.entropyScale ?? null };
}

/** The window's p-values combined into one (see the module comment). */
export function adjustedPValue(pValues: readonly number[], adjust: AlertAdjustment): number {
  if (pValues.length === 0) throw new InputError('no p-value to adjust', { field: 'pValues' });
  if (adjust === 'bh') return Math.min(...benjaminiHochberg(pValues));
  return Math.min(1, pValues.length * Math.min(...pValues));
}

/** The alert rule in words, for the provenance. */
export function alertRule(settings: MonitorSettings): string {
  const m = settings.statistics.length;
  const combined = settings.adjust === 'bonferroni' ? `Bonferroni over the window's ${m} p-values (${m} × the smallest, capped at 1)` : `the smallest Benjamini–Hochberg q-value of the window's ${m} p-values (Simes)`;
  return `alert when ${combined} < alpha = ${settings.alpha}; decided per window, so later windows never change it; controls the false-alert rate per window (${settings.statistics.join(', ')})`;
}

/** The smallest adjusted p-value a window can reach with these settings, or null without permutations. */
function smallestAdjusted(settings: MonitorSettings): number | null {
  if (settings.permutations === null) return null;
  const smallest = 1 / (1 + settings.permutations);
  return adjustedPValue(settings.statistics.map(() => smallest), settings.adjust);
}

/** Checks that resumed windows are this run's first windows, over the same rows. */
function checkCompleted(completed: readonly MonitorWindow[], bounds: readonly { start: number; end: number }[], stream: EmbeddingSet): void {
  if (completed.length > bounds.length) throw new InputError(`${completed.length} windows are finished but the stream has only ${bounds.length}: the stream is not the one they were computed on`, { field: 'stream' });
  completed.forEach((window, index) => {
    const expected = bounds[index];
    if (window.index !== index || window.start !== expected.start || window.end !== expected.end) {
      throw new InputError(`finished window ${index} covers rows [${window.start}, ${window.end}), this run's window ${index} is [${expected.start}, ${expected.end})`, { field: 'window' });
    }
    if (window.digest !== windowDigest(stream, window.start, window.end)) {
      throw new InputError(`rows [${window.start}, ${window.end}) differ from those finished window ${index} was computed on: the stream was changed`, { field: 'stream' });
    }
  });
}

/**
 * Compares every window of `stream` with `reference` (see the module comment), in window order.
 * Bad settings or shapes are InputErrors naming the option (`window`, `step`, `permutations`,
 * `alpha`, `stream`, …).
 */
export async function monitorStream(reference: EmbeddingSet, stream: EmbeddingSet, estimator: MutualInformationEstimator, options: MonitorOptions): Promise<MonitorResult> {
  const settings = monitorSettings(reference, stream, options);
  const bounds = windowBounds(stream.text.rows, settings.window, settings.step);
  const completed = options.completedWindows ?? [];
  checkCompleted(completed, bounds, stream);
  estimator.prepare();
  const ownSolver = options.solver === undefined && settings.window >= PARALLEL_WINDOW_ROWS && bounds.length > completed.length ? createParallelEigenSolver(options.threads ?? availableParallelism()) : undefined;
  try {
    return await monitorWindows(reference, stream, estimator, options, settings, bounds, completed, options.solver ?? ownSolver ?? inThreadEigenSolver);
  } finally {
    await ownSolver?.close();
  }
}

/** Windows of 128 rows or more have their spectra solved on worker threads by default (see MonitorOptions.solver). */
const PARALLEL_WINDOW_ROWS = 128;

async function monitorWindows(
  reference: EmbeddingSet,
  stream: EmbeddingSet,
  estimator: MutualInformationEstimator,
  options: MonitorOptions,
  settings: MonitorSettings,
  bounds: readonly { start: number; end: number }[],
  completed: readonly MonitorWindow[],
  solver: EigenSolver,
): Promise<MonitorResult> {
  const cache = new DivergenceCache(settings.mixture);
  const permutationCache = new PermutationCache();
  const referenceMoments = setMoments(reference, solver);
  const referenceEmi = await emi(reference, estimator);
  const windows: MonitorWindow[] = [...completed];
  const total = bounds.length;
  options.onProgress?.({ done: windows.length, total, unit: 'windows', stage: 'monitoring' });
  if (windows.length < total) {
    const streamPass = await estimator.condition(queryEmbedding(stream));
    for (let index = windows.length; index < total; index++) {
      const { start, end } = bounds[index];
      const rows = Int32Array.from({ length: end - start }, (_, k) => start + k);
      const part = windowOf(stream, start, end);
      // Started first: its forward pass runs on the engine thread while the bound's spectra are solved.
      const testing =
        settings.permutations === null
          ? undefined
          : permutationTest(reference, part, estimator, {
              permutations: settings.permutations,
              seed: settings.seed,
              statistics: settings.statistics,
              mixture: settings.mixture,
              entropyScale: settings.entropyScale ?? undefined,
              solver,
              cache: permutationCache,
            });
      testing?.catch(() => undefined);
      const [[miModel, miReference], terms] = await Promise.all([
        Promise.all([streamPass.estimate(stream.response, rows), streamPass.estimate(stream.reference, rows)]),
        boundTermsOfMoments(referenceMoments, setMoments(part, solver), cache),
      ]);
      const windowEmi: EmiResult = { emi: miModel - miReference, miModel, miReference };
      const bound = boundFromTerms(terms, settings.entropyScale ?? undefined);
      const result: MonitorWindow = {
        index,
        start,
        end,
        emi: windowEmi,
        emid: referenceEmi.emi - windowEmi.emi,
        emidUpperBound: bound.value,
        ...(bound.full !== undefined ? { emidUpperBoundFull: bound.full } : {}),
        terms,
        alert: null,
        digest: windowDigest(stream, start, end),
      };
      if (testing) {
        const test = await testing;
        const pValues: Partial<Record<PermutationStatistic, number>> = {};
        for (const name of settings.statistics) pValues[name] = test.statistics[name]?.pValue as number;
        result.pValues = pValues;
        result.adjustedPValue = adjustedPValue(settings.statistics.map((name) => pValues[name] as number), settings.adjust);
        result.alert = isSignificant(result.adjustedPValue, settings.alpha);
      }
      windows.push(result);
      options.onWindow?.(result);
      options.onProgress?.({ done: windows.length, total, unit: 'windows', stage: 'monitoring' });
    }
  }
  return { reference: { name: reference.name ?? null, rows: reference.text.rows, emi: referenceEmi }, streamRows: stream.text.rows, settings, windows, provenance: monitorProvenance(reference, estimator.description, settings) };
}

/** The provenance of a monitoring run with these settings. */
export function monitorProvenance(reference: EmbeddingSet, estimator: EstimatorDescription, settings: MonitorSettings): MonitorProvenance {
  const smallest = smallestAdjusted(settings);
  const warnings: string[] = [];
  if (smallest !== null && smallest >= settings.alpha) {
    warnings.push(`with ${settings.permutations} permutations the smallest adjusted p-value is ${smallest.toPrecision(3)}, not below alpha = ${settings.alpha}: no window can alert (use more permutations)`);
  }
  const tested = settings.permutations !== null;
  return {
    emishift_version: EMISHIFT_VERSION,
    node_version: process.version,
    estimator,
    reference: {
      name: reference.name ?? null,
      rows: reference.text.rows,
      digest: setDigest(reference),
      space: reference.space ?? null,
      manifest_digest: reference.origin?.manifestDigest ?? null,
      ...(reference.origin?.directory ? { directory: reference.origin.directory } : {}),
    },
    alternatives: tested ? Object.fromEntries(settings.statistics.map((name) => [name, PERMUTATION_ALTERNATIVES[name]])) : {},
    method: tested ? PERMUTATION_METHOD : null,
    alert_rule: tested ? alertRule(settings) : 'no alerts without permutations',
    smallest_adjusted_pvalue: smallest,
    warnings,
  };
}

/** A digest of a whole set's matrices (the reference's identity in a resumable log). */
export function setDigest(set: EmbeddingSet): string {
  return matrixDigest([set.image, set.text, set.response, set.reference]);
}
