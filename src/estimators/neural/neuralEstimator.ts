/**
 * The neural variational estimators behind the one contract: `estimate(x, y)` trains on the
 * pairs it is given (held-out split, early stopping, best epoch restored) and reads the bound on
 * the held-out pairs; `fit(pairs)` trains once and returns an estimator whose `estimate(x, y)`
 * only evaluates (as EMI uses CLUB: fitted on pooled reference pairs, applied to each split).
 */
import { InputError } from '../../errors';
import type { ConditionedEstimator, EmbeddingSpace, EstimatorDescription, EstimatorDiagnosis, FitOptions, Matrix, TrainableEstimator, TrainingPairs } from '../../interface';
import { assertFiniteMatrix, selectRows } from '../../linalg/matrix';
import { createGraphEvaluator, type GraphEvaluator, type ParameterValues } from '../../backend/onnx/adamTraining';
import { createRng } from '../../random';
import type { CriticKind } from './networks';
import { NEURAL_ESTIMATOR_NAMES, boundDirection, createObjective, type NeuralEstimatorName, type NeuralObjective } from './objectives';
import { evaluateInChunks, trainObjective, type NeuralTrainingResult } from './trainNeural';

export { NEURAL_ESTIMATOR_NAMES, boundDirection, type NeuralEstimatorName } from './objectives';
export type { CriticKind } from './networks';
export type { NeuralEpoch, NeuralTrainingResult } from './trainNeural';

/** Every setting of a neural estimator; `NEURAL_DEFAULTS` holds the defaults. */
export interface NeuralEstimatorSettings {
  /** The lower bounds' critic: f(x)ᵀg(y) ('separable', fast: one product scores all B² pairs) or T([x, y]). */
  critic: CriticKind;
  /** Width of every hidden layer (critics and the upper bounds' μ and logvar networks). */
  hiddenDim: number;
  hiddenLayers: number;
  /** Output size of the separable critic's f and g. */
  embeddingDim: number;
  batchSize: number;
  /** Upper limit on epochs; early stopping usually ends sooner. */
  epochs: number;
  learningRate: number;
  /** Epochs without a better held-out loss before training stops. */
  patience: number;
  /** Share of the pairs held out (0 ≤ f < 1): early stopping, best epoch, and the estimate by default. */
  validationFraction: number;
  /** Seeds the split, the shuffles, the initial weights and the sampled negatives. */
  seed: number;
  /** Where `estimate(x, y)` of an unfitted estimator reads the bound: the held-out pairs, or all of them. */
  readOn: 'held-out' | 'all';
  /** SMILE's clip: scores of the negatives clipped to [−τ, τ]. */
  tau: number;
  /** MINE's moving-average rate α of the bias-corrected gradient. */
  movingAverageRate: number;
  /** Intra-op threads (default: every core). */
  threads?: number | undefined;
}

/** Defaults: 2 hidden ReLU layers of 128, separable critic with 32-d embeddings, batch 512, Adam 5e-4, 20% held out, patience 10. */
export const NEURAL_DEFAULTS: Readonly<NeuralEstimatorSettings> = Object.freeze({
  critic: 'separable',
  hiddenDim: 128,
  hiddenLayers: 2,
  embeddingDim: 32,
  batchSize: 512,
  epochs: 100,
  learningRate: 5e-4,
  patience: 10,
  validationFraction: 0.2,
  seed: 0,
  readOn: 'held-out',
  tau: 5,
  movingAverageRate: 0.01,
});

const INTEGER_SETTINGS = ['hiddenDim', 'hiddenLayers', 'embeddingDim', 'batchSize', 'epochs', 'patience'] as const;

