/**
 * CLUB's estimate on many selections of one forward pass's rows (a permutation test's two sides,
 * thousands of times over), each from a few column sums of the selected rows: O(m·d) per
 * selection with no n × n matrix, and nothing at all for a selection that is the complement of
 * the one before it (for few pooled rows and many selections, from that matrix instead: below).
 *
 * With h = exp(−logvar)/2, g = μ·h and the selection's means ȳ_d, E[y²]_d (clubEstimate.ts), row k's
 * term is Σ_d h_kd E[y²]_d − 2 Σ_d g_kd ȳ_d + c_k, c_k = Σ_d (2 μ_kd y_kd − y_kd²) h_kd. The means
 * are averages over the selection S, so
 *
 *   Î(S) = (1/|S|²) Σ_{k∈S} Σ_{j∈S} a_k · b_j + (1/|S|) Σ_{k∈S} c_k,   a_k = [h_k, −2 g_k], b_j = [y_j², y_j]
 *
 * (2d-vectors; repeats counted, as in a bootstrap resample), and the double sum factorises:
 * Σ_{k∈S} Σ_{j∈S} a_k · b_j = (Σ_{k∈S} a_k) · (Σ_{j∈S} b_j). The sums of a depend on the forward
 * pass alone, so they are kept per selection and shared by every y (EMI's two answer sets); when
 * a selection is the complement of the one before it (the other side of a partition), its sums
 * are the pooled totals minus that one's. The value is today's estimate up to float64 rounding:
 * the same products, summed in another order (y² of float32 data is exact in float64).
 *
 * When the pooled rows are few and the selections many (a sweep's 1,000 permutations at n = 90),
 * the pair sums are cheaper read off the n × n matrix K = A Bᵀ, K_kj = a_k · b_j, built once per y
 * (2·n²·d) and then m² per selection; the reducer takes whichever of the two costs fewer
 * operations for the call.
 */
import { InputError } from '../../errors';
import type { Matrix } from '../../interface';
import { clubEstimateFromForward, clubHalfPrecision } from './clubEstimate';
import type { ClubForward } from './clubModel';

/** K is n × n float64: past this many rows (32 MB) it is never built. */
const MAX_FORM_ROWS = 2048;

/** K and c for one y: K[k·n + j] = a_k · b_j, c per row. */
interface PairForm {
  readonly pairs: Float64Array;
  readonly singles: Float64Array;
}

/** A selection's column sums: Σ a (left, 2d), Σ b (right, 2d), Σ c (single). */
interface SelectionSums {
  readonly left: Float64Array;
  readonly right: Float64Array;
  readonly single: number;
}

/** Σ_{k∈S} a_k kept for a selection, with a copy of its rows so a changed array is never mistaken for it. */
interface KeptLeftSum {
  readonly rows: Int32Array;
  readonly sums: Float64Array;
}

/**
 * Adds the rows `selection` of a row-major float64 matrix of `width` columns into `out` (zeroed
 * first). Eight rows per pass over the columns: `out` is read and written an eighth as often.
 */
function addRows(matrix: Float64Array, width: number, selection: Int32Array, out: Float64Array): void {
  out.fill(0);
  const count = selection.length;
  let a = 0;
  for (; a + 8 <= count; a += 8) {
    const r0 = selection[a] * width;
    const r1 = selection[a + 1] * width;
    const r2 = selection[a + 2] * width;
    const r3 = selection[a + 3] * width;
    const r4 = selection[a + 4] * width;
    const r5 = selection[a + 5] * width;
    const r6 = selection[a + 6] * width;
    const r7 = selection[a + 7] * width;
    for (let i = 0; i < width; i++) {
      out[i] += matrix[r0 + i] + matrix[r1 + i] + (matrix[r2 + i] + matrix[r3 + i]) + (matrix[r4 + i] + matrix[r5 + i] + (matrix[r6 + i] + matrix[r7 + i]));
    }
  }
  for (; a < count; a++) {
    const row = selection[a] * width;
    for (let i = 0; i < width; i++) out[i] += matrix[row + i];
  }
}

/** Σ_{j∈S} b_j = [Σ y_j², Σ y_j] into `out` (2d), reading y as it is stored; four rows per pass. */
function addAnswerRows(data: Float32Array | Float64Array, dim: number, selection: Int32Array, out: Float64Array): void {
  out.fill(0);
  const count = selection.length;
  let a = 0;
  for (; a + 4 <= count; a += 4) {
    const r0 = selection[a] * dim;
    const r1 = selection[a + 1] * dim;
    const r2 = selection[a + 2] * dim;
    const r3 = selection[a + 3] * dim;
    for (let i = 0; i < dim; i++) {
      const v0 = data[r0 + i];
      const v1 = data[r1 + i];
      const v2 = data[r2 + i];
      const v3 = data[r3 + i];
      out[i] += v0 * v0 + v1 * v1 + (v2 * v2 + v3 * v3);
      out[dim + i] += v0 + v1 + (v2 + v3);
    }
  }
  for (; a < count; a++) {
    const row = selection[a] * dim;
    for (let i = 0; i < dim; i++) {
      const value = data[row + i];
      out[i] += value * value;
      out[dim + i] += value;
    }
  }
}

