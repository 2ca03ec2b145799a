/**
 * The named ground-truth tasks, in the spirit of cbg-ethz/bmi's benchmark list: each a sampler
 * whose MI is known from a formula, with the sample size and seeds it is run at by default.
 * Tasks are data about samplers (no estimator appears here), so they live at the samplers'
 * level and anything above (the estimators' validation, the CLI) can read them.
 */
import { InputError } from '../errors';
import { didYouMean } from '../editDistance';
import type { Sampler } from '../interface';
import { denseCorrelation, multivariateNormalSampler, sparseCorrelation } from './multivariateNormal';
import { additiveUniformSampler, bimodalSampler } from './oneDimensional';
import { studentTSampler } from './studentT';
import { asinh, halfCube, normalCdfTransform, spiral, transformedSampler, wiggly, type RowTransform } from './transforms';

/** One ground-truth task: a sampler with known MI, and how many pairs and which seeds it is run with. */
export interface GroundTruthTask {
  /** The sampler's name, e.g. `multinormal-dense-5-5-0.5`. */
  readonly name: string;
  readonly sampler: Sampler;
  /** Default sample size (pairs per seed). */
  readonly n: number;
  /** Default seeds, one independent sample each. */
  readonly seeds: readonly number[];
  /** What it is, in words. */
  readonly summary: string;
}

const DEFAULT_N = 5000;
const DEFAULT_SEEDS: readonly number[] = Object.freeze([0, 1, 2, 3, 4]);

function binormal(correlation: number): Sampler {
  return multivariateNormalSampler({ name: `1v1-normal-${correlation}`, xDim: 1, yDim: 1, covariance: [1, correlation, correlation, 1] });
}

function dense(xDim: number, yDim: number, offDiagonal: number): Sampler {
  return multivariateNormalSampler({ name: `multinormal-dense-${xDim}-${yDim}-${offDiagonal}`, xDim, yDim, covariance: denseCorrelation(xDim, yDim, offDiagonal) });
}

function sparse(xDim: number, yDim: number, interacting: number, signal: number, noise: number): Sampler {
  return multivariateNormalSampler({
    name: `multinormal-sparse-${xDim}-${yDim}-${interacting}-${signal}-${noise}`,
    xDim,
    yDim,
    covariance: sparseCorrelation(xDim, yDim, interacting, signal, noise),
  });
}

function studentIdentity(xDim: number, yDim: number, degreesOfFreedom: number): Sampler {
  const size = xDim + yDim;
  const identity = new Float64Array(size * size);
  for (let i = 0; i < size; i++) identity[i * size + i] = 1;
  return studentTSampler({ name: `student-identity-${xDim}-${yDim}-${degreesOfFreedom}`, xDim, yDim, dispersion: identity, degreesOfFreedom });
}

function both(base: Sampler, transform: RowTransform): Sampler {
  return transformedSampler(base, { x: transform, y: transform });
}

function task(sampler: Sampler, summary: string): GroundTruthTask {
  return Object.freeze({ name: sampler.name, sampler, n: DEFAULT_N, seeds: DEFAULT_SEEDS, summary });
}

/** Every named task, in a fixed order (low dimensions first, then the transformed ones). */
export const GROUND_TRUTH_TASKS: readonly GroundTruthTask[] = Object.freeze([
  task(binormal(0.75), 'bivariate normal, correlation 0.75'),
  task(dense(2, 2, 0.5), 'normal 2 × 2, every correlation 0.5'),
  task(dense(5, 5, 0.5), 'normal 5 × 5, every correlation 0.5'),
  task(sparse(3, 3, 2, 0.8, 0.1), 'normal 3 × 3, two X–Y pairs correlated 0.8, 0.1 within each side'),
  task(sparse(5, 5, 2, 0.8, 0.1), 'normal 5 × 5, two X–Y pairs correlated 0.8, 0.1 within each side'),
  task(studentIdentity(1, 1, 1), 'Student-t 1 × 1, identity dispersion, ν = 1 (all MI from the shared scale)'),
  task(studentIdentity(2, 2, 3), 'Student-t 2 × 2, identity dispersion, ν = 3'),
  task(studentIdentity(5, 5, 3), 'Student-t 5 × 5, identity dispersion, ν = 3'),
  task(additiveUniformSampler(0.1), 'X ~ U(0, 1), Y = X + U(−0.1, 0.1)'),
  task(additiveUniformSampler(0.75), 'X ~ U(0, 1), Y = X + U(−0.75, 0.75)'),
  task(bimodalSampler(0.75), 'binormal (ρ = 0.75) with both marginals mapped to a two-mode mixture'),
  task(both(binormal(0.75), halfCube), 'half-cube of both sides of the bivariate normal'),
  task(both(sparse(3, 3, 2, 0.8, 0.1), halfCube), 'half-cube of both sides of the sparse 3 × 3 normal'),
  task(both(studentIdentity(1, 1, 1), asinh), 'asinh of both sides of the 1 × 1 Student-t'),
  task(both(studentIdentity(2, 2, 3), asinh), 'asinh of both sides of the 2 × 2 Student-t'),
  task(both(binormal(0.75), normalCdfTransform), 'normal CDF of both sides of the bivariate normal (uniform marginals)'),
  task(both(dense(2, 2, 0.5), normalCdfTransform), 'normal CDF of both sides of the dense 2 × 2 normal'),
  task(both(dense(3, 3, 0.5), spiral()), 'spiral of both sides of the dense 3 × 3 normal'),
  task(both(binormal(0.75), wiggly), 'wiggly map of both sides of the bivariate normal'),
  task(both(dense(2, 2, 0.5), wiggly), 'wiggly map of both sides of the dense 2 × 2 normal'),
]);

/** The names of every task, in list order. */
export function groundTruthTaskNames(): string[] {
  return GROUND_TRUTH_TASKS.map((entry) => entry.name);
}

/** The task called `name`; an unknown name is an InputError naming `field`, with a typo suggestion and the list. */
export function findGroundTruthTask(name: string, field = 'tasks'): GroundTruthTask {
  const found = GROUND_TRUTH_TASKS.find((entry) => entry.name === name);
  if (found) return found;
  const names = groundTruthTaskNames();
  const hint = didYouMean(name, names);
  throw new InputError(`unknown task '${name}'${hint || ` (tasks: ${names.join(', ')})`}`, { field });
}
