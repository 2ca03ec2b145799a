/**
 * Checking estimators against the truth: every registered estimator named, on every ground-truth
 * task named, on independent samples (one per seed, shared by all estimators so they are
 * compared on the same pairs), summarised per (estimator, task) by the true MI, the mean
 * estimate, its bias, standard deviation and RMSE, and the seconds an estimate took. It lives
 * beside the registry because it needs only the registry and the samplers' task list; the HTML
 * page that draws it is in report/.
 */
import { InputError, isInputError } from '../errors';
import type { ProgressCallback } from '../interface';
import { createRng } from '../random';
import { findGroundTruthTask, GROUND_TRUTH_TASKS, type GroundTruthTask } from '../samplers/tasks';
import { EMISHIFT_VERSION } from '../version';
import { estimatorEntry, estimatorNames, resolveEstimatorSettings, type EstimateKind, type EstimatorSettings } from './registry';

/** What to run: names default to every task and every registered estimator. */
export interface ValidationOptions {
  tasks?: readonly string[] | undefined;
  estimators?: readonly string[] | undefined;
  /** Pairs per sample (default: each task's own n). */
  n?: number | undefined;
  /** Number of seeds, 0 … K − 1 (default: each task's own seeds). */
  seeds?: number | undefined;
  /** Setting overrides by estimator name, e.g. `{ ksg: { k: 5 } }`. */
  settings?: Readonly<Record<string, Readonly<Record<string, number | undefined>>>> | undefined;
  onProgress?: ProgressCallback | undefined;
}

/** One (estimator, task) summary. */
export interface ValidationRow {
  estimator: string;
  gives: EstimateKind;
  task: string;
  xDim: number;
  yDim: number;
  n: number;
  trueMi: number;
  /** One estimate per seed, in seed order (NaN where the estimator failed on that seed's sample). */
  estimates: number[];
  /** The seeds whose estimate failed (a training run that diverged, say), with the error; the summaries are over the others. */
  failures: { seed: number; message: string }[];
  meanEstimate: number;
  /** Mean estimate − true MI. */
  bias: number;
  /** Sample standard deviation over seeds (0 with one seed). */
  sd: number;
  /** √(mean of (estimate − truth)²). */
  rmse: number;
  /** Mean wall-clock seconds of one estimate. */
  seconds: number;
}

/** A whole validation run. */
export interface ValidationResult {
  rows: ValidationRow[];
  tasks: string[];
  estimators: { name: string; gives: EstimateKind; trains: boolean; settings: EstimatorSettings; description: Record<string, unknown> }[];
  /** The seeds each task ran with. */
  seeds: Record<string, number[]>;
  /** Total wall-clock seconds. */
  seconds: number;
}

function checkCount(value: number | undefined, field: string, minimum: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < minimum)) throw new InputError(`expected a whole number ≥ ${minimum}, got ${value}`, { field });
}

/** Runs estimators × tasks × seeds and summarises each (estimator, task); names are checked before anything runs. */
export async function validateEstimators(options: ValidationOptions = {}): Promise<ValidationResult> {
  checkCount(options.n, 'n', 2);
  checkCount(options.seeds, 'seeds', 1);
  const tasks: GroundTruthTask[] = (options.tasks ?? GROUND_TRUTH_TASKS.map((entry) => entry.name)).map((name) => findGroundTruthTask(name, 'tasks'));
  const names = options.estimators ?? estimatorNames();
  if (tasks.length === 0) throw new InputError('expected at least one task', { field: 'tasks' });
  if (names.length === 0) throw new InputError('expected at least one estimator', { field: 'estimators' });
  const estimators = names.map((name) => {
    const entry = estimatorEntry(name, 'estimators');
    const settings = resolveEstimatorSettings(entry, options.settings?.[name] ?? {});
    return { entry, settings, estimator: entry.create(settings) };
  });
  const started = performance.now();
  const seedsOf = (task: GroundTruthTask) => (options.seeds === undefined ? [...task.seeds] : Array.from({ length: options.seeds }, (_, i) => i));
  const total = tasks.reduce((sum, task) => sum + seedsOf(task).length, 0) * estimators.length;
  let done = 0;
  const rows: ValidationRow[] = [];
  const seeds: Record<string, number[]> = {};
  for (const task of tasks) {
    const n = options.n ?? task.n;
    const taskSeeds = seedsOf(task);
    seeds[task.name] = taskSeeds;
    const samples = taskSeeds.map((seed) => task.sampler.sample(n, createRng(seed)));
    const truth = task.sampler.mutualInformation();
    for (const { entry, estimator } of estimators) {
      const estimates: number[] = [];
      const failures: { seed: number; message: string }[] = [];
      let seconds = 0;
      for (const [index, sample] of samples.entries()) {
        const before = performance.now();
        try {
          estimates.push(await estimator.estimate(sample.x, sample.y));
        } catch (error) {
          // One estimator failing on one sample (a diverged training run) is a result of the validation, not the end of it.
          if (isInputError(error)) throw error;
          estimates.push(Number.NaN);
          failures.push({ seed: taskSeeds[index], message: error instanceof Error ? error.message : String(error) });
        }
        seconds += (performance.now() - before) / 1000;
        done += 1;
        options.onProgress?.({ done, total, label: `${entry.name} on ${task.name}` });
      }
      rows.push({ ...summarise(entry.name, entry.gives, task, n, truth, estimates, seconds / samples.length), failures });
    }
  }
  return {
    rows,
    tasks: tasks.map((task) => task.name),
    estimators: estimators.map(({ entry, settings, estimator }) => ({ name: entry.name, gives: entry.gives, trains: entry.trains, settings, description: { ...estimator.description } })),
    seeds,
    seconds: (performance.now() - started) / 1000,
  };
}

function summarise(estimator: string, gives: EstimateKind, task: GroundTruthTask, n: number, trueMi: number, estimates: number[], seconds: number): Omit<ValidationRow, 'failures'> {
  const finite = estimates.filter(Number.isFinite);
  const count = finite.length;
  const meanEstimate = count > 0 ? finite.reduce((sum, value) => sum + value, 0) / count : Number.NaN;
  const sd = count > 1 ? Math.sqrt(finite.reduce((sum, value) => sum + (value - meanEstimate) ** 2, 0) / (count - 1)) : 0;
  const rmse = count > 0 ? Math.sqrt(finite.reduce((sum, value) => sum + (value - trueMi) ** 2, 0) / count) : Number.NaN;
  return { estimator, gives, task: task.name, xDim: task.sampler.xDim, yDim: task.sampler.yDim, n, trueMi, estimates, meanEstimate, bias: meanEstimate - trueMi, sd, rmse, seconds };
}

/** The JSON form of a validation run (`validation.json`): snake_case keys like the results files. */
export function toValidationJson(result: ValidationResult): Record<string, unknown> {
  return {
    emishift_version: EMISHIFT_VERSION,
    seconds: result.seconds,
    tasks: result.tasks,
    seeds: result.seeds,
    estimators: result.estimators,
    results: result.rows.map((row) => ({
      estimator: row.estimator,
      gives: row.gives,
      task: row.task,
      x_dim: row.xDim,
      y_dim: row.yDim,
      n: row.n,
      true_mi: row.trueMi,
      mean_estimate: row.meanEstimate,
      bias: row.bias,
      sd: row.sd,
      rmse: row.rmse,
      seconds: row.seconds,
      // JSON has no NaN: a failed seed's estimate is null, and its error is in `failures`.
      estimates: row.estimates.map((value) => (Number.isFinite(value) ? value : null)),
      failures: row.failures,
    })),
  };
}