function assertSelections(selections: readonly Int32Array[], rows: number): number {
  let selectedRows = 0;
  for (const selection of selections) {
    if (selection.length === 0) throw new InputError('an estimate needs at least one row', { field: 'rows' });
    for (let k = 0; k < selection.length; k++) {
      const row = selection[k];
      if (!(row >= 0 && row < rows)) throw new InputError(`row ${row} is outside the ${rows} rows`, { field: 'rows' });
    }
    selectedRows += selection.length;
  }
  return selectedRows;
}

/**
 * Estimates on many selections of one forward pass (see the module comment). One reducer per
 * kept pass: it builds a = [h, −2g] once, keeps each selection's Σ a for the next y, and reduces
 * selections one by one, as `clubEstimateFromForward` does, when they are too few to pay for that.
 */
export class ClubSelectionReducer {
  private left: Float64Array | undefined;
  private leftTotal: Float64Array | undefined;
  private readonly keptLeftSums = new WeakMap<Int32Array, KeptLeftSum>();
  private readonly forms = new WeakMap<Matrix, PairForm>();
  private readonly marks: Uint8Array;

  constructor(private readonly forward: ClubForward) {
    this.marks = new Uint8Array(forward.rows);
  }

  /** Î on every selection of the pass's rows (repeats allowed), paired with y's rows. */
  estimates(y: Matrix, selections: readonly Int32Array[]): Float64Array {
    const { rows: n, yDim } = this.forward;
    if (y.rows !== n || y.cols !== yDim) throw new InputError(`y is ${y.rows} × ${y.cols}, the forward pass is ${n} × ${yDim}`, { field: 'y' });
    const selectedRows = assertSelections(selections, n);
    const values = new Float64Array(selections.length);
    // The factors cost about one reduction of all n rows; fewer selected rows than that are cheaper reduced directly.
    if (selectedRows < n) {
      for (let k = 0; k < selections.length; k++) values[k] = clubEstimateFromForward(this.forward, y, selections[k]);
      return values;
    }
    const form = this.forms.get(y) ?? (this.formIsCheaper(selections) ? this.buildForm(y) : undefined);
    if (form) {
      for (let k = 0; k < selections.length; k++) values[k] = valueOfForm(form, n, selections[k]);
      return values;
    }
    const { singles, totals } = this.answerFactors(y);
    let previous: SelectionSums | undefined;
    let previousSelection: Int32Array | undefined;
    for (let k = 0; k < selections.length; k++) {
      const selection = selections[k];
      let sums: SelectionSums;
      if (previous && previousSelection && this.isComplement(previousSelection, selection)) {
        sums = { left: difference(totals.left, previous.left), right: difference(totals.right, previous.right), single: totals.single - previous.single };
        // A third selection is never the complement of a complement's side: the pair is done.
        previous = undefined;
        previousSelection = undefined;
      } else {
        const right = new Float64Array(2 * yDim);
        addAnswerRows(y.data, yDim, selection, right);
        let single = 0;
        for (let a = 0; a < selection.length; a++) single += singles[selection[a]];
        sums = { left: this.leftSumOf(selection), right, single };
        previous = sums;
        previousSelection = selection;
      }
      values[k] = valueOfSums(sums, selection.length);
    }
    return values;
  }

  /**
   * Whether K costs fewer operations than the column sums for these selections: 2·n²·d to build
   * and m² per selection, against about 3·m·d per selection (2d sums of a, unless kept, and d of
   * y), the second side of a partition free.
   */
  private formIsCheaper(selections: readonly Int32Array[]): boolean {
    const { rows: n, yDim } = this.forward;
    if (n > MAX_FORM_ROWS) return false;
    let viaForm = 2 * n * n * yDim;
    let viaSums = 2 * n * yDim;
    for (let k = 0; k < selections.length; k++) {
      const m = selections[k].length;
      viaForm += m * m;
      // Partitions come as (side, complement) pairs: count one side of each.
      if (k % 2 === 0 || m + selections[k - 1].length !== n) viaSums += 3 * m * yDim;
    }
    return viaForm < viaSums;
  }

