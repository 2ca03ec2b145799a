/**
 * The CLUB mutual-information estimate and the training loss, from a forward pass.
 *
 *   MI_hat = mean_i Σ_d [ −(μ_id − y_id)² + mean_j (y_jd − μ_id)² ] / (2 exp(logvar_id))
 *
 * The inner mean over j expands to mean_j y_jd² − 2 μ_id ȳ_d + μ_id², so the estimate needs
 * only per-dimension means of y and y²: O(n·d) time and memory, never an n × n × d tensor.
 * Sums run in float64, so the result does not depend on summation order at float32 precision.
 */
import { InputError } from '../../errors';
import type { Matrix } from '../../interface';
import type { ClubForward } from './clubModel';

const halfPrecisionCache = new WeakMap<ClubForward, Float64Array>();

/** exp(−logvar) / 2 for every element, computed once per forward pass and shared by estimates. */
export function clubHalfPrecision(forward: ClubForward): Float64Array {
  let cached = halfPrecisionCache.get(forward);
  if (!cached) {
    const { logvar } = forward;
    cached = new Float64Array(logvar.length);
    for (let i = 0; i < logvar.length; i++) cached[i] = 0.5 * Math.exp(-logvar[i]);
    halfPrecisionCache.set(forward, cached);
  }
  return cached;
}

/**
 * The per-row terms r_k of the estimate on the rows `rows` of the forward pass and of y (all
 * rows when omitted; repeats allowed), written to `terms` when given; returns their mean, the
 * estimate. y's means run over the same selection. With a selection this is, operation for
 * operation, the estimate of the selected rows copied out.
 */
function clubTerms(forward: ClubForward, y: Matrix, rows: Int32Array | undefined, terms: Float64Array | undefined): number {
  const { yDim, mu } = forward;
  if (y.rows !== forward.rows || y.cols !== yDim) {
    throw new InputError(`y is ${y.rows} × ${y.cols}, the forward pass is ${forward.rows} × ${yDim}`, { field: 'y' });
  }
  const halfPrecision = clubHalfPrecision(forward);
  const count = rows ? rows.length : forward.rows;
  const rowAt = (k: number): number => {
    if (!rows) return k;
    const row = rows[k];
    if (!(row >= 0 && row < forward.rows)) throw new InputError(`row ${row} is outside the ${forward.rows} rows`, { field: 'rows' });
    return row;
  };
  const yData = y.data;
  const mean = new Float64Array(yDim);
  const meanSquare = new Float64Array(yDim);
  for (let k = 0; k < count; k++) {
    const offset = rowAt(k) * yDim;
    for (let d = 0; d < yDim; d++) {
      const value = yData[offset + d];
      mean[d] += value;
      meanSquare[d] += value * value;
    }
  }
  for (let d = 0; d < yDim; d++) {
    mean[d] /= count;
    meanSquare[d] /= count;
  }
  let total = 0;
  for (let k = 0; k < count; k++) {
    const offset = rowAt(k) * yDim;
    let rowSum = 0;
    for (let d = 0; d < yDim; d++) {
      const m = mu[offset + d];
      const yi = yData[offset + d];
      // mean_j (y_jd − μ)² − (μ − y_id)² = E[y²] − 2μ(ȳ − y_id) − y_id²
      rowSum += (meanSquare[d] - 2 * m * (mean[d] - yi) - yi * yi) * halfPrecision[offset + d];
    }
    if (terms) terms[k] = rowSum;
    total += rowSum;
  }
  return total / count;
}

/** The CLUB estimate from a forward pass (μ, logvar) on x and the paired y, in O(n·d) memory; `rows` selects (and may repeat) rows of both. */
export function clubEstimateFromForward(forward: ClubForward, y: Matrix, rows?: Int32Array): number {
  return clubTerms(forward, y, rows, undefined);
}

/** The per-row terms of `clubEstimateFromForward(forward, y, rows)`: their mean is the estimate. */
export function clubRowTermsFromForward(forward: ClubForward, y: Matrix, rows?: Int32Array): Float64Array {
  const terms = new Float64Array(rows ? rows.length : forward.rows);
  clubTerms(forward, y, rows, terms);
  return terms;
}

/**
 * The training loss, the negative log-likelihood up to constants:
 * mean_i Σ_d [ (μ_id − y_id)² exp(−logvar_id) + logvar_id ].
 */
export function clubLossFromForward(forward: ClubForward, y: Matrix): number {
  const { rows, yDim, mu, logvar } = forward;
  const yData = y.data;
  let total = 0;
  for (let i = 0; i < rows * yDim; i++) {
    const diff = mu[i] - yData[i];
    total += diff * diff * Math.exp(-logvar[i]) + logvar[i];
  }
  return total / rows;
}

/** |tanh| above this counts as saturated: the gradient through it is below 2% of its largest. */
export const LOGVAR_SATURATION_LEVEL = 0.99;

/** How saturated the variance network is on some queries: the share of |logvar| outputs at the level, and the largest |logvar|. */
export interface LogvarSaturation {
  share: number;
  largest: number;
}

/**
 * How close the variance network is to its limits on some queries: `share`, the fraction of
 * logvar outputs (rows × output units) with |logvar| > 0.99, and `largest`, the largest |logvar|.
 * logvar = tanh(·) confines the variance to [e^−1, e], and a saturated unit has stopped adapting
 * its variance to the data.
 */
export function logvarSaturation(forward: ClubForward): LogvarSaturation {
  const count = forward.rows * forward.yDim;
  let saturated = 0;
  let largest = 0;
  for (let k = 0; k < count; k++) {
    const magnitude = Math.abs(forward.logvar[k]);
    if (magnitude > LOGVAR_SATURATION_LEVEL) saturated += 1;
    if (magnitude > largest) largest = magnitude;
  }
  return { share: count === 0 ? 0 : saturated / count, largest };
}
