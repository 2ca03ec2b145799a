/**
 * Nonparametric bootstrap intervals: rows are resampled with replacement from a seeded
 * generator, so an interval is reproducible from (data, statistic, options).
 *
 * Three methods (Efron & Tibshirani 1993, ch. 13–14; Davison & Hinkley 1997, ch. 5):
 * - 'basic' (the default): the resampled quantiles reflected about the estimate,
 *   [2θ̂ − q_hi, 2θ̂ − q_lo]. It corrects for the statistic's bias as the bootstrap sees it:
 *   spectral statistics such as RJSD are biased upward with fewer distinct rows (and a resample
 *   has about 63% distinct rows), so their percentile interval lies above the estimate and a
 *   basic interval below it. When the bias exceeds the spread, no bias-correcting interval
 *   contains the estimate: that says the estimate itself is dominated by its sample size.
 * - 'percentile': the (1 ∓ confidence)/2 quantiles of the resampled statistics; right for a
 *   statistic without bias, wrong by twice the bias otherwise.
 * - 'bca' (bias-corrected and accelerated): percentile levels moved by z0 = Φ⁻¹(share of
 *   resamples below the estimate) and an acceleration from a jackknife. The jackknife costs one
 *   evaluation of the statistic per row of every sample (Σ n_k), on top of the resamples. Its
 *   endpoints are resampled values, so it cannot leave their range: when every resample lies on
 *   one side of the estimate, z0 is infinite and the interval is undefined (NaN endpoints).
 */
import { InputError } from '../errors';
import { normalCdf } from '../math/specialFunctions';
import { createRng } from '../random';
import { correlation, correlationCoefficient, CorrelationKind } from './correlation';
import { normalQuantile } from './distributions';

/** How a bootstrap interval is formed from the resampled statistics (see the module comment). */
export type IntervalMethod = 'basic' | 'percentile' | 'bca';

export const INTERVAL_METHODS: readonly IntervalMethod[] = ['basic', 'percentile', 'bca'];

/** The method intervals use when none is given. */
export const DEFAULT_INTERVAL_METHOD: IntervalMethod = 'basic';

/** How many resamples a bootstrap draws, from which seed, and the interval it forms from them. */
export interface BootstrapOptions {
  /** Number of resamples drawn (default 1000). */
  resamples?: number | undefined;
  /** Coverage of the interval, strictly between 0 and 1 (default 0.95). */
  confidence?: number | undefined;
  /** Seed for createRng (default 0). */
  seed?: number | undefined;
  /** How the interval is formed from the resamples (see the module comment). Default 'basic'. */
  method?: IntervalMethod | undefined;
}

/** A bootstrap interval for one statistic, with the estimate it surrounds and what the resamples said about spread and bias. */
export interface BootstrapInterval {
  /** The statistic on all rows, in their original order. */
  estimate: number;
  /** Lower end of the interval (NaN when the method is undefined on these resamples). */
  lower: number;
  /** Upper end of the interval. */
  upper: number;
  /** The coverage asked for. */
  confidence: number;
  /** Resamples drawn, including dropped ones. */
  resamples: number;
  /** Resamples whose statistic was NaN; they take no part in lower, upper or standardError. */
  dropped: number;
  /** Standard deviation (n − 1 denominator) of the kept resampled statistics; NaN if fewer than 2. */
  standardError: number;
  /** Mean of the kept resampled statistics minus the estimate: the bootstrap estimate of bias. */
  bias: number;
  method: IntervalMethod;
  /** BCa only: the bias correction z0. */
  biasCorrection?: number;
  /** BCa only: the acceleration a. */
  acceleration?: number;
}

/** A bootstrap interval for a correlation coefficient over paired rows, with the coefficient's kind and ordinary p-value. */
export interface BootstrapCorrelationInterval extends BootstrapInterval {
  kind: CorrelationKind;
  /** The usual two-sided p-value of the coefficient on all rows. */
  pValue: number;
}

function resolveOptions(options: BootstrapOptions): Required<BootstrapOptions> {
  const { resamples = 1000, confidence = 0.95, seed = 0, method = DEFAULT_INTERVAL_METHOD } = options;
  if (!(INTERVAL_METHODS as readonly string[]).includes(method)) {
    throw new InputError(`must be ${INTERVAL_METHODS.map((name) => `'${name}'`).join(', ')}, got ${String(method)}`, { field: 'method' });
  }
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new InputError(`must be an integer ≥ 1, got ${resamples}`, { field: 'resamples' });
  }
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) {
    throw new InputError(`must be strictly between 0 and 1, got ${confidence}`, { field: 'confidence' });
  }
  if (!Number.isInteger(seed)) {
    throw new InputError(`must be an integer, got ${seed}`, { field: 'seed' });
  }
  return { resamples, confidence, seed, method };
}

