import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInputError } from '../../../src/errors';
import { createRng } from '../../../src/random';
import {
  createRegisteredEstimator,
  ESTIMATOR_ENTRIES,
  estimatorEntry,
  estimatorNames,
  heldOutSplit,
  ksgMutualInformation,
  resolveEstimatorSettings,
  toValidationJson,
  validateEstimators,
} from '../../../src/estimators';
import { findGroundTruthTask } from '../../../src/samplers/tasks';

test('the registry lists club, gaussian, ksg, ksg2 and the neural bounds with what they give, whether they train, and settings', () => {
  assert.deepEqual(estimatorNames(), ['club', 'gaussian', 'ksg', 'ksg2', 'infonce', 'nwj', 'mine', 'smile', 'club-mean', 'club-sample', 'l1out']);
  const byName = Object.fromEntries(ESTIMATOR_ENTRIES.map((entry) => [entry.name, entry]));
  assert.equal(byName.club.gives, 'upper bound');
  assert.equal(byName.club.trains, true);
  assert.equal(byName.gaussian.gives, 'lower bound');
  assert.equal(byName.ksg.trains, false);
  assert.equal(byName.ksg.settings.k.default, 3);
  assert.deepEqual([byName.infonce.gives, byName.infonce.trains, byName.l1out.gives, byName['club-sample'].gives], ['lower bound', true, 'upper bound', 'upper bound']);
  for (const entry of ESTIMATOR_ENTRIES) {
    assert.ok(entry.summary.length > 10);
    // The estimator an entry creates names itself as the entry does and records its settings.
    const estimator = entry.create(resolveEstimatorSettings(entry));
    assert.equal(estimator.description.name, entry.name);
    for (const [name, value] of Object.entries(resolveEstimatorSettings(entry))) {
      // Direct estimators and CLUB record `settings`; the neural ones their training settings.
      const { settings, training } = estimator.description as { settings?: Record<string, unknown>; training?: { settings: Record<string, unknown> } };
      const recorded = (settings ?? training?.settings ?? {})[name === 'held-out' ? 'held_out_fraction' : name];
      assert.equal(recorded, value, `${entry.name}.${name}`);
    }
  }
});

test('unknown names and bad settings are InputErrors naming the field', () => {
  const rejects = (run: () => unknown, pattern: RegExp) => assert.throws(run, (error: Error) => isInputError(error) && pattern.test(error.message), String(pattern));
  rejects(() => estimatorEntry('ksq'), /^estimator: unknown estimator 'ksq' \(did you mean 'ksg'\?\) \(estimators: club, gaussian, ksg, ksg2, infonce, nwj, mine, smile, club-mean, club-sample, l1out\)/);
  rejects(() => estimatorEntry('mime', 'estimators'), /^estimators: unknown estimator 'mime' \(did you mean 'mine'\?\)/);
  rejects(() => createRegisteredEstimator('gaussian', { k: 3 }), /^k: gaussian has no setting 'k' \(it has no settings\)/);
  rejects(() => createRegisteredEstimator('ksg', { epochs: 3 }), /^epochs: ksg has no setting 'epochs' \(its settings: k\)/);
  rejects(() => createRegisteredEstimator('ksg', { k: 0 }), /^k: expected a whole number ≥ 1 for ksg, got 0/);
  rejects(() => createRegisteredEstimator('club', { 'held-out': 1 }), /^held-out: expected a number ≥ 0.05 and ≤ 0.95/);
  assert.equal(createRegisteredEstimator('ksg', { k: 5, unused: undefined } as Record<string, number | undefined>).settings.k, 5);
});

