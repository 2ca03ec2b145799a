/**
 * Training a variational estimator on paired rows: a seeded held-out split, Adam on shuffled
 * mini-batches (one fused ORT run per step), the held-out loss after every epoch, early stopping
 * after `patience` epochs without improvement, and the best epoch's weights restored. Every
 * epoch's train and held-out values are kept: the training curve.
 */
import { InputError } from '../../errors';
import type { Matrix, ProgressCallback } from '../../interface';
import { createAdamTrainer, createGraphEvaluator, type GraphEvaluator, type ParameterValues } from '../../backend/onnx/adamTraining';
import { resolveThreadCount } from '../../backend/onnx/runtime';
import { createRng, shuffleInPlace } from '../../random';
import { gatherRowsInto } from '../../linalg/matrix';
import type { NeuralObjective, ObjectiveState } from './objectives';

/** The loop's settings. */
export interface TrainingLoopSettings {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly patience: number;
  readonly validationFraction: number;
  readonly seed: number;
  readonly threads?: number | undefined;
}

/** One epoch of the curve: mean training loss (and bound, where training computes it) over its steps, and the held-out values after it. */
export interface NeuralEpoch {
  epoch: number;
  trainLoss: number;
  trainBound?: number;
  heldOutLoss?: number;
  heldOutBound?: number;
}

/** A finished training run. */
export interface NeuralTrainingResult {
  parameters: ParameterValues;
  curve: NeuralEpoch[];
  /** The epoch whose weights were kept (the lowest held-out loss; the last without a held-out split). */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** The bound on the held-out pairs at the best epoch; absent without a held-out split. */
  heldOutBound?: number;
  trainRows: number;
  heldOutRows: number;
  /** Training throughput over the optimisation steps (held-out evaluation excluded). */
  samplesPerSecond: number;
  seconds: number;
  engine: string;
}



/**
 * `criterion` and `bound` averaged (row-weighted) over the rows `order` of (x, y), in chunks of
 * at most `batchSize` nearly equal rows (each chunk's other rows are its negatives; at least 2
 * per chunk). The chunks follow `order`, so a shuffled order gives chunks of independent rows.
 */
export async function evaluateInChunks(
  evaluator: GraphEvaluator,
  objective: NeuralObjective,
  parameters: ParameterValues,
  x: Matrix,
  y: Matrix,
  order: Int32Array,
  batchSize: number,
  seed: number,
): Promise<{ criterion: number; bound: number }> {
  const rows = order.length;
  if (rows < 2) throw new InputError(`an estimate needs at least 2 pairs, got ${rows}`, { field: 'x' });
  const chunks = Math.ceil(rows / batchSize);
  const state: ObjectiveState = { rng: createRng(seed) };
  let criterion = 0;
  let bound = 0;
  for (let c = 0; c < chunks; c++) {
    const start = Math.floor((c * rows) / chunks);
    const end = Math.floor(((c + 1) * rows) / chunks);
    const batch = { x: new Float32Array((end - start) * x.cols), y: new Float32Array((end - start) * y.cols), rows: end - start };
    gatherRowsInto(x, order, start, end, batch.x);
    gatherRowsInto(y, order, start, end, batch.y);
    const out = await evaluator.run(parameters, {
      x: { data: batch.x, dims: [batch.rows, x.cols] },
      y: { data: batch.y, dims: [batch.rows, y.cols] },
      ...objective.extraFeeds(batch, 'evaluate', state),
    });
    criterion += out.criterion[0] * batch.rows;
    bound += out.bound[0] * batch.rows;
  }
  return { criterion: criterion / rows, bound: bound / rows };
}