/**
 * Quantile q of ascending `sorted` by linear interpolation between order statistics at
 * position q (m − 1): numpy.quantile's default ('linear', Hyndman & Fan type 7).
 */
function interpolatedQuantile(sorted: Float64Array, q: number): number {
  if (Number.isNaN(q)) return NaN;
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

/** All rows of a sample, in order. */
function allRowsOf(rowCount: number): Int32Array {
  return Int32Array.from({ length: rowCount }, (_, i) => i);
}

/** The sample's rows without row `left`. */
function rowsWithout(rowCount: number, left: number): Int32Array {
  const rows = new Int32Array(rowCount - 1);
  for (let i = 0, k = 0; i < rowCount; i++) if (i !== left) rows[k++] = i;
  return rows;
}

/**
 * Bootstrap interval for `statistic` over `rowCount` rows.
 *
 * Each resample passes `statistic` a fresh Int32Array of `rowCount` row indices drawn uniformly
 * with replacement; the statistic reads whatever per-row data it closes over. `estimate` is the
 * statistic on rows 0..rowCount−1 in order. Resamples where the statistic is NaN (e.g. a
 * correlation on a resample with a constant column) are dropped and counted in `dropped`; if
 * every resample is dropped this throws InputError. A NaN `estimate` is returned as is (a basic
 * interval, reflected about it, is then NaN too).
 *
 * Quantiles use numpy's default linear interpolation. With 'bca' the statistic is also called on
 * the rowCount leave-one-out row sets (arrays of rowCount − 1 indices).
 */
export function bootstrapInterval(
  rowCount: number,
  statistic: (rows: Int32Array) => number,
  options: BootstrapOptions = {},
): BootstrapInterval {
  if (!Number.isInteger(rowCount) || rowCount < 1) {
    throw new InputError(`must be an integer ≥ 1, got ${rowCount}`, { field: 'rowCount' });
  }
  const { resamples, confidence, seed, method } = resolveOptions(options);
  const estimate = statistic(allRowsOf(rowCount));
  const rng = createRng(seed);
  const values = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) values[b] = statistic(drawRows(rng, rowCount));
  const jackknife = method === 'bca' ? [Array.from({ length: rowCount }, (_, i) => statistic(rowsWithout(rowCount, i)))] : undefined;
  return summarizeResamples(estimate, values, confidence, method, jackknife);
}

function drawRows(rng: ReturnType<typeof createRng>, rowCount: number): Int32Array {
  const rows = new Int32Array(rowCount);
  for (let i = 0; i < rowCount; i++) rows[i] = rng.int(rowCount);
  return rows;
}

/**
 * The BCa acceleration from the leave-one-out values of each sample:
 * a = Σ d³ / (6 (Σ d²)^{3/2}) with d = (mean of the sample's leave-one-out values) − value, summed
 * over the rows of every sample (the jackknife estimate of the skewness of the influence values).
 * NaN leave-one-out values are left out; no spread at all gives 0.
 */
export function jackknifeAcceleration(leaveOneOut: readonly (readonly number[])[]): number {
  let cubes = 0;
  let squares = 0;
  for (const values of leaveOneOut) {
    const kept = values.filter((value) => !Number.isNaN(value));
    if (kept.length === 0) continue;
    const mean = kept.reduce((sum, value) => sum + value, 0) / kept.length;
    for (const value of kept) {
      const d = mean - value;
      cubes += d * d * d;
      squares += d * d;
    }
  }
  return squares > 0 ? cubes / (6 * squares ** 1.5) : 0;
}

