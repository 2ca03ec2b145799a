/**
 * Each variational estimator as a trainable graph on one batch (x, y) of B paired rows: the loss
 * its training minimises, the bound it reports (`bound`, nats) and the loss held-out pairs are
 * judged by (`criterion`). Negatives are the other rows of the batch: the critic's scores
 * S[i, j] = T(x_i, y_j) off the diagonal are draws from the product of the marginals.
 *
 * Lower bounds (Poole et al. 2019; Belghazi et al. 2018; Song & Ermon 2020):
 *   InfoNCE  mean_i S_ii − mean_i ln Σ_j e^{S_ij} + ln B                    (≤ ln B)
 *   NWJ      mean_i S_ii − mean_{i≠j} e^{S_ij − 1}
 *   DV/MINE  mean_i S_ii − ln mean_{i≠j} e^{S_ij}; MINE trains with the gradient of
 *            mean_{i≠j} e^{S_ij} divided by a moving average of it (the bias correction)
 *   SMILE    mean_i S_ii − ln mean_{i≠j} e^{clip(S_ij, −τ, τ)}, the critic trained on the
 *            Jensen–Shannon objective mean_i −softplus(−S_ii) − mean_{i≠j} softplus(S_ij)
 * Upper bounds (Cheng et al. 2020; Poole et al. 2019), with q(y|x) = N(μ(x), diag e^{logvar(x)})
 * fitted by maximum likelihood:
 *   club-mean    q with unit variance; mean_i [log q(y_i|x_i) − mean_j log q(y_j|x_i)]
 *   club-sample  mean_i [log q(y_i|x_i) − log q(y_π(i)|x_i)] for a random permutation π
 *   l1out        mean_i [log q(y_i|x_i) − ln( (1/(B−1)) Σ_{j≠i} q(y_i|x_j) )]
 */
import type { DifferentiableGraph, Value } from '../../backend/onnx/autodiff';
import type { ForwardResult, ParameterValues, TensorFeed, TrainableGraph } from '../../backend/onnx/adamTraining';
import type { RandomSource } from '../../interface';
import { conditionalForward, conditionalParameters, criticParameters, criticScores, initializeCritic, initializeParameters, type ConditionalShape, type CriticShape } from './networks';

/** The neural estimators, by name. */
export const NEURAL_ESTIMATOR_NAMES = ['infonce', 'nwj', 'mine', 'smile', 'club-mean', 'club-sample', 'l1out'] as const;

/** A neural estimator's name. */
export type NeuralEstimatorName = (typeof NEURAL_ESTIMATOR_NAMES)[number];

/** Whether the estimator bounds the MI from below (a critic) or above (a variational conditional). */
export function boundDirection(name: NeuralEstimatorName): 'lower' | 'upper' {
  return name === 'club-mean' || name === 'club-sample' || name === 'l1out' ? 'upper' : 'lower';
}

/** A batch as the objective sees it: row-major data and the row count. */
export interface Batch {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly rows: number;
}

/** What an objective keeps between steps (MINE's moving average) and draws from (club-sample's permutation). */
export interface ObjectiveState {
  movingAverage?: number;
  readonly rng: RandomSource;
}

/** An estimator's training graph and the feeds it needs beyond x and y. */
export interface NeuralObjective {
  /** What a training step runs: the loss and what the curve needs. */
  readonly trainingGraph: TrainableGraph;
  /** The same parameters and loss, and the bound: what held-out pairs and estimates are evaluated with. */
  readonly evaluationGraph: TrainableGraph;
  initialParameters(seed: number): ParameterValues;
  /** Feeds beyond `x` and `y` for this batch. */
  extraFeeds(batch: Batch, phase: 'train' | 'evaluate', state: ObjectiveState): Record<string, TensorFeed>;
  /** Takes note of a training step's outputs (MINE's moving average). */
  afterStep(outputs: Readonly<Record<string, Float32Array>>, state: ObjectiveState): void;
}

/** The settings an objective is built from. */
export interface ObjectiveSettings {
  readonly critic: CriticShape;
  readonly conditional: ConditionalShape;
  /** SMILE's clip τ. */
  readonly tau: number;
  /** MINE's moving-average rate α: ema ← (1 − α) ema + α · batch value. */
  readonly movingAverageRate: number;
}

/** A mask that removes the diagonal from a log-sum-exp: e^{s − 1e30} is 0 in float32 for any score. */
const DIAGONAL_EXCLUSION = 1e30;

interface Scores {
  graph: DifferentiableGraph;
  /** S[i, j] = T(x_i, y_j), [B, B]. */
  scores: Value;
  /** S_ii, [B]. */
  diagonal: Value;
  /** mean_i S_ii. */
  meanDiagonal: Value;
}

function withDiagonal(graph: DifferentiableGraph, scores: Value, diagonal: Value): Scores {
  return { graph, scores, diagonal, meanDiagonal: graph.reduceMean(diagonal) };
}

