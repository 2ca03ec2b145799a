/**
 * Training any small differentiable graph with Adam on ONNX Runtime: the caller describes its
 * parameters and writes the forward computation with a DifferentiableGraph; here the backward
 * pass and the Adam update are appended, so that a step (forward, backward, update) is one ORT
 * run — one JS↔native crossing per step, with the state tensors handed from one run to the next
 * without copies. Evaluation graphs (the same forward, weights as inputs) serve held-out losses.
 * Nothing here knows what the graph computes.
 */
import { DifferentiableGraph, type Value } from './autodiff';
import { GraphBuilder, type Dim } from './modelBuilder';
import { createSession, floatTensor, loadOnnxRuntime, resolveThreadCount, type OrtSession, type OrtTensor } from './runtime';

/** One trainable tensor: its graph name and shape. */
export interface ParameterSpec {
  readonly name: string;
  readonly dims: readonly number[];
}

/** What a graph's forward computation yields: the scalar to minimise and any values to report. */
export interface ForwardResult {
  readonly loss: Value;
  /** Further outputs by name (returned by every run; not differentiated). */
  readonly outputs?: Readonly<Record<string, Value>>;
}

/**
 * A trainable graph: its parameters and its forward computation, which declares its own data
 * inputs on the graph it is given (`graph.input(...)`) and returns the loss.
 */
export interface TrainableGraph {
  readonly parameters: readonly ParameterSpec[];
  forward(graph: DifferentiableGraph, parameters: Readonly<Record<string, Value>>): ForwardResult;
}