/** The interval from resampled values (NaN values dropped and counted). */
function summarizeResamples(estimate: number, values: Float64Array, confidence: number, method: IntervalMethod, jackknife?: number[][]): BootstrapInterval {
  const resamples = values.length;
  const kept = values.filter((value) => !Number.isNaN(value));
  const keptCount = kept.length;
  const dropped = resamples - keptCount;
  if (keptCount === 0) {
    throw new InputError(`the statistic was NaN on all ${resamples} bootstrap resamples`, { field: 'statistic' });
  }
  const sorted = kept.sort();
  const alpha = 1 - confidence;
  let mean = 0;
  for (let i = 0; i < sorted.length; i++) mean += sorted[i];
  mean /= sorted.length;
  const common = { estimate, confidence, resamples, dropped, standardError: sampleStandardDeviation(sorted), bias: mean - estimate, method };
  if (method === 'bca') {
    // Ties with the estimate count half: a discrete statistic (a maximum, a rank correlation)
    // often equals its estimate on many resamples, and counting them on one side would bias z0.
    let below = 0;
    for (const value of sorted) below += value < estimate ? 1 : value === estimate ? 0.5 : 0;
    const biasCorrection = normalQuantile(below / keptCount);
    const acceleration = jackknifeAcceleration(jackknife ?? []);
    const level = (z: number): number => {
      const shifted = biasCorrection + z;
      return normalCdf(biasCorrection + shifted / (1 - acceleration * shifted));
    };
    // An infinite z0 (every resample on one side) leaves the interval undefined: NaN, not a guess.
    const defined = Number.isFinite(biasCorrection);
    return {
      ...common,
      lower: defined ? interpolatedQuantile(sorted, level(normalQuantile(alpha / 2))) : NaN,
      upper: defined ? interpolatedQuantile(sorted, level(normalQuantile(1 - alpha / 2))) : NaN,
      biasCorrection,
      acceleration,
    };
  }
  const low = interpolatedQuantile(sorted, alpha / 2);
  const high = interpolatedQuantile(sorted, 1 - alpha / 2);
  return {
    ...common,
    lower: method === 'basic' ? 2 * estimate - high : low,
    upper: method === 'basic' ? 2 * estimate - low : high,
  };
}

/**
 * The same interval for an asynchronous statistic over several independent samples (EMID
 * resamples the source's rows and the target's rows separately). `statistic` receives one
 * row-index array per sample; the estimate uses every sample's rows in order. With 'bca' the
 * jackknife leaves out one row of one sample at a time: Σ rowCounts extra evaluations.
 */
export async function bootstrapIntervalOfSamples(
  rowCounts: readonly number[],
  statistic: (rows: Int32Array[]) => Promise<number>,
  options: BootstrapOptions = {},
): Promise<BootstrapInterval> {
  for (const rowCount of rowCounts) {
    if (!Number.isInteger(rowCount) || rowCount < 1) throw new InputError(`must be an integer ≥ 1, got ${rowCount}`, { field: 'rowCount' });
  }
  const { resamples, confidence, seed, method } = resolveOptions(options);
  const allRows = rowCounts.map(allRowsOf);
  const estimate = await statistic(allRows);
  const rng = createRng(seed);
  const values = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) values[b] = await statistic(rowCounts.map((rowCount) => drawRows(rng, rowCount)));
  let jackknife: number[][] | undefined;
  if (method === 'bca') {
    jackknife = [];
    for (const [sample, rowCount] of rowCounts.entries()) {
      const leaveOneOut: number[] = [];
      for (let i = 0; i < rowCount; i++) leaveOneOut.push(await statistic(allRows.map((rows, k) => (k === sample ? rowsWithout(rowCount, i) : rows))));
      jackknife.push(leaveOneOut);
    }
  }
  return summarizeResamples(estimate, values, confidence, method, jackknife);
}

function sampleStandardDeviation(values: Float64Array): number {
  if (values.length < 2) return NaN;
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/**
 * Bootstrap interval for a correlation coefficient, resampling (x, y) pairs together. A basic
 * interval, being a reflection, can reach past ±1; its ends are clipped to [−1, 1].
 * The full data is validated as pearson/spearman/kendallTauB do (InputError on length mismatch,
 * n < 3, NaN, constant x or y); resamples where x or y happen to be constant are dropped.
 * Ties created by resampling are handled as usual (average ranks, tau-b).
 */
export function bootstrapCorrelation(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  kind: CorrelationKind,
  options: BootstrapOptions = {},
): BootstrapCorrelationInterval {
  const full = correlation(x, y, kind);
  const n = full.n;
  // Buffers reused by every resample (the coefficient functions do not keep them); the
  // jackknife's leave-one-out row sets are one shorter and get their own pair.
  const buffers = new Map<number, [Float64Array, Float64Array]>();
  const interval = bootstrapInterval(
    n,
    (rows) => {
      let pair = buffers.get(rows.length);
      if (pair === undefined) {
        pair = [new Float64Array(rows.length), new Float64Array(rows.length)];
        buffers.set(rows.length, pair);
      }
      const [xs, ys] = pair;
      for (let i = 0; i < rows.length; i++) {
        xs[i] = x[rows[i]];
        ys[i] = y[rows[i]];
      }
      return correlationCoefficient(xs, ys, kind);
    },
    options,
  );
  const clip = (value: number): number => Math.min(1, Math.max(-1, value));
  return { ...interval, lower: clip(interval.lower), upper: clip(interval.upper), kind, pValue: full.pValue };
}
