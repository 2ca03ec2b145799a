import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clubForward, clubLoss, clubLossAndGradient, createClubOnnxTrainer } from '../../../src/estimators/club/onnxGraphs';
import { InputError } from '../../../src/errors';
import type { Matrix } from '../../../src/interface';
import { CLUB_TENSORS, type ClubParameters, type ClubTensorField } from '../../../src/estimators/club/clubParameters';
import { createRng } from '../../../src/random';
import { adamStep64, clubForward64, clubLoss64, gaussianMatrix, randomClubParameters, type AdamState } from './clubReference';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/*
 * Forward tolerance 1e-4: ORT computes in float32 (unit roundoff 6e-8). Each output is a dot
 * product of ≤ 768 terms of O(1) inputs and O(1/√fan_in) weights, so accumulated rounding is
 * ~1e-6 and tanh only contracts it; 1e-4 leaves two orders of margin while any real mistake (a
 * transposed weight, a missing bias, the wrong head) moves outputs by O(0.1).
 */
test('clubForward matches a float64 JS forward (max abs diff ≤ 1e-4)', async () => {
  for (const [shape, rows, seed] of [
    [{ xDim: 48, yDim: 24, hiddenDim: 32 }, 37, 1],
    [{ xDim: 768, yDim: 768, hiddenDim: 250 }, 5, 2],
    [{ xDim: 3, yDim: 2, hiddenDim: 4 }, 1, 3],
  ] as const) {
    // scale 3 pushes some hidden units into tanh saturation, so the nonlinearity is exercised.
    const params = randomClubParameters(shape, seed, 3);
    const x = gaussianMatrix(rows, shape.xDim, seed + 100);
    const expected = clubForward64(params, x);
    const actual = await clubForward(params, x);
    assert.equal(actual.mu.length, rows * shape.yDim);
    assert.ok(maxAbsDiff(actual.mu, expected.mu) <= 1e-4, `mu differs by ${maxAbsDiff(actual.mu, expected.mu)}`);
    assert.ok(maxAbsDiff(actual.logvar, expected.logvar) <= 1e-4, `logvar differs by ${maxAbsDiff(actual.logvar, expected.logvar)}`);
    // The cached session gives the same answer for float64 input of the same values.
    const again = await clubForward(params, { rows, cols: shape.xDim, data: Float64Array.from(x.data) });
    assert.deepEqual(again.mu, actual.mu);
  }
});

test('clubLoss matches the float64 loss', async () => {
  const params = randomClubParameters({ xDim: 20, yDim: 12, hiddenDim: 16 }, 4, 2);
  const x = gaussianMatrix(50, 20, 5);
  const y = gaussianMatrix(50, 12, 6);
  const expected = clubLoss64(params, x, y);
  const actual = await clubLoss(params, x, y);
  assert.ok(Math.abs(actual - expected) <= 1e-5 * Math.abs(expected), `${actual} vs ${expected}`);
});

/*
 * Gradient check against central differences of clubLoss (ORT, float32) on a tiny network.
 * h = 1e-2: clubLoss is accurate to ~1e-6 (float32 per-row sums of a loss of O(5)), so rounding
 * contributes ~1e-6 / (2h) = 5e-5 to the difference quotient, and truncation h²/6·f''' ~ 1e-4.
 * A tolerance of 5e-4 + 5e-3·|g| covers both (observed: ≤ 1/5 of it), and is far below the O(|g|)
 * error of any wrong term.
 */
