/**
 * Shared set-up of the neural estimators' tests: the two Gaussian tasks with known MI, the
 * training settings the tests use, and the spread of an estimate over fresh samples.
 */
import type { Sampler } from '../../../src/interface';
import { gaussianPairSampler } from '../../../src/samplers/gaussianPairs';
import { createRng } from '../../../src/random';
import { NeuralEstimator, type NeuralEstimatorName, type NeuralEstimatorSettings } from '../../../src/estimators/neural/neuralEstimator';

/**
 * A task and its measured sampling spread: `sd800` is the standard deviation of a fitted
 * estimator's value on 800 fresh pairs (the held-out size here), measured over 10 fresh samples
 * for every estimator (1-d: 0.021–0.027, 5-d: 0.047–0.058; club-sample 0.11 on both).
 */
export interface Task {
  readonly sampler: Sampler;
  readonly truth: number;
  readonly sd800: number;
}

export const TASKS: readonly Task[] = [
  { sampler: gaussianPairSampler(1, 0.75), truth: gaussianPairSampler(1, 0.75).mutualInformation(), sd800: 0.027 },
  { sampler: gaussianPairSampler(5, 0.5), truth: gaussianPairSampler(5, 0.5).mutualInformation(), sd800: 0.058 },
];

/** 4000 pairs (3200 trained on, 800 held out), at most 15 epochs, patience 4: a few seconds per run. */
export const TRAINING_ROWS = 4000;
export const TEST_SETTINGS: Partial<NeuralEstimatorSettings> = { epochs: 15, patience: 4, learningRate: 1e-3, seed: 7 };

/** Fits `name` on one seeded sample of the task; returns the fitted estimator and its held-out estimate. */
export async function fitOnTask(name: NeuralEstimatorName, task: Task, settings: Partial<NeuralEstimatorSettings> = {}): Promise<{ fitted: NeuralEstimator; heldOut: number }> {
  const pairs = task.sampler.sample(TRAINING_ROWS, createRng(1));
  const fitted = await NeuralEstimator.create(name, { ...TEST_SETTINGS, ...settings }).fit(pairs);
  const heldOut = fitted.lastTraining?.heldOutBound;
  if (heldOut === undefined) throw new Error('fit recorded no held-out estimate');
  return { fitted, heldOut };
}

/** The fitted estimator's mean value over `count` fresh samples of `rows` pairs. */
export async function freshMean(fitted: NeuralEstimator, task: Task, count = 3, rows = 1000): Promise<number> {
  let total = 0;
  for (let k = 0; k < count; k++) {
    const sample = task.sampler.sample(rows, createRng(100 + k));
    total += await fitted.estimate(sample.x, sample.y);
  }
  return total / count;
}