/** Defaults overlaid with `overrides`, checked: an InputError names the setting and what it must be. */
export function neuralSettings(overrides: Partial<NeuralEstimatorSettings> = {}): NeuralEstimatorSettings {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) as Partial<NeuralEstimatorSettings>;
  const settings: NeuralEstimatorSettings = { ...NEURAL_DEFAULTS, ...defined };
  for (const key of INTEGER_SETTINGS) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1) throw new InputError(`expected a positive integer, got ${settings[key]}`, { field: key });
  }
  if (settings.batchSize < 2) throw new InputError(`expected at least 2 (the other rows of a batch are its negatives), got ${settings.batchSize}`, { field: 'batchSize' });
  if (!(settings.learningRate > 0) || !Number.isFinite(settings.learningRate)) throw new InputError(`expected a positive number, got ${settings.learningRate}`, { field: 'learningRate' });
  if (!(settings.validationFraction >= 0 && settings.validationFraction < 1)) throw new InputError(`expected 0 ≤ fraction < 1, got ${settings.validationFraction}`, { field: 'validationFraction' });
  if (!(settings.tau > 0) || !Number.isFinite(settings.tau)) throw new InputError(`expected a positive number, got ${settings.tau}`, { field: 'tau' });
  if (!(settings.movingAverageRate > 0 && settings.movingAverageRate <= 1)) throw new InputError(`expected 0 < rate ≤ 1, got ${settings.movingAverageRate}`, { field: 'movingAverageRate' });
  if (!Number.isInteger(settings.seed)) throw new InputError(`expected an integer, got ${settings.seed}`, { field: 'seed' });
  if (settings.critic !== 'separable' && settings.critic !== 'concatenated') throw new InputError(`expected 'separable' or 'concatenated', got '${settings.critic}'`, { field: 'critic' });
  if (settings.readOn !== 'held-out' && settings.readOn !== 'all') throw new InputError(`expected 'held-out' or 'all', got '${settings.readOn}'`, { field: 'readOn' });
  if (settings.readOn === 'held-out' && settings.validationFraction === 0) throw new InputError("reading the estimate on held-out pairs needs validationFraction > 0 (or readOn: 'all')", { field: 'readOn' });
  return settings;
}

/** Whether `name` is a neural estimator's name. */
export function isNeuralEstimatorName(name: string): name is NeuralEstimatorName {
  return (NEURAL_ESTIMATOR_NAMES as readonly string[]).includes(name);
}

function checkPairs(x: Matrix, y: Matrix, expected?: { xDim: number; yDim: number }): void {
  if (x.rows !== y.rows) throw new InputError(`x has ${x.rows} rows and y has ${y.rows}: rows must be paired`, { field: 'y' });
  if (x.rows < 2) throw new InputError(`need at least 2 paired rows, got ${x.rows}`, { field: 'x' });
  if (x.cols < 1 || y.cols < 1) throw new InputError('x and y need at least one column each', { field: x.cols < 1 ? 'x' : 'y' });
  if (expected && x.cols !== expected.xDim) throw new InputError(`x has ${x.cols} columns but the estimator was fitted on ${expected.xDim}`, { field: 'x' });
  if (expected && y.cols !== expected.yDim) throw new InputError(`y has ${y.cols} columns but the estimator was fitted on ${expected.yDim}`, { field: 'y' });
  assertFiniteMatrix(x, { field: 'x' });
  assertFiniteMatrix(y, { field: 'y' });
}

function objectiveFor(name: NeuralEstimatorName, settings: NeuralEstimatorSettings, xDim: number, yDim: number): NeuralObjective {
  const { hiddenDim, hiddenLayers, embeddingDim } = settings;
  return createObjective(name, {
    critic: { kind: settings.critic, xDim, yDim, hiddenDim, hiddenLayers, embeddingDim },
    conditional: { xDim, yDim, hiddenDim, hiddenLayers, learnedVariance: name !== 'club-mean' },
    tau: settings.tau,
    movingAverageRate: settings.movingAverageRate,
  });
}

/** The settings that shape the estimate, as recorded in provenance (threads left out: they change no number). */
function recordedSettings(name: NeuralEstimatorName, settings: NeuralEstimatorSettings): Record<string, unknown> {
  const { threads: _threads, ...rest } = settings;
  const recorded: Record<string, unknown> = { ...rest };
  if (boundDirection(name) === 'upper') {
    delete recorded.critic;
    delete recorded.embeddingDim;
  }
  if (name !== 'smile') delete recorded.tau;
  if (name !== 'mine') delete recorded.movingAverageRate;
  return recorded;
}