test('training-graph gradient matches central finite differences of clubLoss', async () => {
  const shape = { xDim: 5, yDim: 4, hiddenDim: 3 };
  const params = randomClubParameters(shape, 7, 2);
  const x = gaussianMatrix(6, 5, 8);
  const y = gaussianMatrix(6, 4, 9);
  const { loss, gradient } = await clubLossAndGradient(params, x, y);
  assert.ok(Math.abs(loss - clubLoss64(params, x, y)) <= 1e-5 * Math.abs(loss));
  const h = 1e-2;
  let checked = 0;
  let largest = 0;
  for (const t of CLUB_TENSORS) {
    for (let i = 0; i < params[t.field].length; i++) {
      const perturbed = (delta: number): ClubParameters => {
        const copy = params[t.field].slice();
        copy[i] += delta;
        return { ...params, [t.field]: copy };
      };
      const plus = await clubLoss(perturbed(h), x, y);
      const minus = await clubLoss(perturbed(-h), x, y);
      const numeric = (plus - minus) / (2 * h);
      const analytic = gradient[t.field][i];
      assert.ok(
        Math.abs(numeric - analytic) <= 5e-4 + 5e-3 * Math.abs(analytic),
        `${t.key}[${i}]: analytic ${analytic} vs numeric ${numeric}`,
      );
      largest = Math.max(largest, Math.abs(analytic));
      checked++;
    }
  }
  assert.equal(checked, 2 * (5 * 3 + 3 + 4 * 3 + 4));
  assert.ok(largest > 0.1, 'gradients are not all ~0 (the check would be vacuous)');
});

function zeroAdamState(params: ClubParameters): Record<ClubTensorField, AdamState> {
  const state = {} as Record<ClubTensorField, AdamState>;
  for (const t of CLUB_TENSORS) state[t.field] = { m: new Float64Array(params[t.field].length), v: new Float64Array(params[t.field].length) };
  return state;
}

/*
 * Two trainer steps against Adam written out in float64 JS, fed the graph's own gradients (which
 * the finite-difference test validates). Step 2 exercises nonzero moments and the t-dependent
 * bias corrections. Tolerance 5e-7 for lr = 0.01: the float32 graph's relative rounding in
 * m/(√v + eps) is ~1e-6, i.e. ~1e-8 on the parameter, plus float32 parameter rounding (~1e-7 for
 * |p| ≤ 2; observed differences ≤ 6e-8); wrong bias correction or betas would move parameters by
 * O(lr) = 1e-2.
 */
test('trainer steps equal hand-computed PyTorch-default Adam steps', async () => {
  const shape = { xDim: 5, yDim: 4, hiddenDim: 3 };
  const lr = 0.01;
  const p0 = randomClubParameters(shape, 11, 2);
  const trainer = createClubOnnxTrainer(p0, { learningRate: lr, threads: 1 });
  const state = zeroAdamState(p0);
  let expected: ClubParameters = p0;
  for (let t = 1; t <= 2; t++) {
    const x = gaussianMatrix(8, 5, 20 + t);
    const y = gaussianMatrix(8, 4, 30 + t);
    const current = trainer.parameters();
    const { loss, gradient } = await clubLossAndGradient(current, x, y);
    const stepLoss = await trainer.step(x.data as Float32Array, y.data as Float32Array, 8);
    assert.ok(Math.abs(stepLoss - loss) <= 1e-5 * Math.abs(loss), `step loss ${stepLoss} vs ${loss}`);
    const next = { ...shape } as Record<string, unknown>;
    for (const tensor of CLUB_TENSORS) {
      next[tensor.field] = adamStep64(current[tensor.field], gradient[tensor.field], state[tensor.field], t, lr);
    }
    expected = next as unknown as ClubParameters;
    const actual = trainer.parameters();
    for (const tensor of CLUB_TENSORS) {
      const diff = maxAbsDiff(actual[tensor.field], expected[tensor.field]);
      assert.ok(diff <= 5e-7, `step ${t}, ${tensor.key}: differs by ${diff}`);
      // Adam moves every coordinate by about lr on the first steps: the update really happened.
      assert.ok(maxAbsDiff(actual[tensor.field], current[tensor.field]) > lr / 2);
    }
    assert.equal(trainer.stepCount, t);
  }
  trainer.dispose();
});

