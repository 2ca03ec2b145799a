/**
 * The small networks of the variational estimators, as differentiable ONNX graphs: MLPs, the two
 * critics (separable f(x)ᵀg(y) and concatenated T([x, y])) evaluated on every pair of a batch,
 * and the Gaussian variational conditional q(y | x) of the upper bounds.
 */
import type { DifferentiableGraph, Value } from '../../backend/onnx/autodiff';
import type { ParameterSpec, ParameterValues } from '../../backend/onnx/adamTraining';
import { createRng } from '../../random';

/** The sizes of an MLP: input, hidden layers (ReLU), output (linear). */
export interface MlpShape {
  readonly input: number;
  readonly hidden: readonly number[];
  readonly output: number;
}

/** Parameters `<prefix>_w<k>` ([out, in], as PyTorch stores them) and `<prefix>_b<k>` of every layer. */
export function mlpParameters(prefix: string, shape: MlpShape): ParameterSpec[] {
  const sizes = [shape.input, ...shape.hidden, shape.output];
  const specs: ParameterSpec[] = [];
  for (let k = 0; k + 1 < sizes.length; k++) {
    specs.push({ name: `${prefix}_w${k}`, dims: [sizes[k + 1], sizes[k]] });
    specs.push({ name: `${prefix}_b${k}`, dims: [sizes[k + 1]] });
  }
  return specs;
}

/** The MLP on 2-D x: ReLU after every layer but the last. */
export function mlpForward(graph: DifferentiableGraph, p: Readonly<Record<string, Value>>, prefix: string, layers: number, x: Value): Value {
  let h = x;
  for (let k = 0; k < layers; k++) {
    h = graph.linear(h, p[`${prefix}_w${k}`], p[`${prefix}_b${k}`]);
    if (k + 1 < layers) h = graph.relu(h);
  }
  return h;
}

/**
 * PyTorch's default initialisation of nn.Linear (weights and biases uniform in ±1/√fan_in),
 * seeded. The fan-in of a weight [out, in] is `in`, and a bias takes its layer's: a concatenated
 * critic's first layer, split into its x and y parts, takes the fan-in of the whole layer
 * (`fanIn` overrides).
 */
export function initializeParameters(specs: readonly ParameterSpec[], seed: number, fanIn: Readonly<Record<string, number>> = {}): ParameterValues {
  const rng = createRng(seed);
  const values: ParameterValues = {};
  let layerFanIn = 1;
  for (const spec of specs) {
    const isWeight = spec.dims.length === 2;
    if (isWeight) layerFanIn = fanIn[spec.name] ?? spec.dims[1];
    const bound = 1 / Math.sqrt(fanIn[spec.name] ?? layerFanIn);
    const length = spec.dims.reduce((a, b) => a * b, 1);
    values[spec.name] = Float32Array.from({ length }, () => (2 * rng.next() - 1) * bound);
  }
  return values;
}

/** Which critic scores the pairs: f(x)ᵀg(y) (two MLPs, every pair by one product) or T([x, y]) (one MLP on each pair). */
export type CriticKind = 'separable' | 'concatenated';

/** A critic's sizes. */
export interface CriticShape {
  readonly kind: CriticKind;
  readonly xDim: number;
  readonly yDim: number;
  readonly hiddenDim: number;
  readonly hiddenLayers: number;
  /** The separable critic's embedding size (f and g's outputs). */
  readonly embeddingDim: number;
}