/** ln mean_{i≠j} e^{V_ij}: the diagonal masked out (subtracting it from the sum would cancel catastrophically when it dominates). */
function logMeanExpOffDiagonal(s: Scores, values: Value): Value {
  const { graph } = s;
  const masked = graph.sub(values, graph.scale(graph.eyeLike(values), DIAGONAL_EXCLUSION));
  const count = graph.sub(graph.size(values), graph.size(s.diagonal));
  return graph.sub(graph.reduceLogSumExp(masked), graph.log(count));
}

/**
 * mean_{i≠j} f(S_ij) for an element-wise f, as (Σ_all f(S) − Σ_i f(S_ii)) / (B² − B): no B × B
 * mask to build or differentiate. f here is e^{s−1} (NWJ) or softplus (SMILE's JS), whose
 * diagonal sum does not dwarf the off-diagonal one unless the MI is far beyond what NWJ can
 * estimate anyway.
 */
function meanOffDiagonal(s: Scores, f: (v: Value) => Value): Value {
  const { graph } = s;
  const count = graph.sub(graph.size(s.scores), graph.size(s.diagonal));
  return graph.div(graph.sub(graph.reduceSum(f(s.scores)), graph.reduceSum(f(s.diagonal))), count);
}

/** The lower bound's graph; `withBound` false leaves out what only the reported bound needs (SMILE's clipped DV). */
function lowerBoundGraph(name: 'infonce' | 'nwj' | 'mine' | 'smile', settings: ObjectiveSettings, withBound: boolean): TrainableGraph {
  const shape = settings.critic;
  return {
    parameters: criticParameters(shape),
    forward(graph, p): ForwardResult {
      const x = graph.input('x', ['batch', shape.xDim]);
      const y = graph.input('y', ['batch', shape.yDim]);
      const critic = criticScores(graph, p, shape, x, y);
      const s = withDiagonal(graph, critic.scores, critic.diagonal);
      if (name === 'infonce') {
        const logBatch = graph.log(graph.size(s.diagonal));
        const bound = graph.add(graph.sub(s.meanDiagonal, graph.reduceMean(graph.reduceLogSumExp(s.scores, [1]))), logBatch);
        const loss = graph.neg(bound);
        return { loss, outputs: { bound, criterion: loss } };
      }
      if (name === 'nwj') {
        const bound = graph.sub(s.meanDiagonal, meanOffDiagonal(s, (v) => graph.exp(graph.sub(v, graph.constant(1)))));
        const loss = graph.neg(bound);
        return { loss, outputs: { bound, criterion: loss } };
      }
      if (name === 'mine') {
        const logMarginal = logMeanExpOffDiagonal(s, s.scores);
        const bound = graph.sub(s.meanDiagonal, logMarginal);
        const marginal = graph.exp(logMarginal);
        // ema_t = (1 − α) ema_{t−1} + α · (this batch's mean e^T), α = 1 at the first step; the
        // surrogate mean_i S_ii − marginal / ema_t has MINE's corrected gradient.
        const previous = graph.input('ema_previous', []);
        const weight = graph.input('ema_weight', []);
        const average = graph.add(graph.mul(graph.sub(graph.constant(1), weight), previous), graph.mul(weight, graph.stopGradient(marginal)));
        const loss = graph.neg(graph.sub(s.meanDiagonal, graph.div(marginal, average)));
        return { loss, outputs: { bound, criterion: graph.neg(bound), moving_average: average } };
      }
      const jensenShannon = graph.sub(graph.reduceMean(graph.neg(graph.softplus(graph.neg(s.diagonal)))), meanOffDiagonal(s, (v) => graph.softplus(v)));
      const loss = graph.neg(jensenShannon);
      if (!withBound) return { loss, outputs: { criterion: loss } };
      const clipped = graph.clip(s.scores, -settings.tau, settings.tau);
      const bound = graph.sub(s.meanDiagonal, logMeanExpOffDiagonal(s, clipped));
      return { loss, outputs: { bound, criterion: loss } };
    },
  };
}

