import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clubEstimateFromForward, clubLossFromForward } from '../../../src/estimators/club/clubEstimate';
import { clubForwardPortable, initClubParameters } from '../../../src/estimators/club/clubModel';
import { selectRows } from '../../../src/linalg/matrix';
import { ClubEstimator, clubForward } from '../../../src/estimators/club/clubEstimator';
import { createRng } from '../../../src/random';
import type { Matrix } from '../../../src/interface';

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  return { rows, cols, data: Float32Array.from({ length: rows * cols }, () => rng.normal()) };
}

/** The estimate written as the reference does it, with the full n × n × d broadcast. */
function naiveClub(mu: Float32Array, logvar: Float32Array, y: Matrix): number {
  const { rows: n, cols: d } = y;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let positive = 0;
    let negative = 0;
    for (let k = 0; k < d; k++) {
      const variance2 = 2 * Math.exp(logvar[i * d + k]);
      positive -= (mu[i * d + k] - y.data[i * d + k]) ** 2 / variance2;
      let inner = 0;
      for (let j = 0; j < n; j++) inner += (y.data[j * d + k] - mu[i * d + k]) ** 2;
      negative -= inner / n / variance2;
    }
    total += positive - negative;
  }
  return total / n;
}

test('the O(n·d) estimate equals the n × n × d broadcast of the reference', () => {
  const params = initClubParameters({ xDim: 12, yDim: 9, hiddenDim: 7 }, 3);
  const x = gaussian(30, 12, 1);
  const y = gaussian(30, 9, 2);
  const forward = clubForwardPortable(params, x);
  const fast = clubEstimateFromForward(forward, y);
  const slow = naiveClub(forward.mu, forward.logvar, y);
  assert.ok(Math.abs(fast - slow) < 1e-10 * Math.max(1, Math.abs(slow)), `${fast} vs ${slow}`);
});

test('the loss is the negative log-likelihood without constants', () => {
  const forward = { rows: 2, yDim: 1, mu: Float32Array.from([0, 1]), logvar: Float32Array.from([0, Math.log(2)]) };
  const y = { rows: 2, cols: 1, data: Float32Array.from([1, 1]) };
  // row 0: (0 − 1)² · e⁰ + 0 = 1; row 1: 0 + log 2 → mean (1 + log 2) / 2
  assert.ok(Math.abs(clubLossFromForward(forward, y) - (1 + Math.log(2)) / 2) < 1e-7);
});

test('initialisation is seeded and follows the PyTorch Linear bounds', () => {
  const a = initClubParameters({ xDim: 16, yDim: 4, hiddenDim: 8 }, 5);
  const b = initClubParameters({ xDim: 16, yDim: 4, hiddenDim: 8 }, 5);
  const c = initClubParameters({ xDim: 16, yDim: 4, hiddenDim: 8 }, 6);
  assert.deepEqual(a.muW1, b.muW1);
  assert.notDeepEqual(a.muW1, c.muW1);
  assert.ok(a.muW1.every((w) => Math.abs(w) <= 1 / 4));
  assert.ok(a.muW2.every((w) => Math.abs(w) <= 1 / Math.sqrt(8)));
  assert.equal(a.logvarW2.length, 4 * 8);
});

test('the native and portable engines agree, and estimateMany equals separate estimates', async () => {
  const params = initClubParameters({ xDim: 20, yDim: 10, hiddenDim: 16 }, 9);
  const x = gaussian(40, 20, 4);
  const y1 = gaussian(40, 10, 5);
  const y2 = gaussian(40, 10, 6);
  const native = await clubForward(params, x, 'auto');
  const portable = await clubForward(params, x, 'portable');
  for (let i = 0; i < native.mu.length; i++) {
    assert.ok(Math.abs(native.mu[i] - portable.mu[i]) < 1e-5);
    assert.ok(Math.abs(native.logvar[i] - portable.logvar[i]) < 1e-5);
  }
  const estimator = new ClubEstimator(params);
  const shared = await estimator.estimateMany(x, [y1, y2]);
  assert.equal(shared[0], await estimator.estimate(x, y1));
  assert.equal(shared[1], await estimator.estimate(x, y2));
  // The native engine reduces per-row terms in float32; the portable one in float64.
  const portableShared = await new ClubEstimator(params, 'portable').estimateMany(x, [y1, y2]);
  for (const k of [0, 1]) assert.ok(Math.abs(shared[k] - portableShared[k]) < 1e-5, `${shared[k]} vs ${portableShared[k]}`);
});