/** The critic's parameters, in a fixed order. */
export function criticParameters(shape: CriticShape): ParameterSpec[] {
  const hidden = Array.from({ length: shape.hiddenLayers }, () => shape.hiddenDim);
  if (shape.kind === 'separable') {
    return [...mlpParameters('f', { input: shape.xDim, hidden, output: shape.embeddingDim }), ...mlpParameters('g', { input: shape.yDim, hidden, output: shape.embeddingDim })];
  }
  // The first layer of T([x, y]) is W [x | y]: its two blocks are kept apart, so that every
  // pair's first layer is the sum of a row of x Wxᵀ and a row of y Wyᵀ (B² sums, not B² GEMV).
  const rest = mlpParameters('t', { input: shape.hiddenDim, hidden: hidden.slice(1), output: 1 }).map((p) => {
    const index = Number(p.name.slice(3)) + 1;
    return { name: `t_${p.name[2]}${index}`, dims: p.dims };
  });
  return [{ name: 't_wx0', dims: [shape.hiddenDim, shape.xDim] }, { name: 't_wy0', dims: [shape.hiddenDim, shape.yDim] }, { name: 't_b0', dims: [shape.hiddenDim] }, ...rest];
}

/** Seeded initial critic weights (see initializeParameters). */
export function initializeCritic(shape: CriticShape, seed: number): ParameterValues {
  const fanIn = shape.xDim + shape.yDim;
  return initializeParameters(criticParameters(shape), seed, shape.kind === 'concatenated' ? { t_wx0: fanIn, t_wy0: fanIn, t_b0: fanIn } : {});
}

/**
 * The score matrix S[i, j] = critic(x_i, y_j) of a batch, [B, B], and its diagonal S_ii, [B]
 * (for the separable critic Σ_k f(x_i)_k g(y_i)_k: O(B) instead of a pass over a B × B mask).
 */
export function criticScores(graph: DifferentiableGraph, p: Readonly<Record<string, Value>>, shape: CriticShape, x: Value, y: Value): { scores: Value; diagonal: Value } {
  const layers = shape.hiddenLayers + 1;
  if (shape.kind === 'separable') {
    const f = mlpForward(graph, p, 'f', layers, x);
    const g = mlpForward(graph, p, 'g', layers, y);
    return { scores: graph.matmulTransposed(f, g), diagonal: graph.reduceSum(graph.mul(f, g), [1]) };
  }
  const fromX = graph.linear(x, p.t_wx0, p.t_b0);
  const fromY = graph.linear(y, p.t_wy0);
  let h = graph.relu(graph.add(graph.unsqueeze(fromX, [1]), graph.unsqueeze(fromY, [0])));
  for (let k = 1; k < layers; k++) {
    h = graph.linear(h, p[`t_w${k}`], p[`t_b${k}`]);
    if (k + 1 < layers) h = graph.relu(h);
  }
  const scores = graph.squeeze(h, [2]);
  return { scores, diagonal: graph.reduceSum(graph.mul(scores, graph.eyeLike(scores)), [1]) };
}

/** The Gaussian conditional's sizes: μ(x) always, logvar(x) = tanh(·) unless the variance is fixed to 1. */
export interface ConditionalShape {
  readonly xDim: number;
  readonly yDim: number;
  readonly hiddenDim: number;
  readonly hiddenLayers: number;
  readonly learnedVariance: boolean;
}

/** μ's and (when learned) logvar's parameters. */
export function conditionalParameters(shape: ConditionalShape): ParameterSpec[] {
  const mlp: MlpShape = { input: shape.xDim, hidden: Array.from({ length: shape.hiddenLayers }, () => shape.hiddenDim), output: shape.yDim };
  return [...mlpParameters('mu', mlp), ...(shape.learnedVariance ? mlpParameters('lv', mlp) : [])];
}

/** μ(x) and logvar(x) ([B, yDim] each; logvar undefined for unit variance). As CLUB (Cheng et al.), logvar = tanh(·). */
export function conditionalForward(graph: DifferentiableGraph, p: Readonly<Record<string, Value>>, shape: ConditionalShape, x: Value): { mu: Value; logvar?: Value } {
  const layers = shape.hiddenLayers + 1;
  const mu = mlpForward(graph, p, 'mu', layers, x);
  return shape.learnedVariance ? { mu, logvar: graph.tanh(mlpForward(graph, p, 'lv', layers, x)) } : { mu };
}
