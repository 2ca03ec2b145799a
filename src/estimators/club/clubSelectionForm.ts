/**
 * CLUB's estimate on many selections of one forward pass's rows (a permutation test's two sides,
 * thousands of times over), each in O(m²) after one O(n²·d) precomputation instead of O(m·d).
 *
 * With h = exp(−logvar)/2, g = μ·h and the selection's means ȳ_d, E[y²]_d (clubEstimate.ts), row k's
 * term is Σ_d h_kd E[y²]_d − 2 Σ_d g_kd ȳ_d + c_k, c_k = Σ_d (2 μ_kd y_kd − y_kd²) h_kd. The means
 * are averages over the selection S, so the estimate is a quadratic form in S's rows:
 *
 *   Î(S) = (1/|S|²) Σ_{k∈S} Σ_{j∈S} K_kj + (1/|S|) Σ_{k∈S} c_k,   K_kj = Σ_d (h_kd y_jd² − 2 g_kd y_jd)
 *
 * (repeats counted, as in a bootstrap resample). K is n × n, so the form is built only when n is
 * small enough for it and the selections reduce more rows than building it costs. The value is
 * today's estimate up to float64 rounding: the same terms, summed in another order.
 */
import { InputError } from '../../errors';
import type { Matrix } from '../../interface';
import { clubEstimateFromForward } from './clubEstimate';
import type { ClubForward } from './clubModel';

/** K is n × n float64: past this many rows (32 MB) selections are reduced one by one. */
const MAX_FORM_ROWS = 2048;

/** K and c for one y (see the module comment). */
export interface ClubSelectionForm {
  readonly rows: number;
  /** K, row-major n × n: K[k·n + j]. */
  readonly pairs: Float64Array;
  /** c, one per row. */
  readonly singles: Float64Array;
}

/** Builds K and c for y on the forward pass's rows, in float64. */
export function clubSelectionForm(forward: ClubForward, y: Matrix): ClubSelectionForm {
  const { rows: n, yDim, mu, logvar } = forward;
  if (y.rows !== n || y.cols !== yDim) throw new InputError(`y is ${y.rows} × ${y.cols}, the forward pass is ${n} × ${yDim}`, { field: 'y' });
  // K_kj = a_k · b_j with a_k = [h_k, −2 g_k] and b_j = [y_j², y_j] (2d each): one dot product per pair.
  const width = 2 * yDim;
  const left = new Float64Array(n * width);
  const right = new Float64Array(n * width);
  const singles = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let single = 0;
    const row = k * width;
    for (let d = 0, at = k * yDim; d < yDim; d++, at++) {
      const h = 0.5 * Math.exp(-logvar[at]);
      const m = mu[at];
      const yi = y.data[at];
      left[row + d] = h;
      left[row + yDim + d] = -2 * m * h;
      right[row + d] = yi * yi;
      right[row + yDim + d] = yi;
      single += (2 * m * yi - yi * yi) * h;
    }
    singles[k] = single;
  }
  const pairs = new Float64Array(n * n);
  const unrolled = width - (width % 4);
  for (let k = 0; k < n; k++) {
    const a = k * width;
    for (let j = 0; j < n; j++) {
      const b = j * width;
      // Four accumulators: independent additions the CPU can overlap.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let i = 0;
      for (; i < unrolled; i += 4) {
        s0 += left[a + i] * right[b + i];
        s1 += left[a + i + 1] * right[b + i + 1];
        s2 += left[a + i + 2] * right[b + i + 2];
        s3 += left[a + i + 3] * right[b + i + 3];
      }
      for (; i < width; i++) s0 += left[a + i] * right[b + i];
      pairs[k * n + j] = s0 + s1 + (s2 + s3);
    }
  }
  return { rows: n, pairs, singles };
}

/** Î(S) from the form: the mean of c over S plus the mean of K over S × S. */
export function estimateFromSelectionForm(form: ClubSelectionForm, selection: Int32Array): number {
  const { rows: n, pairs, singles } = form;
  const count = selection.length;
  if (count === 0) throw new InputError('an estimate needs at least one row', { field: 'rows' });
  let pairTotal = 0;
  let singleTotal = 0;
  for (let a = 0; a < count; a++) {
    const k = selection[a];
    singleTotal += singles[k];
    const offset = k * n;
    let rowTotal = 0;
    for (let b = 0; b < count; b++) rowTotal += pairs[offset + selection[b]];
    pairTotal += rowTotal;
  }
  return pairTotal / (count * count) + singleTotal / count;
}

function assertRows(selection: Int32Array, rows: number): void {
  for (let k = 0; k < selection.length; k++) {
    const row = selection[k];
    if (!(row >= 0 && row < rows)) throw new InputError(`row ${row} is outside the ${rows} rows`, { field: 'rows' });
  }
}

/**
 * Estimates on every selection: through the quadratic form when it is cheaper (built once per y
 * and kept in `forms`), otherwise each selection reduced as `clubEstimateFromForward` does.
 */
export function clubEstimatesOfSelections(forward: ClubForward, y: Matrix, selections: readonly Int32Array[], forms: WeakMap<Matrix, ClubSelectionForm>): Float64Array {
  const values = new Float64Array(selections.length);
  let selectedRows = 0;
  let pairCount = 0;
  for (const selection of selections) {
    assertRows(selection, forward.rows);
    if (selection.length === 0) throw new InputError('an estimate needs at least one row', { field: 'rows' });
    selectedRows += selection.length;
    pairCount += selection.length * selection.length;
  }
  let form = forms.get(y);
  if (!form && forward.rows <= MAX_FORM_ROWS) {
    // Per-selection reduction reads every selected row twice across d; the form costs 2·n²·d once and m² per selection.
    const direct = 2 * selectedRows * forward.yDim;
    const viaForm = 2 * forward.rows * forward.rows * forward.yDim + pairCount;
    if (viaForm < direct) {
      form = clubSelectionForm(forward, y);
      forms.set(y, form);
    }
  }
  for (let k = 0; k < selections.length; k++) values[k] = form ? estimateFromSelectionForm(form, selections[k]) : clubEstimateFromForward(forward, y, selections[k]);
  return values;
}
