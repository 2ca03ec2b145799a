/**
 * Training a CLUB network on paired rows (x_i, y_i): Adam on the negative log-likelihood, in
 * shuffled mini-batches, with an optional held-out split whose best epoch is restored.
 */
import { InputError } from '../../errors';
import type { Matrix, ProgressCallback } from '../../interface';
import { assertFiniteMatrix, gatherRowsInto } from '../../linalg/matrix';
import { createRng, shuffleInPlace } from '../../random';
import { clubForward } from './clubEngine';
import { clubLossFromForward } from './clubEstimate';
import { initClubParameters } from './clubModel';
import type { ClubParameters } from './clubParameters';
import type { ClubTrainer } from './clubTrainer';
import { CLUB_PRESETS } from './clubPresets';

/** 'native': ONNX Runtime's multi-threaded kernels; 'tfjs': TensorFlow.js (tfjs-node when installed, else WASM). */
export type TrainEngine = 'auto' | 'native' | 'tfjs';

export interface TrainClubOptions {
  epochs?: number | undefined;
  batchSize?: number | undefined;
  learningRate?: number | undefined;
  seed?: number | undefined;
  hiddenDim?: number | undefined;
  /** Fraction of rows held out (0 ≤ f < 1); the epoch with the lowest held-out loss is kept. */
  validationFraction?: number | undefined;
  /**
   * Early stopping: with rows held out, training stops once this many epochs in a row have not
   * lowered the held-out loss (the best epoch is kept either way). Absent: every epoch runs.
   */
  patience?: number | undefined;
  /** Continue from these weights instead of a fresh initialisation. */
  initial?: ClubParameters | undefined;
  engine?: TrainEngine | undefined;
  /** Threads for the native engine (default: all cores). */
  threads?: number | undefined;
  onProgress?: ProgressCallback | undefined;
}

/** One epoch of training, for the training curve. */
export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  /** The loss (negative log-likelihood up to constants) per training row, averaged over the epoch's mini-batches. */
  trainLoss: number;
  /** The same loss on the held-out rows after the epoch; absent without a held-out split. */
  validationLoss?: number;
  /** Wall time of the epoch, held-out evaluation included. */
  seconds: number;
}

/** What `trainClub` returns: the kept weights, the engine that trained them, and the run's history and speed. */
export interface TrainClubResult {
  /** The weights of `bestEpoch`. */
  parameters: ClubParameters;
  /** The engine in words, e.g. `onnxruntime-node (native, 2 threads)`. */
  engine: string;
  history: EpochRecord[];
  /** The epoch whose weights were kept (the last one without a held-out split). */
  bestEpoch: number;
  /** Whether early stopping (`patience`) ended training before the last epoch. */
  stoppedEarly: boolean;
  /** The last epoch's training loss. */
  finalTrainLoss: number;
  /** The held-out loss of `bestEpoch` (the lowest); absent without a held-out split. */
  finalValidationLoss?: number;
  trainRows: number;
  /** Rows held out (0 without a held-out split). */
  validationRows: number;
  /** Training throughput over all optimisation steps (excludes held-out evaluation). */
  samplesPerSecond: number;
  /** Wall time of the whole run. */
  seconds: number;
}

/** Settings `trainClub` uses for what it is not given: the `paper` preset. */
export const TRAIN_DEFAULTS = CLUB_PRESETS.paper;

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) throw new InputError(`expected a positive integer, got ${value}`, { field });
  return value;
}

async function createTrainer(engine: TrainEngine, params: ClubParameters, learningRate: number, threads?: number): Promise<ClubTrainer> {
  if (engine !== 'tfjs') {
    let native: typeof import('./onnxGraphs') | undefined;
    try {
      require.resolve('onnxruntime-node');
      native = require('./onnxGraphs');
    } catch (error) {
      if (engine === 'native') throw new Error(`the native training engine needs onnxruntime-node: ${(error as Error).message}`);
    }
    if (native) {
      const trainer = await native.createClubOnnxTrainer(params, { learningRate, threads });
      return {
        engine: `onnxruntime-node (native, ${threads ?? require('node:os').availableParallelism()} threads)`,
        step: (x, y, rows) => trainer.step(x, y, rows),
        parameters: () => trainer.parameters(),
        dispose: () => trainer.dispose(),
      };
    }
  }
  const { createTfjsClubTrainer } = await import('./tfjsClubTrainer');
  return createTfjsClubTrainer(params, { learningRate });
}



async function heldOutLoss(params: ClubParameters, x: Matrix, y: Matrix): Promise<number> {
  return clubLossFromForward(await clubForward(params, x), y);
}

