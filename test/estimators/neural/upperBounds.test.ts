/**
 * The upper bounds (club-mean, club-sample, l1out) on Gaussian tasks with known MI. For Gaussian
 * pairs (y = ρx + √(1−ρ²)ε per dimension) the conditional is linear, and each bound has a known
 * population value at the maximum-likelihood q:
 *   club-mean (unit variance, μ = ρx):      E[log q(y|x)] − E_x E_y[log q(y|x)] = d ρ²
 *   club-sample (q exact, one negative):    the CLUB value d ρ² / (1 − ρ²)  (gaussianClubValue)
 *   l1out (q exact):                        the MI, approached from above as the batch grows
 * Tolerances: 3 measured sampling standard deviations of an 800-pair estimate (Task.sd800;
 * club-sample's single negatives give 0.11 on both tasks) plus 0.05 for q's fit after 15 epochs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianClubValue } from '../../../src/samplers/gaussianPairs';
import { TASKS, fitOnTask, freshMean } from './neuralSupport';

const DIMS = [1, 5];
const RHOS = [0.75, 0.5];
const FIT_SLACK = 0.05;
const CLUB_SAMPLE_SD800 = 0.11;

test('club-mean lands on its population value d ρ², above the truth, on two Gaussian tasks', async () => {
  for (const [index, task] of TASKS.entries()) {
    const { fitted, heldOut } = await fitOnTask('club-mean', task);
    const population = DIMS[index] * RHOS[index] ** 2;
    assert.ok(Math.abs(heldOut - population) <= 3 * task.sd800 + FIT_SLACK, `${task.sampler.name}: ${heldOut} vs d ρ² = ${population}`);
    assert.ok(heldOut >= task.truth, `${task.sampler.name}: ${heldOut} below the truth ${task.truth}`);
    const fresh = await freshMean(fitted, task);
    assert.ok(Math.abs(fresh - population) <= 3 * task.sd800 + FIT_SLACK, `${task.sampler.name}: fresh ${fresh} vs ${population}`);
  }
});

test('club-sample lands on the CLUB value d ρ² / (1 − ρ²) on two Gaussian tasks', async () => {
  for (const [index, task] of TASKS.entries()) {
    const { heldOut } = await fitOnTask('club-sample', task);
    const population = gaussianClubValue(DIMS[index], RHOS[index]);
    assert.ok(Math.abs(heldOut - population) <= 3 * CLUB_SAMPLE_SD800 + FIT_SLACK, `${task.sampler.name}: ${heldOut} vs ${population}`);
    assert.ok(heldOut >= task.truth, `${task.sampler.name}: ${heldOut} below the truth ${task.truth}`);
  }
});

test('l1out is close to the truth and not far below it on two Gaussian tasks', async () => {
  for (const task of TASKS) {
    const { fitted, heldOut } = await fitOnTask('l1out', task);
    assert.ok(heldOut >= task.truth - 3 * task.sd800 - FIT_SLACK, `${task.sampler.name}: ${heldOut} far below the truth ${task.truth}`);
    assert.ok(heldOut <= task.truth + 3 * task.sd800 + FIT_SLACK, `${task.sampler.name}: ${heldOut} far above the truth ${task.truth}`);
    const fresh = await freshMean(fitted, task);
    assert.ok(fresh >= task.truth - 3 * task.sd800 - FIT_SLACK, `${task.sampler.name}: fresh ${fresh}`);
  }
});