test('trainer takes batches smaller than the arrays, and never touches the caller’s arrays', async () => {
  const shape = { xDim: 5, yDim: 4, hiddenDim: 3 };
  const p0 = randomClubParameters(shape, 12);
  const before = p0.muW1.slice();
  const big = createClubOnnxTrainer(p0, { learningRate: 1e-2, threads: 1 });
  const exact = createClubOnnxTrainer(p0, { learningRate: 1e-2, threads: 1 });
  const x = gaussianMatrix(10, 5, 40).data as Float32Array;
  const y = gaussianMatrix(10, 4, 41).data as Float32Array;
  for (const rows of [10, 3, 10, 1]) {
    const lossBig = await big.step(x, y, rows);
    const lossExact = await exact.step(x.slice(0, rows * 5), y.slice(0, rows * 4), rows);
    assert.equal(lossBig, lossExact);
  }
  assert.deepEqual(big.parameters(), exact.parameters());
  assert.deepEqual(p0.muW1, before);
  // parameters() hands out copies.
  const copy = big.parameters();
  copy.muW1[0] += 1;
  assert.notEqual(big.parameters().muW1[0], copy.muW1[0]);
  await assert.rejects(big.step(x, y, 11), InputError);
  await assert.rejects(big.step(x, y, 0), InputError);
  const first = big.step(x, y, 2);
  await assert.rejects(big.step(x, y, 2), /already running/);
  await first;
  big.dispose();
  exact.dispose();
  await assert.rejects(big.step(x, y, 2), /disposed/);
});

/** y = A x + 0.3 ε: a CLUB network can learn μ ≈ A x and a small variance. */
function correlatedGaussian(rows: number, seed: number): { x: Matrix; y: Matrix } {
  const rng = createRng(seed);
  const a = [
    [1, 0.5, 0, 0, 0],
    [0, 1, -0.5, 0, 0],
    [0, 0, 0.8, 0.3, 0],
    [0.2, 0, 0, 0, 1],
  ];
  const x = new Float32Array(rows * 5);
  const y = new Float32Array(rows * 4);
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < 5; k++) x[i * 5 + k] = rng.normal();
    for (let d = 0; d < 4; d++) {
      let sum = 0.3 * rng.normal();
      for (let k = 0; k < 5; k++) sum += a[d][k] * x[i * 5 + k];
      y[i * 4 + d] = sum;
    }
  }
  return { x: { rows, cols: 5, data: x }, y: { rows, cols: 4, data: y } };
}

test('200 Adam steps on a correlated Gaussian problem reduce the held-out loss', async () => {
  const shape = { xDim: 5, yDim: 4, hiddenDim: 16 };
  const p0 = randomClubParameters(shape, 13);
  const train = correlatedGaussian(512, 50);
  const heldOut = correlatedGaussian(256, 51);
  const trainer = createClubOnnxTrainer(p0, { learningRate: 5e-3, threads: 1 });
  const initial = await clubLoss(p0, heldOut.x, heldOut.y);
  const batch = 64;
  const xs = train.x.data as Float32Array;
  const ys = train.y.data as Float32Array;
  for (let step = 0; step < 200; step++) {
    const start = (step * batch) % train.x.rows;
    await trainer.step(xs.subarray(start * 5, (start + batch) * 5), ys.subarray(start * 4, (start + batch) * 4), batch);
  }
  const final = await clubLoss(trainer.parameters(), heldOut.x, heldOut.y);
  // Initially μ ≈ 0 and logvar ≈ 0, so L ≈ Σ_d Var(y_d) ≈ 4.6; the residual variance is 0.09.
  assert.ok(initial > 3, `initial loss ${initial}`);
  assert.ok(final < initial - 3, `loss went from ${initial} to ${final}`);
  trainer.dispose();
});

test('shape mismatches are InputErrors', async () => {
  const params = randomClubParameters({ xDim: 5, yDim: 4, hiddenDim: 3 }, 14);
  await assert.rejects(clubForward(params, gaussianMatrix(3, 6, 1)), InputError);
  await assert.rejects(clubLoss(params, gaussianMatrix(3, 5, 1), gaussianMatrix(2, 4, 2)), InputError);
  await assert.rejects(clubForward({ ...params, muB2: new Float32Array(3) }, gaussianMatrix(3, 5, 1)), InputError);
  assert.throws(() => createClubOnnxTrainer(params, { learningRate: 0 }), InputError);
  assert.deepEqual(await clubForward(params, { rows: 0, cols: 5, data: new Float32Array(0) }), { mu: new Float32Array(0), logvar: new Float32Array(0) });
});