test('a conditioned estimator re-reduces any rows of its forward pass, exactly as those rows copied out', async () => {
  const params = initClubParameters({ xDim: 12, yDim: 6, hiddenDim: 8 }, 3);
  const x = gaussian(30, 12, 7);
  const y = gaussian(30, 6, 8);
  for (const engine of ['auto', 'portable'] as const) {
    const estimator = new ClubEstimator(params, engine);
    const conditioned = await estimator.condition(x);
    assert.equal(conditioned.rows, 30);
    const rows = Int32Array.from([4, 4, 0, 29, 17, 3, 3, 3]);
    const selected = await new ClubEstimator(params, 'portable').condition(selectRows(x, rows));
    const onSelection = await conditioned.estimate(y, rows);
    const terms = await conditioned.rowTerms(y, rows);
    assert.equal(terms.length, rows.length);
    assert.ok(Math.abs(terms.reduce((a, b) => a + b, 0) / terms.length - onSelection) < 1e-15);
    // Repeated rows have equal terms; the whole-set terms average to the whole-set estimate.
    assert.equal(terms[0], terms[1]);
    const all = await conditioned.rowTerms(y);
    assert.ok(Math.abs(all.reduce((a, b) => a + b, 0) / 30 - (await conditioned.estimate(y))) < 1e-15);
    if (engine === 'portable') assert.equal(onSelection, await selected.estimate(selectRows(y, rows)));
    // The float64 re-reduction agrees with the set estimate to float32 rounding.
    assert.ok(Math.abs((await conditioned.estimate(y)) - (await estimator.estimate(x, y))) < 1e-6);
  }
  const conditioned = await new ClubEstimator(params).condition(x);
  await assert.rejects(conditioned.estimate(y, Int32Array.from([30])), /row 30 is outside the 30 rows/);
  await assert.rejects(conditioned.estimate(gaussian(29, 6, 1)), /x has 30 rows and y has 29/);
});

test('estimate refuses mismatched shapes', async () => {
  const estimator = new ClubEstimator(initClubParameters({ xDim: 4, yDim: 3, hiddenDim: 2 }));
  await assert.rejects(estimator.estimate(gaussian(5, 5, 1), gaussian(5, 3, 2)), /x \(queries\) has dimension 5, the CLUB network expects 4/);
  await assert.rejects(estimator.estimate(gaussian(5, 4, 1), gaussian(6, 3, 2)), /x has 5 rows and y has 6/);
});

test('many selections through the factorised form equal each selection reduced on its own', async () => {
  const { ClubSelectionReducer } = await import('../../../src/estimators/club/clubSelectionForm');
  const params = initClubParameters({ xDim: 10, yDim: 64, hiddenDim: 6 }, 4);
  const x = gaussian(40, 10, 11);
  const y = gaussian(40, 64, 12);
  const forward = clubForwardPortable(params, x);
  const rng = createRng(5);
  const selections = Array.from({ length: 300 }, (_, k) => Int32Array.from({ length: 2 + (k % 30) }, () => rng.int(40)));
  selections.push(Int32Array.from({ length: 40 }, (_, i) => i));
  // 301 selections of up to 40 of 40 rows, 64-d answers: reduced through K (40 × 40), cheaper here than column sums.
  const batch = new ClubSelectionReducer(forward).estimates(y, selections);
  selections.forEach((selection, k) => {
    const plain = clubEstimateFromForward(forward, y, selection);
    // The same products summed in another order: float64 rounding on terms of order 1…64.
    assert.ok(Math.abs(batch[k] - plain) < 1e-12 * Math.max(1, Math.abs(plain)), `selection of ${selection.length}`);
  });
  // Two selections do not: they are reduced as estimate() reduces them, bit for bit.
  const few = new ClubSelectionReducer(forward).estimates(y, selections.slice(0, 2));
  assert.equal(few[0], clubEstimateFromForward(forward, y, selections[0]));
  assert.equal(few[1], clubEstimateFromForward(forward, y, selections[1]));
  // Through the contract, on the kept pass.
  const conditioned = await new ClubEstimator(params, 'portable').condition(x);
  const viaContract = await conditioned.estimateSelections(y, selections);
  assert.deepEqual(Array.from(viaContract), Array.from(batch));
  assert.throws(() => new ClubSelectionReducer(forward).estimates(y, [Int32Array.from([40])]), /row 40 is outside the 40 rows/);
  assert.throws(() => new ClubSelectionReducer(forward).estimates(y, [new Int32Array(0)]), /at least one row/);
  assert.throws(() => new ClubSelectionReducer(forward).estimates(gaussian(40, 63, 1), selections), /y is 40 × 63, the forward pass is 40 × 64/);
});