/** Adam's constants (PyTorch's defaults when omitted: β1 0.9, β2 0.999, ε 1e-8, no weight decay). */
export interface AdamConstants {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** torch.optim.Adam's defaults. */
export const ADAM_DEFAULTS: AdamConstants = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** One float32 input: data and shape (row-major); a scalar has dims []. */
export interface TensorFeed {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Parameter values by name. */
export type ParameterValues = Record<string, Float32Array>;

const RESERVED_SUFFIXES = ['_m', '_v', '_out', '_m_out', '_v_out', '_grad'];

function declareParameters(graph: DifferentiableGraph, spec: TrainableGraph): Record<string, Value> {
  const values: Record<string, Value> = {};
  for (const parameter of spec.parameters) values[parameter.name] = graph.parameter(parameter.name, parameter.dims);
  return values;
}

function declareOutputs(graph: DifferentiableGraph, result: ForwardResult): void {
  graph.output('loss', result.loss);
  for (const [name, value] of Object.entries(result.outputs ?? {})) graph.output(name, value);
}

/** The forward graph with the weights as inputs: outputs `loss` and the forward's outputs. */
export function buildEvaluationModel(spec: TrainableGraph): Uint8Array {
  const graph = new DifferentiableGraph(new GraphBuilder('evaluate'));
  declareOutputs(graph, spec.forward(graph, declareParameters(graph, spec)));
  return graph.graph.toModel();
}

/** The forward graph and the loss's gradient: outputs `loss`, the forward's outputs and `<parameter>_grad`. */
export function buildGradientModel(spec: TrainableGraph): Uint8Array {
  const graph = new DifferentiableGraph(new GraphBuilder('gradient'));
  const parameters = declareParameters(graph, spec);
  const result = spec.forward(graph, parameters);
  declareOutputs(graph, result);
  const gradients = graph.gradients(result.loss, spec.parameters.map((p) => parameters[p.name]));
  spec.parameters.forEach((p, i) => graph.output(`${p.name}_grad`, gradients[i]));
  return graph.graph.toModel();
}

/**
 * The fused training step. Inputs: every parameter, its Adam moments (`<name>_m`, `<name>_v`),
 * the forward's data inputs, and two scalars computed in float64 by the caller, as PyTorch
 * computes them in Python floats: `adam_step_size` = lr / (1 − β1^t) and `adam_bc2_sqrt` =
 * √(1 − β2^t). Outputs: `loss` and the forward's outputs (before the update), and
 * `<name>_out`, `<name>_m_out`, `<name>_v_out`. The update follows PyTorch's order of operations:
 *   m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  p ← p − stepSize · m / (√v / √(1−β2^t) + ε)
 */
export function buildAdamStepModel(spec: TrainableGraph, adam: AdamConstants = ADAM_DEFAULTS): Uint8Array {
  const graph = new DifferentiableGraph(new GraphBuilder('adam_step'));
  const g = graph.graph;
  const parameters = declareParameters(graph, spec);
  for (const p of spec.parameters) {
    g.input(`${p.name}_m`, 'float32', p.dims);
    g.input(`${p.name}_v`, 'float32', p.dims);
  }
  const stepSize = g.input('adam_step_size', 'float32', []);
  const bc2Sqrt = g.input('adam_bc2_sqrt', 'float32', []);
  const result = spec.forward(graph, parameters);
  declareOutputs(graph, result);
  const gradients = graph.gradients(result.loss, spec.parameters.map((p) => parameters[p.name]));
  const beta1 = g.constant(adam.beta1);
  const beta2 = g.constant(adam.beta2);
  const oneMinusBeta1 = g.constant(1 - adam.beta1);
  const oneMinusBeta2 = g.constant(1 - adam.beta2);
  const epsilon = g.constant(adam.epsilon);
  spec.parameters.forEach((p, i) => {
    const gradient = gradients[i].name;
    const m = g.op('Add', [g.op('Mul', [`${p.name}_m`, beta1]), g.op('Mul', [gradient, oneMinusBeta1])], {}, `${p.name}_m_out`);
    const v = g.op('Add', [g.op('Mul', [`${p.name}_v`, beta2]), g.op('Mul', [g.op('Mul', [gradient, gradient]), oneMinusBeta2])], {}, `${p.name}_v_out`);
    const denominator = g.op('Add', [g.op('Div', [g.op('Sqrt', [v]), bc2Sqrt]), epsilon]);
    g.op('Sub', [p.name, g.op('Mul', [g.op('Div', [m, denominator]), stepSize])], {}, `${p.name}_out`);
    for (const suffix of ['_out', '_m_out', '_v_out']) g.output(`${p.name}${suffix}`, 'float32', p.dims as Dim[]);
  });
  return g.toModel();
}

function checkSpec(spec: TrainableGraph): void {
  const names = new Set<string>();
  for (const p of spec.parameters) {
    if (names.has(p.name)) throw new Error(`parameter '${p.name}' is declared twice`);
    names.add(p.name);
    if (p.dims.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`parameter '${p.name}' has shape [${p.dims.join(', ')}]: sizes must be positive integers`);
  }
  for (const p of spec.parameters) {
    for (const suffix of RESERVED_SUFFIXES) {
      if (names.has(`${p.name}${suffix}`)) throw new Error(`parameter names '${p.name}' and '${p.name}${suffix}' collide in the training graph`);
    }
  }
}

function checkValues(spec: TrainableGraph, values: Readonly<ParameterValues>): void {
  for (const p of spec.parameters) {
    const expected = p.dims.reduce((a, b) => a * b, 1);
    const actual = values[p.name]?.length;
    if (actual !== expected) throw new Error(`parameter '${p.name}' has ${actual} values, expected ${expected} [${p.dims.join(' × ')}]`);
  }
}

function toTensors(feeds: Readonly<Record<string, TensorFeed>>): Record<string, OrtTensor> {
  const tensors: Record<string, OrtTensor> = {};
  for (const [name, feed] of Object.entries(feeds)) tensors[name] = floatTensor(feed.data, feed.dims);
  return tensors;
}

function tensorData(outputs: Readonly<Record<string, OrtTensor>>): Record<string, Float32Array> {
  const data: Record<string, Float32Array> = {};
  for (const [name, tensor] of Object.entries(outputs)) data[name] = tensor.data as Float32Array;
  return data;
}

/** Options of the sessions here: intra-op threads (default: every core, as CLUB's trainer). */
export interface TrainingSessionOptions {
  threads?: number | undefined;
}

/** A session of the forward graph with weights as inputs (held-out losses, estimates). */
export interface GraphEvaluator {
  /** Runs the forward graph at these weights; resolves to `loss` and every forward output. */
  run(parameters: Readonly<ParameterValues>, feeds: Readonly<Record<string, TensorFeed>>): Promise<Record<string, Float32Array>>;
  dispose(): void;
}

/** Opens a session of `buildEvaluationModel(spec)`. */
export function createGraphEvaluator(spec: TrainableGraph, options: TrainingSessionOptions = {}): GraphEvaluator {
  checkSpec(spec);
  loadOnnxRuntime();
  let session: Promise<OrtSession> | undefined = createSession(buildEvaluationModel(spec), { threads: resolveThreadCount(options.threads) });
  session.catch(() => undefined);
  return {
    async run(parameters, feeds) {
      if (session === undefined) throw new Error('the evaluator has been disposed');
      checkValues(spec, parameters);
      const inputs: Record<string, TensorFeed> = { ...feeds };
      for (const p of spec.parameters) inputs[p.name] = { data: parameters[p.name], dims: p.dims };
      return tensorData(await (await session).run(toTensors(inputs)));
    },
    dispose() {
      const pending = session;
      session = undefined;
      pending?.then((s) => s.release()).catch(() => undefined);
    },
  };
}

/** The loss and its gradient with respect to every parameter, from the backward graph the trainer appends (for verification). */
export async function lossAndGradients(
  spec: TrainableGraph,
  parameters: Readonly<ParameterValues>,
  feeds: Readonly<Record<string, TensorFeed>>,
  options: TrainingSessionOptions = {},
): Promise<{ loss: number; gradients: ParameterValues; outputs: Record<string, Float32Array> }> {
  checkSpec(spec);
  checkValues(spec, parameters);
  const session = await createSession(buildGradientModel(spec), { threads: resolveThreadCount(options.threads) });
  try {
    const inputs: Record<string, TensorFeed> = { ...feeds };
    for (const p of spec.parameters) inputs[p.name] = { data: parameters[p.name], dims: p.dims };
    const outputs = tensorData(await session.run(toTensors(inputs)));
    const gradients: ParameterValues = {};
    for (const p of spec.parameters) gradients[p.name] = outputs[`${p.name}_grad`];
    return { loss: outputs.loss[0], gradients, outputs };
  } finally {
    await session.release();
  }
}

/** Adam on a TrainableGraph, one fused ORT run per step. */
export interface AdamTrainer {
  /** One step on these data inputs; resolves to `loss` and the forward's outputs, computed before the update. */
  step(feeds: Readonly<Record<string, TensorFeed>>): Promise<Record<string, Float32Array>>;
  /** Copies of the current weights. */
  parameters(): ParameterValues;
  /** Steps taken so far. */
  readonly stepCount: number;
  /** Releases the native session; the trainer cannot be used afterwards. */
  dispose(): void;
}

/** Options of `createAdamTrainer`. */
export interface AdamTrainerOptions extends TrainingSessionOptions {
  learningRate: number;
  adam?: AdamConstants | undefined;
}

/** Starts Adam from copies of `initial` with zero moments. */
export function createAdamTrainer(spec: TrainableGraph, initial: Readonly<ParameterValues>, options: AdamTrainerOptions): AdamTrainer {
  checkSpec(spec);
  checkValues(spec, initial);
  const { learningRate } = options;
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new RangeError(`learning rate must be a positive number, got ${learningRate}`);
  const adam = options.adam ?? ADAM_DEFAULTS;
  loadOnnxRuntime(); // fail here, not at the first step, when ORT is missing
  let sessionPromise: Promise<OrtSession> | undefined = createSession(buildAdamStepModel(spec, adam), { threads: resolveThreadCount(options.threads) });
  sessionPromise.catch(() => undefined);
  let state: Record<string, OrtTensor> = {};
  for (const p of spec.parameters) {
    state[p.name] = floatTensor(initial[p.name].slice(), p.dims);
    state[`${p.name}_m`] = floatTensor(new Float32Array(initial[p.name].length), p.dims);
    state[`${p.name}_v`] = floatTensor(new Float32Array(initial[p.name].length), p.dims);
  }
  const stateNames = Object.keys(state);
  const stateOutputs = new Set(stateNames.map((name) => `${name}_out`));
  let steps = 0;
  let busy = false;
  return {
    async step(feeds) {
      if (sessionPromise === undefined) throw new Error('the trainer has been disposed');
      if (busy) throw new Error('a training step is already running; await it before starting the next');
      busy = true;
      try {
        const session = await sessionPromise;
        const t = steps + 1;
        const out = await session.run({
          ...state,
          ...toTensors(feeds),
          adam_step_size: floatTensor(Float32Array.of(learningRate / (1 - adam.beta1 ** t)), []),
          adam_bc2_sqrt: floatTensor(Float32Array.of(Math.sqrt(1 - adam.beta2 ** t)), []),
        });
        const next: Record<string, OrtTensor> = {};
        for (const name of stateNames) next[name] = out[`${name}_out`];
        state = next;
        steps = t;
        const reported: Record<string, Float32Array> = {};
        for (const [name, tensor] of Object.entries(out)) if (!stateOutputs.has(name)) reported[name] = tensor.data as Float32Array;
        return reported;
      } finally {
        busy = false;
      }
    },
    parameters() {
      const copy: ParameterValues = {};
      for (const p of spec.parameters) copy[p.name] = (state[p.name].data as Float32Array).slice();
      return copy;
    },
    get stepCount() {
      return steps;
    },
    dispose() {
      const pending = sessionPromise;
      sessionPromise = undefined;
      pending?.then((session) => session.release()).catch(() => undefined);
    },
  };
}