/** Trains `objective` on the pairs (x_i, y_i), which the caller has checked. */
export async function trainObjective(objective: NeuralObjective, x: Matrix, y: Matrix, settings: TrainingLoopSettings, onProgress?: ProgressCallback): Promise<NeuralTrainingResult> {
  const started = performance.now();
  const rng = createRng(settings.seed);
  const order = Int32Array.from({ length: x.rows }, (_, i) => i);
  shuffleInPlace(order, rng);
  const heldOutRows = Math.floor(x.rows * settings.validationFraction);
  const trainRows = x.rows - heldOutRows;
  if (trainRows < 2 || (settings.validationFraction > 0 && heldOutRows < 2)) {
    throw new InputError(`${x.rows} pairs are too few for a ${settings.validationFraction} held-out split: training and held-out pairs need at least 2 rows each`, { field: 'x' });
  }
  const trainOrder = order.slice(0, trainRows);
  const heldOutOrder = order.slice(trainRows);
  const threads = resolveThreadCount(settings.threads);
  const trainer = createAdamTrainer(objective.trainingGraph, objective.initialParameters(settings.seed), { learningRate: settings.learningRate, threads });
  const evaluator = createGraphEvaluator(objective.evaluationGraph, { threads });
  const batchRows = Math.min(settings.batchSize, trainRows);
  // The last partial batch is dropped (a tiny batch is a poor set of negatives); a training set
  // smaller than one batch is one batch.
  const stepsPerEpoch = Math.max(1, Math.floor(trainRows / batchRows));
  const batch = { x: new Float32Array(batchRows * x.cols), y: new Float32Array(batchRows * y.cols), rows: batchRows };
  const state: ObjectiveState = { rng: createRng(settings.seed + 1) };
  const curve: NeuralEpoch[] = [];
  let best: { epoch: number; loss: number; bound: number; parameters: ParameterValues } | undefined;
  let stepSeconds = 0;
  let samples = 0;
  let stoppedEarly = false;
  try {
    for (let epoch = 1; epoch <= settings.epochs; epoch++) {
      shuffleInPlace(trainOrder, rng);
      let lossSum = 0;
      // The bound on training batches, where the training graph computes it anyway (it is the loss
      // of InfoNCE, NWJ and MINE; SMILE and the upper bounds train without it).
      let boundSum: number | undefined;
      for (let s = 0; s < stepsPerEpoch; s++) {
        gatherRowsInto(x, trainOrder, s * batchRows, (s + 1) * batchRows, batch.x);
        gatherRowsInto(y, trainOrder, s * batchRows, (s + 1) * batchRows, batch.y);
        const feeds = { x: { data: batch.x, dims: [batchRows, x.cols] }, y: { data: batch.y, dims: [batchRows, y.cols] }, ...objective.extraFeeds(batch, 'train', state) };
        const stepStart = performance.now();
        const out = await trainer.step(feeds);
        stepSeconds += (performance.now() - stepStart) / 1000;
        samples += batchRows;
        const loss = out.loss[0];
        if (!Number.isFinite(loss)) throw new Error(`training diverged at epoch ${epoch} (loss ${loss}); lower the learning rate`);
        objective.afterStep(out, state);
        lossSum += loss;
        if (out.bound !== undefined) boundSum = (boundSum ?? 0) + out.bound[0];
      }
      const record: NeuralEpoch = { epoch, trainLoss: lossSum / stepsPerEpoch, ...(boundSum !== undefined ? { trainBound: boundSum / stepsPerEpoch } : {}) };
      if (heldOutRows > 0) {
        const current = trainer.parameters();
        const heldOut = await evaluateInChunks(evaluator, objective, current, x, y, heldOutOrder, settings.batchSize, settings.seed + 2);
        record.heldOutLoss = heldOut.criterion;
        record.heldOutBound = heldOut.bound;
        if (best === undefined || heldOut.criterion < best.loss) best = { epoch, loss: heldOut.criterion, bound: heldOut.bound, parameters: current };
      }
      curve.push(record);
      onProgress?.({ done: epoch, total: settings.epochs, label: 'epoch', unit: 'epochs', trainLoss: record.trainLoss, heldOutLoss: record.heldOutLoss });
      if (best !== undefined && epoch - best.epoch >= settings.patience) {
        stoppedEarly = epoch < settings.epochs;
        break;
      }
    }
    return {
      parameters: best ? best.parameters : trainer.parameters(),
      curve,
      bestEpoch: best ? best.epoch : curve.length,
      stoppedEarly,
      ...(best ? { heldOutBound: best.bound } : {}),
      trainRows,
      heldOutRows,
      samplesPerSecond: samples / stepSeconds,
      seconds: (performance.now() - started) / 1000,
      engine: `onnxruntime-node (native, ${threads} threads)`,
    };
  } finally {
    trainer.dispose();
    evaluator.dispose();
  }
}