  /** K = A Bᵀ and c for y, kept for the next call with the same y. */
  private buildForm(y: Matrix): PairForm {
    const { rows: n, yDim } = this.forward;
    const { left } = this.factors();
    const width = 2 * yDim;
    const right = new Float64Array(n * width);
    const data = y.data;
    for (let k = 0; k < n; k++) {
      for (let d = 0, at = k * yDim, out = k * width; d < yDim; d++, at++, out++) {
        const value = data[at];
        right[out] = value * value;
        right[out + yDim] = value;
      }
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
    const form = { pairs, singles: this.answerFactors(y).singles };
    this.forms.set(y, form);
    return form;
  }

  /** a = [h, −2g] for every row, and its column totals: built on first use, then shared by every y. */
  private factors(): { left: Float64Array; leftTotal: Float64Array } {
    if (!this.left || !this.leftTotal) {
      const { rows: n, yDim, mu } = this.forward;
      const halfPrecision = clubHalfPrecision(this.forward);
      const width = 2 * yDim;
      const left = new Float64Array(n * width);
      for (let k = 0; k < n; k++) {
        for (let d = 0, at = k * yDim, out = k * width; d < yDim; d++, at++, out++) {
          const h = halfPrecision[at];
          left[out] = h;
          left[out + yDim] = -2 * mu[at] * h;
        }
      }
      const leftTotal = new Float64Array(width);
      addRows(left, width, Int32Array.from({ length: n }, (_, k) => k), leftTotal);
      this.left = left;
      this.leftTotal = leftTotal;
    }
    return { left: this.left, leftTotal: this.leftTotal };
  }

  /** Σ_{k∈S} a_k, kept for the next y (the same selection array, unchanged). */
  private leftSumOf(selection: Int32Array): Float64Array {
    const kept = this.keptLeftSums.get(selection);
    if (kept && sameRows(kept.rows, selection)) return kept.sums;
    const { left } = this.factors();
    const sums = new Float64Array(2 * this.forward.yDim);
    addRows(left, sums.length, selection, sums);
    this.keptLeftSums.set(selection, { rows: selection.slice(), sums });
    return sums;
  }

  /** c for every row and the pooled totals of a, b and c, for one y. */
  private answerFactors(y: Matrix): { singles: Float64Array; totals: SelectionSums } {
    const { rows: n, yDim, mu } = this.forward;
    const halfPrecision = clubHalfPrecision(this.forward);
    const data = y.data;
    const singles = new Float64Array(n);
    let singleTotal = 0;
    for (let k = 0; k < n; k++) {
      let single = 0;
      for (let d = 0, at = k * yDim; d < yDim; d++, at++) {
        const value = data[at];
        single += (2 * mu[at] * value - value * value) * halfPrecision[at];
      }
      singles[k] = single;
      singleTotal += single;
    }
    const right = new Float64Array(2 * yDim);
    addAnswerRows(data, yDim, Int32Array.from({ length: n }, (_, k) => k), right);
    return { singles, totals: { left: this.factors().leftTotal, right, single: singleTotal } };
  }

  /** Whether `next` holds exactly the rows `first` does not (each once): the other side of a partition. */
  private isComplement(first: Int32Array, next: Int32Array): boolean {
    const n = this.forward.rows;
    if (first.length + next.length !== n) return false;
    const marks = this.marks;
    let complement = true;
    for (let a = 0; a < first.length && complement; a++) {
      if (marks[first[a]]) complement = false;
      marks[first[a]] = 1;
    }
    for (let a = 0; a < next.length && complement; a++) {
      if (marks[next[a]]) complement = false;
      marks[next[a]] = 1;
    }
    // n rows marked once each from n entries: every row is on exactly one side.
    marks.fill(0);
    return complement;
  }
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

function difference(total: Float64Array, part: Float64Array): Float64Array {
  const out = new Float64Array(total.length);
  for (let i = 0; i < total.length; i++) out[i] = total[i] - part[i];
  return out;
}

/** Î(S) from K: the mean of K over S × S plus the mean of c over S. */
function valueOfForm(form: PairForm, n: number, selection: Int32Array): number {
  const { pairs, singles } = form;
  const count = selection.length;
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

/** Î(S) = (Σ a)·(Σ b) / |S|² + Σ c / |S|. */
function valueOfSums(sums: SelectionSums, count: number): number {
  const { left, right } = sums;
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  for (; i + 2 <= left.length; i += 2) {
    s0 += left[i] * right[i];
    s1 += left[i + 1] * right[i + 1];
  }
  for (; i < left.length; i++) s0 += left[i] * right[i];
  return (s0 + s1) / (count * count) + sums.single / count;
}