function describeTraining(result: NeuralTrainingResult): Record<string, unknown> {
  return {
    best_epoch: result.bestEpoch,
    stopped_early: result.stoppedEarly,
    train_rows: result.trainRows,
    held_out_rows: result.heldOutRows,
    ...(result.heldOutBound !== undefined ? { held_out_estimate: result.heldOutBound } : {}),
    curve: result.curve.map((e) => ({ epoch: e.epoch, train_loss: e.trainLoss, ...(e.trainBound !== undefined ? { train_estimate: e.trainBound } : {}), ...(e.heldOutLoss !== undefined ? { held_out_loss: e.heldOutLoss, held_out_estimate: e.heldOutBound } : {}) })),
  };
}

interface FittedState {
  readonly parameters: ParameterValues;
  readonly xDim: number;
  readonly yDim: number;
  readonly training: NeuralTrainingResult;
  readonly pairs: number;
  readonly space?: EmbeddingSpace;
}

/**
 * One neural estimator (`infonce`, `nwj`, `mine`, `smile`, `club-mean`, `club-sample`, `l1out`).
 * Unfitted, `estimate(x, y)` trains on (x, y) and returns the bound read on the held-out pairs;
 * its last run's curve is in `lastTraining` and `description`. Fitted (`fit`), `estimate` only
 * evaluates, on every row given, in chunks of `batchSize` seeded-shuffled rows.
 */
export class NeuralEstimator implements TrainableEstimator {
  /** The most recent training run of an unfitted estimator's `estimate`; a fitted one's own. */
  lastTraining?: NeuralTrainingResult;
  private evaluator?: GraphEvaluator;

  private constructor(
    readonly name: NeuralEstimatorName,
    readonly settings: Readonly<NeuralEstimatorSettings>,
    private readonly fitted?: FittedState,
  ) {
    this.lastTraining = fitted?.training;
  }

  /** An unfitted estimator `name` with `NEURAL_DEFAULTS` overlaid by `overrides` (checked). */
  static create(name: NeuralEstimatorName | string, overrides: Partial<NeuralEstimatorSettings> = {}): NeuralEstimator {
    if (!isNeuralEstimatorName(name)) throw new InputError(`unknown neural estimator '${name}'; expected one of ${NEURAL_ESTIMATOR_NAMES.join(', ')}`, { field: 'estimator' });
    return new NeuralEstimator(name, Object.freeze(neuralSettings(overrides)));
  }

  /** Whether `fit` produced this estimator (its `estimate` only evaluates). */
  get isFitted(): boolean {
    return this.fitted !== undefined;
  }

  /** The name, what it bounds, its settings and, after training, the run's curve and best epoch. */
  get description(): EstimatorDescription {
    const training = this.lastTraining;
    return {
      name: this.name,
      bound: boundDirection(this.name),
      fitted: this.isFitted,
      ...(this.fitted?.space ? { space: this.fitted.space } : {}),
      training: {
        settings: recordedSettings(this.name, this.settings),
        ...(this.fitted ? { pairs: this.fitted.pairs } : {}),
        ...(training ? { engine: training.engine } : {}),
      },
      ...(training ? { run: describeTraining(training) } : {}),
    };
  }

  /** Trains on (x, y) with this estimator's settings: the run, with the held-out estimate at the best epoch. */
  async train(x: Matrix, y: Matrix, options: FitOptions = {}): Promise<NeuralTrainingResult> {
    checkPairs(x, y);
    const objective = objectiveFor(this.name, this.settings, x.cols, y.cols);
    return trainObjective(objective, x, y, this.settings, options.onProgress);
  }

  /**
   * Î(x; y) in nats. Fitted: the bound on all rows. Unfitted: trains on these pairs and reads the
   * bound on the held-out pairs at the best epoch (or on all of them with `readOn: 'all'`).
   */
  async estimate(x: Matrix, y: Matrix): Promise<number> {
    if (this.fitted) {
      checkPairs(x, y, this.fitted);
      return this.evaluate(this.fitted.parameters, x, y);
    }
    const result = await this.train(x, y);
    this.lastTraining = result;
    if (this.settings.readOn === 'held-out' && result.heldOutBound !== undefined) return result.heldOutBound;
    return this.evaluateWith(result.parameters, x, y);
  }