/**
 * A bound on the float64 rounding of either form on selection S: both sum the same products,
 * whose absolute values add up to T(S) = (1/m²)·Σ_d [(Σ_S h_d)(Σ_S y_d²) + 2(Σ_S |g_d|)(Σ_S |y_d|)]
 * + (1/m)·Σ_S Σ_d |2μy − y²|·h, in chains of at most m + 2d additions; the classical bound of a
 * sum is (chain length)·ε·(sum of |terms|), and the two forms' difference is at most twice it.
 */
function roundingBound(forward: { mu: Float32Array; logvar: Float32Array; yDim: number }, y: Matrix, selection: Int32Array): number {
  const d = forward.yDim;
  const m = selection.length;
  const h = new Float64Array(d);
  const g = new Float64Array(d);
  const ySquare = new Float64Array(d);
  const yAbs = new Float64Array(d);
  let singles = 0;
  for (const row of selection) {
    for (let k = 0; k < d; k++) {
      const at = row * d + k;
      const half = 0.5 * Math.exp(-forward.logvar[at]);
      const value = y.data[at];
      h[k] += half;
      g[k] += Math.abs(forward.mu[at] * half);
      ySquare[k] += value * value;
      yAbs[k] += Math.abs(value);
      singles += Math.abs(2 * forward.mu[at] * value - value * value) * half;
    }
  }
  let pairs = 0;
  for (let k = 0; k < d; k++) pairs += h[k] * ySquare[k] + 2 * g[k] * yAbs[k];
  return 2 * (m + 2 * d) * Number.EPSILON * (pairs / (m * m) + singles / m);
}

test('the factorised form, its complements and its kept sums agree with the direct reduction on random selections', async () => {
  const { ClubSelectionReducer } = await import('../../../src/estimators/club/clubSelectionForm');
  const n = 120;
  const params = initClubParameters({ xDim: 16, yDim: 96, hiddenDim: 12 }, 7);
  const x = gaussian(n, 16, 21);
  const model = gaussian(n, 96, 22);
  const reference = gaussian(n, 96, 23);
  const forward = clubForwardPortable(params, x);
  const rng = createRng(8);
  const selections: Int32Array[] = [];
  // Permutation sides (a partition's two sides, the second the first's complement), bootstrap
  // resamples (repeats), and a side followed by a selection that is not its complement.
  for (let p = 0; p < 20; p++) {
    const order = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const size = 2 + rng.int(n - 3);
    selections.push(order.slice(0, size).sort(), order.slice(size).sort());
  }
  for (let b = 0; b < 20; b++) selections.push(Int32Array.from({ length: n }, () => rng.int(n)));
  const side = selections[0];
  const almost = selections[1].slice();
  almost[0] = side[0];
  selections.push(side, almost);
  // 120 rows of 96-d answers and 42 selections: column sums (K would cost 2·120²·96 operations).
  const reducer = new ClubSelectionReducer(forward);
  for (const y of [model, reference]) {
    // The second y reuses the kept sums of a: the same values as a fresh reducer's.
    const values = reducer.estimates(y, selections);
    assert.deepEqual(Array.from(values), Array.from(new ClubSelectionReducer(forward).estimates(y, selections)));
    let largest = 0;
    selections.forEach((selection, k) => {
      const direct = clubEstimateFromForward(forward, y, selection);
      const bound = roundingBound(forward, y, selection);
      assert.ok(Math.abs(values[k] - direct) <= bound, `selection ${k} of ${selection.length} rows: ${values[k]} vs ${direct}, bound ${bound}`);
      largest = Math.max(largest, Math.abs(values[k] - direct) / bound);
    });
    // The bound is not vacuous: the values differ from the direct ones, by rounding only.
    assert.ok(largest > 0 && largest < 1);
  }
  // A selection array changed in place is not mistaken for the one whose sums were kept.
  const changed = selections[40];
  const before = reducer.estimates(model, selections)[40];
  changed[0] = (changed[0] + 1) % n;
  const after = reducer.estimates(model, selections)[40];
  assert.notEqual(after, before);
  assert.ok(Math.abs(after - clubEstimateFromForward(forward, model, changed)) <= roundingBound(forward, model, changed));
});
