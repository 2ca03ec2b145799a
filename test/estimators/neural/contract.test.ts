/**
 * The neural estimators under the estimator contract: `estimate` trains on the pairs it is
 * given and reads the held-out bound, `fit` trains once and evaluates afterwards, runs are
 * reproducible from the seed, the training curve is recorded, and bad input is an InputError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Matrix, TrainableEstimator } from '../../../src/interface';
import { isInputError } from '../../../src/errors';
import { createRng } from '../../../src/random';
import { gaussianPairSampler } from '../../../src/samplers/gaussianPairs';
import { NEURAL_DEFAULTS, NEURAL_ESTIMATOR_NAMES, NeuralEstimator, createNeuralEstimator, neuralSettings } from '../../../src/estimators/neural/neuralEstimator';

const SMALL = { epochs: 3, batchSize: 128, hiddenDim: 16, embeddingDim: 8, seed: 11 };
const task = gaussianPairSampler(2, 0.6);
const pairs = task.sample(600, createRng(5));

test('defaults are the documented ones and every setting is checked', () => {
  assert.equal(NEURAL_DEFAULTS.critic, 'separable');
  assert.equal(NEURAL_DEFAULTS.hiddenLayers, 2);
  assert.ok(NEURAL_DEFAULTS.hiddenDim >= 64 && NEURAL_DEFAULTS.hiddenDim <= 128);
  assert.ok(NEURAL_DEFAULTS.batchSize >= 512 && NEURAL_DEFAULTS.batchSize <= 2048);
  assert.equal(NEURAL_DEFAULTS.validationFraction, 0.2);
  assert.equal(NEURAL_DEFAULTS.tau, 5);
  assert.deepEqual(neuralSettings({ tau: 2, threads: undefined }).tau, 2);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ epochs: 0 }, /^epochs: expected a positive integer/],
    [{ batchSize: 1 }, /^batchSize: expected at least 2/],
    [{ learningRate: -1 }, /^learningRate: /],
    [{ validationFraction: 1 }, /^validationFraction: /],
    [{ tau: 0 }, /^tau: /],
    [{ critic: 'bilinear' }, /^critic: expected 'separable' or 'concatenated'/],
    [{ validationFraction: 0 }, /^readOn: /],
  ];
  for (const [settings, message] of bad) assert.throws(() => createNeuralEstimator('nwj', settings), (error: unknown) => isInputError(error) && message.test((error as Error).message));
  assert.throws(() => createNeuralEstimator('mime'), (error: unknown) => isInputError(error) && /^estimator: unknown neural estimator 'mime'/.test((error as Error).message));
});

test('estimate(x, y) is the held-out bound of training on those pairs, reproducible from the seed', async () => {
  const first = createNeuralEstimator('infonce', SMALL);
  const value = await first.estimate(pairs.x, pairs.y);
  const again = await createNeuralEstimator('infonce', SMALL).estimate(pairs.x, pairs.y);
  assert.equal(again, value);
  const fitted = await createNeuralEstimator('infonce', SMALL).fit(pairs);
  assert.equal(fitted.lastTraining?.heldOutBound, value);
  const otherSeed = await createNeuralEstimator('infonce', { ...SMALL, seed: 12 }).estimate(pairs.x, pairs.y);
  assert.notEqual(otherSeed, value);
  const onAll = await createNeuralEstimator('infonce', { ...SMALL, readOn: 'all' }).estimate(pairs.x, pairs.y);
  assert.notEqual(onAll, value);
  assert.ok(Number.isFinite(onAll));
});

test('the training curve, best epoch and early stopping are recorded in the description', async () => {
  const estimator = createNeuralEstimator('nwj', { ...SMALL, epochs: 40, patience: 2, learningRate: 3e-3 });
  await estimator.estimate(pairs.x, pairs.y);
  const run = estimator.lastTraining;
  assert.ok(run);
  assert.equal(run.trainRows + run.heldOutRows, 600);
  assert.equal(run.heldOutRows, 120);
  const heldOutLosses = run.curve.map((e) => e.heldOutLoss as number);
  assert.equal(run.bestEpoch, heldOutLosses.indexOf(Math.min(...heldOutLosses)) + 1);
  assert.equal(run.heldOutBound, run.curve[run.bestEpoch - 1].heldOutBound);
  if (run.stoppedEarly) assert.equal(run.curve.length - run.bestEpoch, 2);
  else assert.equal(run.curve.length, 40);
  assert.ok(run.samplesPerSecond > 0);
  const description = estimator.description;
  assert.equal(description.name, 'nwj');
  assert.equal(description.bound, 'lower');
  const recorded = description.run as { best_epoch: number; curve: { epoch: number; train_loss: number; held_out_loss: number }[] };
  assert.equal(recorded.best_epoch, run.bestEpoch);
  assert.equal(recorded.curve.length, run.curve.length);
  assert.equal(recorded.curve[0].held_out_loss, run.curve[0].heldOutLoss);
  const settings = (description.training as { settings: Record<string, unknown> }).settings;
  assert.equal(settings.patience, 2);
  assert.equal(settings.tau, undefined, 'NWJ has no clip: the setting is not recorded');
});

test('a fitted estimator only evaluates: repeatable, estimateMany and condition agree with estimate', async () => {
  for (const name of NEURAL_ESTIMATOR_NAMES) {
    const unfitted: TrainableEstimator = createNeuralEstimator(name, SMALL);
    const fitted = (await unfitted.fit(pairs)) as NeuralEstimator;
    assert.ok(fitted.isFitted);
    assert.equal(fitted.description.fitted, true);
    const other = task.sample(300, createRng(9));
    const value = await fitted.estimate(other.x, other.y);
    assert.ok(Number.isFinite(value), `${name}: ${value}`);
    assert.equal(await fitted.estimate(other.x, other.y), value, `${name}: evaluation is deterministic`);
    assert.deepEqual(await fitted.estimateMany(other.x, [other.y, pairs.y.rows === other.y.rows ? pairs.y : other.y]), [value, value]);
    const kept = await fitted.condition(other.x);
    assert.equal(await kept.estimate(other.y), value);
    const rows = Int32Array.from({ length: 150 }, (_, i) => 2 * i);
    const selected = (m: Matrix): Matrix => ({ rows: 150, cols: m.cols, data: Float32Array.from({ length: 150 * m.cols }, (_, k) => m.data[rows[Math.floor(k / m.cols)] * m.cols + (k % m.cols)]) });
    assert.equal(await kept.estimate(other.y, rows), await fitted.estimate(selected(other.x), selected(other.y)));
    const refitted = await fitted.fit(pairs);
    assert.equal(refitted.lastTraining?.heldOutBound, fitted.lastTraining?.heldOutBound, `${name}: fit again with the same settings is the same run`);
  }
});

test('bad input is a one-line InputError naming x or y', async () => {
  const estimator = createNeuralEstimator('mine', SMALL);
  const matrix = (rows: number, cols: number, fill = 0.5): Matrix => ({ rows, cols, data: new Float32Array(rows * cols).fill(fill) });
  const expectError = async (promise: Promise<unknown>, message: RegExp) =>
    assert.rejects(promise, (error: unknown) => isInputError(error) && message.test((error as Error).message) && !(error as Error).message.includes('\n'));
  await expectError(estimator.estimate(matrix(10, 2), matrix(9, 2)), /^y: x has 10 rows and y has 9/);
  await expectError(estimator.estimate(matrix(1, 2), matrix(1, 2)), /^x: need at least 2 paired rows, got 1/);
  const withNaN = matrix(20, 2);
  withNaN.data[7] = Number.NaN;
  await expectError(estimator.estimate(matrix(20, 2), withNaN), /^y: non-finite value NaN at row 3, column 1/);
  await expectError(estimator.estimate(matrix(6, 2), matrix(6, 2)), /^x: 6 pairs are too few for a 0.2 held-out split/);
  const fitted = await estimator.fit(pairs);
  await expectError(fitted.estimate(matrix(10, 3), matrix(10, 2)), /^x: x has 3 columns but the estimator was fitted on 2/);
});

test('diagnose says whether the kept network was still improving at its last epoch', async () => {
  const estimator = createNeuralEstimator('infonce', SMALL);
  assert.deepEqual(await estimator.diagnose(), { values: {}, warnings: [] }, 'nothing before training');
  await estimator.estimate(pairs.x, pairs.y);
  const training = estimator.lastTraining!;
  const diagnosis = await estimator.diagnose();
  const stillImproving = !training.stoppedEarly && training.bestEpoch === training.curve.length;
  assert.deepEqual(diagnosis.values, { best_epoch: training.bestEpoch, epochs_run: training.curve.length, best_epoch_is_last: stillImproving ? 1 : 0 });
  // Three epochs of a fresh network on an easy task: the held-out objective is still improving.
  assert.equal(stillImproving, true);
  assert.match(diagnosis.warnings[0], /^infonce's held-out objective was still improving at its last epoch \(3\)/);
  // Trained long enough to stop early, it has nothing to say.
  const patient = createNeuralEstimator('infonce', { ...SMALL, epochs: 200, patience: 2 });
  await patient.estimate(pairs.x, pairs.y);
  if (patient.lastTraining!.stoppedEarly) assert.deepEqual((await patient.diagnose()).warnings, []);
  else assert.equal(patient.lastTraining!.bestEpoch === 200, (await patient.diagnose()).warnings.length === 1);
});
