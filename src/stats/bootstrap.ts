/**
 * Nonparametric bootstrap percentile intervals: rows are resampled with replacement from a
 * seeded generator, so an interval is reproducible from (data, statistic, options).
 */
import { InputError } from '../errors';
import { createRng } from '../random';
import { correlation, correlationCoefficient, CorrelationKind } from './correlation';

export interface BootstrapOptions {
  /** Number of resamples drawn (default 1000). */
  resamples?: number;
  /** Coverage of the interval, strictly between 0 and 1 (default 0.95). */
  confidence?: number;
  /** Seed for createRng (default 0). */
  seed?: number;
  /**
   * 'percentile' (default): the (1 ∓ confidence)/2 quantiles of the resampled statistics.
   * 'basic': those quantiles reflected about the estimate, [2θ̂ − q_hi, 2θ̂ − q_lo], which
   * corrects for the statistic's bootstrap bias (spectral statistics such as RJSD are biased
   * upward on resamples, whose duplicated rows shrink the spectrum's effective rank).
   */
  method?: 'percentile' | 'basic';
}

export interface BootstrapInterval {
  /** The statistic on all rows, in their original order. */
  estimate: number;
  /** Percentile (1 − confidence)/2 of the resampled statistics. */
  lower: number;
  /** Percentile (1 + confidence)/2 of the resampled statistics. */
  upper: number;
  confidence: number;
  /** Resamples drawn, including dropped ones. */
  resamples: number;
  /** Resamples whose statistic was NaN; they take no part in lower, upper or standardError. */
  dropped: number;
  /** Standard deviation (n − 1 denominator) of the kept resampled statistics; NaN if fewer than 2. */
  standardError: number;
  /** Mean of the kept resampled statistics minus the estimate: the bootstrap estimate of bias. */
  bias: number;
  method: 'percentile' | 'basic';
}

export interface BootstrapCorrelationInterval extends BootstrapInterval {
  kind: CorrelationKind;
  /** The usual two-sided p-value of the coefficient on all rows. */
  pValue: number;
}

function resolveOptions(options: BootstrapOptions): Required<BootstrapOptions> {
  const { resamples = 1000, confidence = 0.95, seed = 0, method = 'percentile' } = options;
  if (method !== 'percentile' && method !== 'basic') {
    throw new InputError(`must be 'percentile' or 'basic', got ${String(method)}`, { field: 'method' });
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
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

/**
 * Bootstrap percentile interval for `statistic` over `rowCount` rows.
 *
 * Each resample passes `statistic` a fresh Int32Array of `rowCount` row indices drawn uniformly
 * with replacement; the statistic reads whatever per-row data it closes over. `estimate` is the
 * statistic on rows 0..rowCount−1 in order. Resamples where the statistic is NaN (e.g. a
 * correlation on a resample with a constant column) are dropped and counted in `dropped`; if
 * every resample is dropped this throws InputError. A NaN `estimate` is returned as is.
 *
 * lower/upper are the (1 ∓ confidence)/2 quantiles of the kept statistics with numpy's default
 * linear interpolation. The percentile interval assumes the statistic's sampling distribution
 * is roughly symmetric and unbiased; for small n it under-covers.
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

  const allRows = new Int32Array(rowCount);
  for (let i = 0; i < rowCount; i++) allRows[i] = i;
  const estimate = statistic(allRows);

  const rng = createRng(seed);
  const values = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) values[b] = statistic(drawRows(rng, rowCount));
  return summarizeResamples(estimate, values, confidence, method);
}

function drawRows(rng: ReturnType<typeof createRng>, rowCount: number): Int32Array {
  const rows = new Int32Array(rowCount);
  for (let i = 0; i < rowCount; i++) rows[i] = rng.int(rowCount);
  return rows;
}

/** The percentile interval from resampled values (NaN values dropped and counted). */
function summarizeResamples(estimate: number, values: Float64Array, confidence: number, method: 'percentile' | 'basic'): BootstrapInterval {
  const resamples = values.length;
  const kept = values.filter((value) => !Number.isNaN(value));
  const keptCount = kept.length;
  const dropped = resamples - keptCount;
  if (keptCount === 0) {
    throw new InputError(`the statistic was NaN on all ${resamples} bootstrap resamples`, { field: 'statistic' });
  }
  const sorted = kept.sort();
  const alpha = 1 - confidence;
  const low = interpolatedQuantile(sorted, alpha / 2);
  const high = interpolatedQuantile(sorted, 1 - alpha / 2);
  let mean = 0;
  for (let i = 0; i < sorted.length; i++) mean += sorted[i];
  mean /= sorted.length;
  return {
    estimate,
    lower: method === 'basic' ? 2 * estimate - high : low,
    upper: method === 'basic' ? 2 * estimate - low : high,
    confidence,
    resamples,
    dropped,
    standardError: sampleStandardDeviation(sorted),
    bias: mean - estimate,
    method,
  };
}

/**
 * The same percentile interval for an asynchronous statistic over several independent samples
 * (EMID resamples the source's rows and the target's rows separately). `statistic` receives one
 * row-index array per sample; the estimate uses every sample's rows in order.
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
  const estimate = await statistic(rowCounts.map((rowCount) => Int32Array.from({ length: rowCount }, (_, i) => i)));
  const rng = createRng(seed);
  const values = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) values[b] = await statistic(rowCounts.map((rowCount) => drawRows(rng, rowCount)));
  return summarizeResamples(estimate, values, confidence, method);
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
 * Bootstrap percentile interval for a correlation coefficient, resampling (x, y) pairs together.
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
  // One pair of buffers reused by every resample: the coefficient functions do not keep them.
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const interval = bootstrapInterval(
    n,
    (rows) => {
      for (let i = 0; i < n; i++) {
        xs[i] = x[rows[i]];
        ys[i] = y[rows[i]];
      }
      return correlationCoefficient(xs, ys, kind);
    },
    options,
  );
  return { ...interval, kind, pValue: full.pValue };
}