/** Trains a CLUB network with Adam on paired rows (x_i, y_i); see TrainClubOptions for the held-out split and engines. */
export async function trainClub(x: Matrix, y: Matrix, options: TrainClubOptions = {}): Promise<TrainClubResult> {
  const epochs = positiveInteger(options.epochs ?? TRAIN_DEFAULTS.epochs, 'epochs');
  const batchSize = positiveInteger(options.batchSize ?? TRAIN_DEFAULTS.batchSize, 'batchSize');
  const learningRate = options.learningRate ?? TRAIN_DEFAULTS.learningRate;
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new InputError(`expected a positive learning rate, got ${learningRate}`, { field: 'learningRate' });
  const validationFraction = options.validationFraction ?? TRAIN_DEFAULTS.validationFraction;
  if (!(validationFraction >= 0 && validationFraction < 1)) throw new InputError(`expected 0 ≤ fraction < 1, got ${validationFraction}`, { field: 'validationFraction' });
  const patience = options.patience;
  if (patience !== undefined && !(Number.isInteger(patience) && patience >= 1)) throw new InputError(`expected a positive integer, got ${patience}`, { field: 'patience' });
  if (patience !== undefined && validationFraction === 0) throw new InputError('early stopping needs held-out pairs: give a validation fraction above 0', { field: 'patience' });
  if (x.rows !== y.rows) throw new InputError(`x has ${x.rows} rows and y has ${y.rows}: training pairs must be aligned`, { field: 'y' });
  if (x.rows < 2) throw new InputError(`need at least 2 training pairs, got ${x.rows}`, { field: 'x' });
  assertFiniteMatrix(x, { field: 'x' });
  assertFiniteMatrix(y, { field: 'y' });
  const seed = options.seed ?? TRAIN_DEFAULTS.seed;
  const rng = createRng(seed);
  const initial = options.initial ?? initClubParameters({ xDim: x.cols, yDim: y.cols, hiddenDim: options.hiddenDim ?? TRAIN_DEFAULTS.hiddenDim }, seed);
  if (initial.xDim !== x.cols || initial.yDim !== y.cols) {
    throw new InputError(`initial weights are for ${initial.xDim} → ${initial.yDim}, data is ${x.cols} → ${y.cols}`, { field: 'initial' });
  }

  const order = Int32Array.from({ length: x.rows }, (_, i) => i);
  shuffleInPlace(order, rng);
  const validationRows = Math.floor(x.rows * validationFraction);
  const trainRows = x.rows - validationRows;
  if (trainRows < 1) throw new InputError('the held-out fraction leaves no training rows', { field: 'validationFraction' });
  const trainOrder = order.slice(0, trainRows);
  const validationOrder = order.slice(trainRows);
  const validationX = validationRows > 0 ? { rows: validationRows, cols: x.cols, data: new Float32Array(validationRows * x.cols) } : undefined;
  const validationY = validationRows > 0 ? { rows: validationRows, cols: y.cols, data: new Float32Array(validationRows * y.cols) } : undefined;
  if (validationX && validationY) {
    gatherRowsInto(x, validationOrder, 0, validationRows, validationX.data);
    gatherRowsInto(y, validationOrder, 0, validationRows, validationY.data);
  }

  const trainer = await createTrainer(options.engine ?? 'auto', initial, learningRate, options.threads);
  const batchX = new Float32Array(Math.min(batchSize, trainRows) * x.cols);
  const batchY = new Float32Array(Math.min(batchSize, trainRows) * y.cols);
  const history: EpochRecord[] = [];
  let best: { epoch: number; loss: number; parameters: ClubParameters } | undefined;
  let stepSeconds = 0;
  let samples = 0;
  let stoppedEarly = false;
  const started = performance.now();
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const epochStart = performance.now();
      shuffleInPlace(trainOrder, rng);
      let lossSum = 0;
      for (let start = 0; start < trainRows; start += batchSize) {
        const end = Math.min(start + batchSize, trainRows);
        gatherRowsInto(x, trainOrder, start, end, batchX);
        gatherRowsInto(y, trainOrder, start, end, batchY);
        const stepStart = performance.now();
        const loss = await trainer.step(batchX, batchY, end - start);
        stepSeconds += (performance.now() - stepStart) / 1000;
        if (!Number.isFinite(loss)) throw new Error(`training diverged at epoch ${epoch} (loss ${loss}); lower the learning rate`);
        lossSum += loss * (end - start);
        samples += end - start;
      }
      const record: EpochRecord = { epoch, trainLoss: lossSum / trainRows, seconds: (performance.now() - epochStart) / 1000 };
      if (validationX && validationY) {
        const current = trainer.parameters();
        record.validationLoss = await heldOutLoss(current, validationX, validationY);
        if (!best || record.validationLoss < best.loss) best = { epoch, loss: record.validationLoss, parameters: current };
      }
      history.push(record);
      options.onProgress?.({ done: epoch, total: epochs, label: 'epoch', trainLoss: record.trainLoss, validationLoss: record.validationLoss });
      if (patience !== undefined && best && epoch - best.epoch >= patience && epoch < epochs) {
        stoppedEarly = true;
        break;
      }
    }
    const last = history[history.length - 1];
    return {
      parameters: best ? best.parameters : trainer.parameters(),
      engine: trainer.engine,
      history,
      bestEpoch: best ? best.epoch : epochs,
      stoppedEarly,
      finalTrainLoss: last.trainLoss,
      finalValidationLoss: best?.loss,
      trainRows,
      validationRows,
      samplesPerSecond: samples / stepSeconds,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    trainer.dispose();
  }
}