test('the held-out split is a seeded partition of the rows', () => {
  const { train, heldOut } = heldOutSplit(100, 0.3, 4);
  assert.equal(heldOut.length, 30);
  assert.deepEqual([...train, ...heldOut].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(heldOutSplit(100, 0.3, 4), { train, heldOut });
  assert.notDeepEqual(heldOutSplit(100, 0.3, 5).heldOut, heldOut);
});

test('a registered ksg equals the library function with the same settings', async () => {
  const { x, y } = findGroundTruthTask('1v1-normal-0.75').sampler.sample(500, createRng(3));
  assert.equal(await createRegisteredEstimator('ksg', { k: 4 }).estimator.estimate(x, y), ksgMutualInformation(x, y, 4, 1));
});

test('validateEstimators: per (estimator, task) truth, mean, bias, sd, RMSE from the per-seed estimates; JSON form', async () => {
  const result = await validateEstimators({ tasks: ['1v1-normal-0.75', 'student-identity-2-2-3'], estimators: ['gaussian', 'ksg'], n: 800, seeds: 3 });
  assert.equal(result.rows.length, 4);
  for (const row of result.rows) {
    const { sampler } = findGroundTruthTask(row.task);
    assert.equal(row.trueMi, sampler.mutualInformation());
    assert.equal(row.estimates.length, 3);
    // The estimates are those of the estimator on the seeded samples, recomputed here.
    for (let seed = 0; seed < 3; seed++) {
      const { x, y } = sampler.sample(800, createRng(seed));
      const again = await createRegisteredEstimator(row.estimator).estimator.estimate(x, y);
      assert.equal(row.estimates[seed], again);
    }
    const mean = row.estimates.reduce((a, b) => a + b, 0) / 3;
    assert.ok(Math.abs(row.meanEstimate - mean) < 1e-15);
    assert.ok(Math.abs(row.bias - (mean - row.trueMi)) < 1e-15);
    assert.ok(Math.abs(row.rmse ** 2 - (row.bias ** 2 + (row.sd ** 2 * 2) / 3)) < 1e-12, 'RMSE² = bias² + (K−1)/K · sd²');
    assert.ok(row.seconds >= 0);
  }
  // The Gaussian estimator misses the Student-t pair's MI (its dispersion is the identity): its
  // typical estimate is ≈ 0, though one extreme draw from ν = 3 tails can dominate a sample
  // covariance (seed 2 here), so two of the three seeds are checked.
  const gaussianOnStudent = result.rows.find((row) => row.estimator === 'gaussian' && row.task === 'student-identity-2-2-3')!;
  assert.ok(gaussianOnStudent.estimates.filter((value) => value < 0.02).length >= 2, String(gaussianOnStudent.estimates));
  const json = toValidationJson(result) as { results: Record<string, unknown>[]; estimators: { name: string }[] };
  assert.deepEqual(Object.keys(json.results[0]), ['estimator', 'gives', 'task', 'x_dim', 'y_dim', 'n', 'true_mi', 'mean_estimate', 'bias', 'sd', 'rmse', 'seconds', 'estimates', 'failures']);
  assert.deepEqual(json.estimators.map((entry) => entry.name), ['gaussian', 'ksg']);
  await assert.rejects(validateEstimators({ tasks: ['1v1-normal'] }), /InputError: tasks: unknown task '1v1-normal'/);
  await assert.rejects(validateEstimators({ estimators: ['ksg3'] }), /InputError: estimators: unknown estimator 'ksg3'/);
  await assert.rejects(validateEstimators({ n: 1 }), /InputError: n: expected a whole number ≥ 2/);
});


test('pointwise values are declared in the entry type: a pointwise entry fits into a PointwiseEstimator', async () => {
  const { pointwiseEstimatorNames } = await import('../../../src/estimators');
  type Entry = import('../../../src/estimators').EstimatorEntry;
  type PointwiseEntry = import('../../../src/estimators').PointwiseTrainedEstimatorEntry;
  assert.deepEqual(pointwiseEstimatorNames(), ['club']);
  const gaussian = estimatorEntry('gaussian');
  // @ts-expect-error an entry whose estimator has no per-row terms cannot claim pointwise values
  const claimed: PointwiseEntry = { ...gaussian, trains: true, pointwise: true, create: () => ({ ...gaussian.create({}), fit: async () => gaussian.create({}) }) };
  assert.equal(claimed.pointwise, true);
  const entry: Entry = estimatorEntry('club');
  assert.equal(entry.pointwise, true);
  if (!entry.pointwise) return;
  // Narrowed by the discriminant alone: no probing, no instanceof; the fitted estimator's type has rowTermsMany.
  const rng = createRng(3);
  const x = { rows: 40, cols: 3, data: Float32Array.from({ length: 120 }, () => rng.normal()) };
  const y = { rows: 40, cols: 3, data: Float32Array.from({ length: 120 }, (_, i) => x.data[i] + 0.5 * rng.normal()) };
  const fitted = await entry.create(resolveEstimatorSettings(entry, { epochs: 2 })).fit({ x, y });
  const [terms] = await fitted.rowTermsMany(x, [y]);
  const [estimate] = await fitted.estimateMany(x, [y]);
  assert.equal(terms.length, 40);
  assert.ok(Math.abs(terms.reduce((a, b) => a + b, 0) / 40 - estimate) < 1e-6, 'the terms average to the estimate');
  for (const other of ESTIMATOR_ENTRIES) if (other.name !== 'club') assert.equal(other.pointwise, false, other.name);
});