/** The upper bound's graph; `withBound` false is the likelihood alone (all that training needs). */
function upperBoundGraph(name: 'club-mean' | 'club-sample' | 'l1out', settings: ObjectiveSettings, withBound: boolean): TrainableGraph {
  const shape = settings.conditional;
  return {
    parameters: conditionalParameters(shape),
    forward(graph, p): ForwardResult {
      const x = graph.input('x', ['batch', shape.xDim]);
      const y = graph.input('y', ['batch', shape.yDim]);
      const { mu, logvar } = conditionalForward(graph, p, shape, x);
      const half = (v: Value) => graph.scale(v, 0.5);
      const rowSum = (v: Value) => graph.reduceSum(v, [1]);
      const residual = graph.sub(mu, y);
      const squared = graph.mul(residual, residual);
      if (logvar === undefined) {
        // −log q(y|x) up to a constant: ½ Σ_d (μ − y)².
        const loss = graph.reduceMean(half(rowSum(squared)));
        if (!withBound) return { loss, outputs: { criterion: loss } };
        // E_j ||y_j − μ_i||² = E_j ||y_j||² − 2 μ_i·ȳ + ||μ_i||², exactly, over the batch's rows.
        const meanY = graph.reduceMean(y, [0], true);
        const meanSquareY = graph.reduceMean(graph.mul(y, y), [0], true);
        const contrast = graph.add(graph.sub(meanSquareY, graph.scale(graph.mul(mu, meanY), 2)), graph.mul(mu, mu));
        const bound = graph.reduceMean(half(rowSum(graph.sub(contrast, squared))));
        return { loss, outputs: { bound, criterion: loss } };
      }
      const precision = graph.exp(graph.neg(logvar));
      const loss = graph.reduceMean(half(rowSum(graph.add(graph.mul(squared, precision), logvar))));
      if (!withBound) return { loss, outputs: { criterion: loss } };
      if (name === 'club-sample') {
        const negative = graph.input('y_negative', ['batch', shape.yDim]);
        const negativeResidual = graph.sub(mu, negative);
        const bound = graph.reduceMean(half(rowSum(graph.mul(graph.sub(graph.mul(negativeResidual, negativeResidual), squared), precision))));
        return { loss, outputs: { bound, criterion: loss } };
      }
      // L[i, j] = log q(y_i | x_j) + const = −½ Σ_d [(y_id − μ_jd)² p_jd + lv_jd], p = e^{−lv},
      // expanded into two GEMMs: Σ y² p − 2 Σ y μ p + Σ (μ² p + lv).
      const quadratic = graph.matmulTransposed(graph.mul(y, y), precision);
      const cross = graph.matmulTransposed(y, graph.mul(mu, precision));
      const perColumn = graph.unsqueeze(rowSum(graph.add(graph.mul(graph.mul(mu, mu), precision), logvar)), [0]);
      const logDensity = graph.neg(half(graph.add(graph.sub(quadratic, graph.scale(cross, 2)), perColumn)));
      const eye = graph.eyeLike(logDensity);
      const s = withDiagonal(graph, logDensity, graph.reduceSum(graph.mul(logDensity, eye), [1]));
      const masked = graph.sub(logDensity, graph.scale(eye, DIAGONAL_EXCLUSION));
      const logOthers = graph.sub(graph.reduceLogSumExp(masked, [1]), graph.log(graph.sub(graph.size(s.diagonal), graph.constant(1))));
      const bound = graph.reduceMean(graph.sub(s.diagonal, logOthers));
      return { loss, outputs: { bound, criterion: loss } };
    },
  };
}

function permutedRows(batch: Batch, yDim: number, rng: RandomSource): Float32Array {
  const order = Int32Array.from({ length: batch.rows }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const out = new Float32Array(batch.rows * yDim);
  for (let k = 0; k < batch.rows; k++) out.set(batch.y.subarray(order[k] * yDim, (order[k] + 1) * yDim), k * yDim);
  return out;
}

/** The objective of estimator `name` with these settings. */
export function createObjective(name: NeuralEstimatorName, settings: ObjectiveSettings): NeuralObjective {
  const scalar = (value: number): TensorFeed => ({ data: Float32Array.of(value), dims: [] });
  if (boundDirection(name) === 'lower') {
    const lower = name as 'infonce' | 'nwj' | 'mine' | 'smile';
    return {
      trainingGraph: lowerBoundGraph(lower, settings, false),
      evaluationGraph: lowerBoundGraph(lower, settings, true),
      initialParameters: (seed) => initializeCritic(settings.critic, seed),
      extraFeeds(_batch, phase, state): Record<string, TensorFeed> {
        if (name !== 'mine') return {};
        const previous = phase === 'train' ? state.movingAverage : undefined;
        return previous === undefined ? { ema_previous: scalar(1), ema_weight: scalar(1) } : { ema_previous: scalar(previous), ema_weight: scalar(settings.movingAverageRate) };
      },
      afterStep(outputs, state) {
        if (name === 'mine') state.movingAverage = outputs.moving_average[0];
      },
    };
  }
  const upper = name as 'club-mean' | 'club-sample' | 'l1out';
  const evaluationGraph = upperBoundGraph(upper, settings, true);
  return {
    trainingGraph: upperBoundGraph(upper, settings, false),
    evaluationGraph,
    initialParameters: (seed) => initializeParameters(evaluationGraph.parameters, seed),
    extraFeeds(batch, phase, state): Record<string, TensorFeed> {
      if (name !== 'club-sample' || phase === 'train') return {};
      return { y_negative: { data: permutedRows(batch, settings.conditional.yDim, state.rng), dims: [batch.rows, settings.conditional.yDim] } };
    },
    afterStep() {},
  };
}