  /** Î(x; y_k) for every y_k (each trained afresh when unfitted, as `estimate`). */
  async estimateMany(x: Matrix, ys: readonly Matrix[]): Promise<number[]> {
    const values: number[] = [];
    for (const y of ys) values.push(await this.estimate(x, y));
    return values;
  }

  /** x kept; estimates on selections of its rows are estimates on the selected pairs. */
  async condition(x: Matrix): Promise<ConditionedEstimator> {
    const onRows = (y: Matrix, rows?: Int32Array) => (rows === undefined ? this.estimate(x, y) : this.estimate(selectRows(x, rows), selectRows(y, rows)));
    return {
      rows: x.rows,
      estimate: onRows,
      async estimateSelections(y, selections) {
        const values = new Float64Array(selections.length);
        for (let k = 0; k < selections.length; k++) values[k] = await onRows(y, selections[k]);
        return values;
      },
    };
  }

  /** Nothing to start ahead: sessions are built when training or evaluation begins. */
  prepare(): void {}

  /**
   * Whether the kept network may not have converged: its best held-out epoch was the last one it
   * ran (`best_epoch_is_last` 1), so more epochs might still have moved the bound. Nothing before
   * training.
   */
  async diagnose(): Promise<EstimatorDiagnosis> {
    const training = this.lastTraining;
    if (!training) return { values: {}, warnings: [] };
    const lastEpoch = training.curve.length;
    const stillImproving = !training.stoppedEarly && training.bestEpoch === lastEpoch;
    return {
      values: { best_epoch: training.bestEpoch, epochs_run: lastEpoch, best_epoch_is_last: stillImproving ? 1 : 0 },
      warnings: stillImproving ? [`${this.name}'s held-out objective was still improving at its last epoch (${lastEpoch}): more epochs may move the bound`] : [],
    };
  }

  /** An estimator of the same kind and settings, trained once on `pairs`, whose `estimate` only evaluates. */
  async fit(pairs: TrainingPairs, options: FitOptions = {}): Promise<NeuralEstimator> {
    const training = await this.train(pairs.x, pairs.y, options);
    return new NeuralEstimator(this.name, this.settings, { parameters: training.parameters, xDim: pairs.x.cols, yDim: pairs.y.cols, training, pairs: pairs.x.rows, ...(pairs.space ? { space: pairs.space } : {}) });
  }

  private async evaluate(parameters: ParameterValues, x: Matrix, y: Matrix): Promise<number> {
    if (this.evaluator === undefined) this.evaluator = createGraphEvaluator(objectiveFor(this.name, this.settings, x.cols, y.cols).evaluationGraph, { threads: this.settings.threads });
    return this.read(this.evaluator, parameters, x, y);
  }

  private async evaluateWith(parameters: ParameterValues, x: Matrix, y: Matrix): Promise<number> {
    const evaluator = createGraphEvaluator(objectiveFor(this.name, this.settings, x.cols, y.cols).evaluationGraph, { threads: this.settings.threads });
    try {
      return await this.read(evaluator, parameters, x, y);
    } finally {
      evaluator.dispose();
    }
  }

  private async read(evaluator: GraphEvaluator, parameters: ParameterValues, x: Matrix, y: Matrix): Promise<number> {
    // A seeded shuffle before chunking: each chunk's negatives are then draws from the marginals
    // even when the rows come sorted (by class, by split).
    const order = Int32Array.from({ length: x.rows }, (_, i) => i);
    const rng = createRng(this.settings.seed + 3);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const objective = objectiveFor(this.name, this.settings, x.cols, y.cols);
    return (await evaluateInChunks(evaluator, objective, parameters, x, y, order, this.settings.batchSize, this.settings.seed + 2)).bound;
  }
}

/** An unfitted neural estimator: `createNeuralEstimator('infonce', { epochs: 50 })`. Unknown names and bad settings are InputErrors. */
export function createNeuralEstimator(name: NeuralEstimatorName | string, settings: Partial<NeuralEstimatorSettings> = {}): NeuralEstimator {
  return NeuralEstimator.create(name, settings);
}
