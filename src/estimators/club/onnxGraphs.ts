/**
 * The CLUB variational network q(y | x) = N(μ(x), diag exp(logvar(x))) as ONNX graphs: inference
 * (μ, logvar), the held-out loss, and a fused training step (forward, hand-written backward and
 * Adam in one ORT run), so training runs at native GEMM speed with one JS↔native crossing per step.
 * Inference graphs run on the engine thread (backend/onnx/sessionHost); the training step runs in
 * the caller's thread, where its state tensors go from one step to the next without copies.
 *
 * Loss (to minimise; the negative CLUB log-likelihood up to constants and a factor 2):
 *   L = mean_i Σ_d [ (μ_id − y_id)² exp(−logvar_id) + logvar_id ]
 */
import { InputError } from '../../errors';
import type { Matrix } from '../../interface';
import { CLUB_TENSORS, type ClubParameters, type ClubShape, type ClubTensorField } from './clubParameters';
import { ADAM } from './clubTrainer';
import { LOGVAR_SATURATION_LEVEL, type LogvarSaturation } from './clubEstimate';
import { GraphBuilder, float, type Attributes } from '../../backend/onnx/modelBuilder';
import { createSession, floatTensor, loadOnnxRuntime, resolveThreadCount, toFloat32, type OrtSession, type OrtTensor } from '../../backend/onnx/runtime';
import { createHostedSession, defaultHostedThreads, startSessionHost, type FloatFeed, type HostedSession } from '../../backend/onnx/sessionHost';

export interface ClubRunOptions {
  /** Intra-op threads; defaults to one fewer than the cores (see sessionHost). */
  threads?: number | undefined;
}

function checkParameters(p: ClubParameters): void {
  for (const dim of ['xDim', 'yDim', 'hiddenDim'] as const) {
    if (!Number.isInteger(p[dim]) || p[dim] < 1) throw new InputError(`CLUB parameters: ${dim} must be a positive integer, got ${p[dim]}`);
  }
  for (const tensor of CLUB_TENSORS) {
    const expected = tensor.shape(p).reduce((a, b) => a * b, 1);
    const actual = p[tensor.field]?.length;
    if (actual !== expected) {
      throw new InputError(`CLUB parameters: ${tensor.key} has ${actual} values, expected ${expected} [${tensor.shape(p).join(' × ')}]`);
    }
  }
}

function checkBatch(p: ClubShape, x: Matrix, y?: Matrix): void {
  if (x.cols !== p.xDim) throw new InputError(`x has ${x.cols} columns but the CLUB network expects ${p.xDim}`);
  if (x.data.length < x.rows * x.cols) throw new InputError(`x is ${x.rows} × ${x.cols} but holds only ${x.data.length} values`);
  if (y === undefined) return;
  if (y.cols !== p.yDim) throw new InputError(`y has ${y.cols} columns but the CLUB network expects ${p.yDim}`);
  if (y.rows !== x.rows) throw new InputError(`x has ${x.rows} rows but y has ${y.rows}`);
  if (y.data.length < y.rows * y.cols) throw new InputError(`y is ${y.rows} × ${y.cols} but holds only ${y.data.length} values`);
}

function matrixData(m: Matrix): Float32Array {
  const size = m.rows * m.cols;
  return toFloat32(m.data.length === size ? m.data : m.data.subarray(0, size));
}

// ---------------------------------------------------------------------------------------------
// Graph pieces

/** The eight parameter tensors, in CLUB_TENSORS order; graph values use the same names. */
const FIELDS: readonly ClubTensorField[] = CLUB_TENSORS.map((t) => t.field);
type Names = Record<ClubTensorField, string>;

function fieldDims(shape: ClubShape): Record<ClubTensorField, number[]> {
  const dims = {} as Record<ClubTensorField, number[]>;
  for (const t of CLUB_TENSORS) dims[t.field] = t.shape(shape);
  return dims;
}

interface Forward {
  am: string;
  as: string;
  mu: string;
  /** logvar, or −logvar when asked for (the loss needs exp(−logvar): negating in the GEMM saves a pass). */
  lv: string;
}

/**
 * μ and logvar (or −logvar) from x. The two first layers are separate GEMMs rather than one
 * stacked [2h, xDim] GEMM: measured on ORT 1.30, stacking is no faster even at 90 rows (kernel
 * launches are cheap) and slower at training batch sizes, where the Split of the activations and
 * the Concat of their gradients copy a [B, 2h] tensor each per step. ORT's optimiser fuses each
 * Gemm + Tanh into one kernel. −logvar = tanh(−s) comes from the same GEMM with alpha = beta = −1,
 * as tanh is odd.
 */
function addForward(g: GraphBuilder, w: Names, x: string, options: { negateLogvar?: boolean; muName?: string; lvName?: string } = {}): Forward {
  const head: Attributes = options.negateLogvar ? { transB: 1, alpha: float(-1), beta: float(-1) } : { transB: 1 };
  const am = g.op('Tanh', [g.op('Gemm', [x, w.muW1, w.muB1], { transB: 1 })]);
  const as = g.op('Tanh', [g.op('Gemm', [x, w.logvarW1, w.logvarB1], { transB: 1 })]);
  const mu = g.op('Gemm', [am, w.muW2, w.muB2], { transB: 1 }, options.muName);
  const lv = g.op('Tanh', [g.op('Gemm', [as, w.logvarW2, w.logvarB2], head)], {}, options.lvName);
  return { am, as, mu, lv };
}

/** 1 / batch size, as a float scalar computed from x's run-time shape. */
function addInverseBatch(g: GraphBuilder, x: string): string {
  const rows = g.op('Gather', [g.op('Shape', [x]), g.int64Constant([0], [])], { axis: 0 });
  return g.op('Reciprocal', [g.op('Cast', [rows], { to: 1 })]);
}

interface LossAndGradients {
  /** The mean loss (scalar). */
  loss: string;
  /** 1/B (scalar). */
  invB: string;
  /**
   * B × the gradient of the mean loss, per parameter. The 1/B is left to the consumer so that
   * it scales parameter-sized tensors (or folds into Adam's coefficients) instead of costing
   * extra passes over [B, yDim] activations.
   */
  sumGrads: Names;
}

/**
 * The loss and its gradient, by hand. With d = μ − y, e = exp(−lv), q = d² e, per row and
 * before the 1/B of the mean:
 *   ∂/∂μ = 2 d e,   ∂/∂lv = 1 − q,   ∂/∂s = (1 − q)(1 − lv²)   (s = pre-tanh logvar; tanh' = 1 − tanh²)
 * then the linear-layer rules ∂W = δᵀ·input, ∂b = Σ_rows δ, ∂input = δ·W, and tanh' again for
 * the hidden layers.
 */
function addLossAndGradients(g: GraphBuilder, w: Names, x: string, y: string, lossName: string): LossAndGradients {
  const f = addForward(g, w, x, { negateLogvar: true });
  const negLv = f.lv;
  const invB = addInverseBatch(g, x);
  const one = g.constant(1);
  const rowAxis = g.int64Constant([0]);
  const d = g.op('Sub', [f.mu, y]);
  const de = g.op('Mul', [d, g.op('Exp', [negLv])]);
  const q = g.op('Mul', [d, de]);
  // Σq + Σlv = Σq − Σ(−lv): two read-only reductions are cheaper than materialising q + lv.
  const total = g.op('Sub', [g.op('ReduceSum', [q], { keepdims: 0 }), g.op('ReduceSum', [negLv], { keepdims: 0 })]);
  const loss = g.op('Mul', [total, invB], {}, lossName);

  // The factor 2 of ∂/∂μ rides on the GEMMs' alpha rather than costing a pass over [B, yDim].
  const ds = g.op('Mul', [g.op('Sub', [one, q]), g.op('Sub', [one, g.op('Mul', [negLv, negLv])])]);
  const muW2 = g.op('Gemm', [de, f.am], { transA: 1, alpha: float(2) });
  const muB2 = g.op('Mul', [g.op('ReduceSum', [de, rowAxis], { keepdims: 0 }), g.constant(2)]);
  const logvarW2 = g.op('Gemm', [ds, f.as], { transA: 1 });
  const logvarB2 = g.op('ReduceSum', [ds, rowAxis], { keepdims: 0 });
  const dzm = g.op('Mul', [g.op('Gemm', [de, w.muW2], { alpha: float(2) }), g.op('Sub', [one, g.op('Mul', [f.am, f.am])])]);
  const dzs = g.op('Mul', [g.op('MatMul', [ds, w.logvarW2]), g.op('Sub', [one, g.op('Mul', [f.as, f.as])])]);
  const muW1 = g.op('Gemm', [dzm, x], { transA: 1 });
  const muB1 = g.op('ReduceSum', [dzm, rowAxis], { keepdims: 0 });
  const logvarW1 = g.op('Gemm', [dzs, x], { transA: 1 });
  const logvarB1 = g.op('ReduceSum', [dzs, rowAxis], { keepdims: 0 });
  return { loss, invB, sumGrads: { muW1, muB1, muW2, muB2, logvarW1, logvarB1, logvarW2, logvarB2 } };
}


interface AdamScalars {
  beta1: string;
  beta2: string;
  /** (1 − β1)/B: applied to B·g, gives (1 − β1) g. */
  gradScale1: string;
  /** (1 − β2)/B²: applied to (B·g)², gives (1 − β2) g². */
  gradScale2: string;
  eps: string;
  stepSize: string;
  bc2Sqrt: string;
}

/**
 * One Adam update, in PyTorch's order of operations:
 *   m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²
 *   p ← p − stepSize · m / (√v / √(1−β2^t) + eps),  stepSize = lr / (1−β1^t)
 */
function addAdam(g: GraphBuilder, k: AdamScalars, name: ClubTensorField, sumGrad: string): void {
  const m = g.op('Add', [g.op('Mul', [`${name}_m`, k.beta1]), g.op('Mul', [sumGrad, k.gradScale1])], {}, `${name}_m_out`);
  const v = g.op('Add', [g.op('Mul', [`${name}_v`, k.beta2]), g.op('Mul', [g.op('Mul', [sumGrad, sumGrad]), k.gradScale2])], {}, `${name}_v_out`);
  const denom = g.op('Add', [g.op('Div', [g.op('Sqrt', [v]), k.bc2Sqrt]), k.eps]);
  g.op('Sub', [name, g.op('Mul', [g.op('Div', [m, denom]), k.stepSize])], {}, `${name}_out`);
}

function parameterInputs(g: GraphBuilder, shape: ClubShape): Names {
  const dims = fieldDims(shape);
  const names = {} as Names;
  for (const field of FIELDS) names[field] = g.input(field, 'float32', dims[field]);
  return names;
}

/** The parameters as initializers: baked-in weights let ORT pre-pack them for its GEMMs. */
function parameterInitializers(g: GraphBuilder, p: ClubParameters): Names {
  const dims = fieldDims(p);
  const names = {} as Names;
  for (const field of FIELDS) names[field] = g.initializer(field, p[field], dims[field]);
  return names;
}

function buildForwardModel(p: ClubParameters): Uint8Array {
  const g = new GraphBuilder('club_forward');
  const x = g.input('x', 'float32', ['batch', p.xDim]);
  addForward(g, parameterInitializers(g, p), x, { muName: 'mu', lvName: 'logvar' });
  g.output('mu', 'float32', ['batch', p.yDim]);
  g.output('logvar', 'float32', ['batch', p.yDim]);
  return g.toModel();
}

/**
 * The estimates of several y against one x in one run: the forward pass on x, and for each y_k
 * the per-row CLUB terms
 *   r_i = Σ_d (E_j[y_jd²] − 2 μ_id (ȳ_d − y_id) − y_id²) · exp(−logvar_id) / 2,
 * whose mean over rows is the estimate (rows are averaged in float64 in JS). Doing the element-
 * wise work here, vectorised, is several times faster than any pass over n × d in JS. EMI's two
 * terms (y = z_ŷ and z_y against z) take one run.
 *
 * The run also reports, per row, how many log-variance outputs are saturated and the largest
 * |logvar| (see logvarSaturation in clubEstimate.ts), so that the estimator's diagnosis needs
 * no forward session of its own: |−logvar| is |logvar| (the negation is exact, and tanh is odd).
 */
function buildManyModel(p: ClubParameters, count: number): Uint8Array {
  const g = new GraphBuilder('club_many');
  const x = g.input('x', 'float32', ['batch', p.xDim]);
  const f = addForward(g, parameterInitializers(g, p), x, { negateLogvar: true });
  const magnitude = g.op('Abs', [f.lv]);
  // A float32 m exceeds the (double) level exactly when it reaches or passes the level's nearest
  // float32 from the side the level lies on, so the count is the JS count to the last unit.
  const threshold = Math.fround(LOGVAR_SATURATION_LEVEL);
  const beyond = g.op(threshold > LOGVAR_SATURATION_LEVEL ? 'GreaterOrEqual' : 'Greater', [magnitude, g.constant(threshold)]);
  g.op('ReduceSum', [g.op('Cast', [beyond], { to: 1 }), g.int64Constant([1])], { keepdims: 0 }, 'logvar_saturated');
  g.output('logvar_saturated', 'float32', ['batch']);
  g.op('ReduceMax', [magnitude], { axes: [1], keepdims: 0 }, 'logvar_largest');
  g.output('logvar_largest', 'float32', ['batch']);
  const halfPrecision = g.op('Mul', [g.op('Exp', [f.lv]), g.constant(0.5)]);
  for (let k = 0; k < count; k++) {
    const y = g.input(`y${k}`, 'float32', ['batch', p.yDim]);
    const mean = g.op('ReduceMean', [y], { axes: [0], keepdims: 1 });
    const square = g.op('Mul', [y, y]);
    const meanSquare = g.op('ReduceMean', [square], { axes: [0], keepdims: 1 });
    const cross = g.op('Mul', [g.op('Mul', [f.mu, g.op('Sub', [mean, y])]), g.constant(2)]);
    const term = g.op('Mul', [g.op('Sub', [g.op('Sub', [meanSquare, cross]), square]), halfPrecision]);
    g.op('ReduceSum', [term, g.int64Constant([1])], { keepdims: 0 }, `rows${k}`);
    g.output(`rows${k}`, 'float32', ['batch']);
  }
  return g.toModel();
}

/** Per-row loss terms Σ_d [(μ − y)² e^{−lv} + lv]; rows are summed in float64 in JS. */
function buildLossModel(p: ClubParameters): Uint8Array {
  const g = new GraphBuilder('club_loss');
  const x = g.input('x', 'float32', ['batch', p.xDim]);
  const y = g.input('y', 'float32', ['batch', p.yDim]);
  const f = addForward(g, parameterInitializers(g, p), x, { negateLogvar: true });
  const d = g.op('Sub', [f.mu, y]);
  const q = g.op('Mul', [g.op('Mul', [d, d]), g.op('Exp', [f.lv])]);
  g.op('ReduceSum', [g.op('Sub', [q, f.lv]), g.int64Constant([1])], { keepdims: 0 }, 'row_loss');
  g.output('row_loss', 'float32', ['batch']);
  return g.toModel();
}

/** Loss and gradients with the weights as inputs (one model per shape). */
function buildGradientModel(shape: ClubShape): Uint8Array {
  const g = new GraphBuilder('club_gradient');
  const w = parameterInputs(g, shape);
  const x = g.input('x', 'float32', ['batch', shape.xDim]);
  const y = g.input('y', 'float32', ['batch', shape.yDim]);
  const { invB, sumGrads } = addLossAndGradients(g, w, x, y, 'loss');
  g.output('loss', 'float32', []);
  const dims = fieldDims(shape);
  for (const field of FIELDS) {
    g.op('Mul', [sumGrads[field], invB], {}, `${field}_grad`);
    g.output(`${field}_grad`, 'float32', dims[field]);
  }
  return g.toModel();
}

/**
 * The fused training step. Inputs: the eight parameters (named as the ClubParameters fields),
 * their Adam moments (`<name>_m`, `<name>_v`), x, y, and two scalars: step_size = lr / (1 − β1^t)
 * and bc2_sqrt = √(1 − β2^t) (computed in float64 in JS, as PyTorch computes them in Python
 * floats). Outputs: loss (before the update) and `<name>_out`, `<name>_m_out`, `<name>_v_out`.
 */
function buildTrainingModel(shape: ClubShape): Uint8Array {
  const g = new GraphBuilder('club_train_step');
  const w = parameterInputs(g, shape);
  const dims = fieldDims(shape);
  for (const field of FIELDS) {
    g.input(`${field}_m`, 'float32', dims[field]);
    g.input(`${field}_v`, 'float32', dims[field]);
  }
  const x = g.input('x', 'float32', ['batch', shape.xDim]);
  const y = g.input('y', 'float32', ['batch', shape.yDim]);
  const stepSize = g.input('step_size', 'float32', []);
  const bc2Sqrt = g.input('bc2_sqrt', 'float32', []);
  const { invB, sumGrads } = addLossAndGradients(g, w, x, y, 'loss');
  const k: AdamScalars = {
    beta1: g.constant(ADAM.beta1),
    beta2: g.constant(ADAM.beta2),
    gradScale1: g.op('Mul', [invB, g.constant(1 - ADAM.beta1)]),
    gradScale2: g.op('Mul', [g.op('Mul', [invB, invB]), g.constant(1 - ADAM.beta2)]),
    eps: g.constant(ADAM.epsilon),
    stepSize,
    bc2Sqrt,
  };
  for (const field of FIELDS) addAdam(g, k, field, sumGrads[field]);
  g.output('loss', 'float32', []);
  for (const field of FIELDS) {
    g.output(`${field}_out`, 'float32', dims[field]);
    g.output(`${field}_m_out`, 'float32', dims[field]);
    g.output(`${field}_v_out`, 'float32', dims[field]);
  }
  return g.toModel();
}

// ---------------------------------------------------------------------------------------------
// Sessions

/**
 * Sessions with baked-in weights, per parameter object. Keyed by object identity: parameters are
 * treated as immutable once used here (the trainer hands out fresh copies, never aliases).
 */
const bakedSessions = new WeakMap<ClubParameters, Map<string, HostedSession>>();
const gradientSessions = new Map<string, HostedSession>();

/** A baked session's kind: the forward pass, the loss, or the estimates of `many-<k>` y against one x. */
type BakedKind = 'forward' | 'loss' | `many-${number}`;

function buildBaked(p: ClubParameters, kind: BakedKind): Uint8Array {
  if (kind === 'forward') return buildForwardModel(p);
  if (kind === 'loss') return buildLossModel(p);
  return buildManyModel(p, Number(kind.slice('many-'.length)));
}

function bakedSession(p: ClubParameters, kind: BakedKind, threads: number | undefined): HostedSession {
  let perParams = bakedSessions.get(p);
  if (perParams === undefined) {
    perParams = new Map();
    bakedSessions.set(p, perParams);
  }
  const key = `${kind}/${threads ?? defaultHostedThreads()}`;
  let session = perParams.get(key);
  if (session === undefined) {
    session = createHostedSession(buildBaked(p, kind), { threads });
    perParams.set(key, session);
  }
  return session;
}

/** Runs a cached session; one that failed is dropped so that the next call builds it again. */
async function runCached(cache: Map<string, HostedSession>, key: string, session: HostedSession, feeds: Record<string, FloatFeed>): Promise<Record<string, Float32Array>> {
  try {
    return await session.run(feeds);
  } catch (error) {
    if (cache.get(key) === session) cache.delete(key);
    throw error;
  }
}

function runBaked(p: ClubParameters, kind: BakedKind, threads: number | undefined, feeds: Record<string, FloatFeed>): Promise<Record<string, Float32Array>> {
  const session = bakedSession(p, kind, threads);
  return runCached(bakedSessions.get(p) as Map<string, HostedSession>, `${kind}/${threads ?? defaultHostedThreads()}`, session, feeds);
}

const feed = (m: Matrix): FloatFeed => ({ data: matrixData(m), dims: [m.rows, m.cols] });

function meanOf(values: Float32Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total / values.length;
}

// ---------------------------------------------------------------------------------------------
// Public API

/** μ(x) and logvar(x), each rows × yDim row-major, computed in float32. */
export async function clubForward(params: ClubParameters, x: Matrix, options: ClubRunOptions = {}): Promise<{ mu: Float32Array; logvar: Float32Array }> {
  checkParameters(params);
  checkBatch(params, x);
  if (x.rows === 0) return { mu: new Float32Array(0), logvar: new Float32Array(0) };
  const out = await runBaked(params, 'forward', options.threads, { x: feed(x) });
  return { mu: out.mu, logvar: out.logvar };
}

/** Starts the engine thread and loads ONNX Runtime there, without waiting. */
export function startEngine(): void {
  startSessionHost();
}

/**
 * Builds, in the background, the session that estimates `count` y against one x with these
 * weights, so that the first estimate does not wait for it.
 */
export function prepareClubEstimates(params: ClubParameters, count: number, options: ClubRunOptions = {}): void {
  checkParameters(params);
  startSessionHost();
  bakedSession(params, `many-${count}`, options.threads);
}

/** One run of the `many-k` session: every y_k's per-row terms and the saturation on x, from the same pass. */
async function runMany(params: ClubParameters, x: Matrix, ys: readonly Matrix[], threads: number | undefined): Promise<{ rows: Float32Array[]; saturation: LogvarSaturation }> {
  const feeds: Record<string, FloatFeed> = { x: feed(x) };
  ys.forEach((y, k) => (feeds[`y${k}`] = feed(y)));
  const out = await runBaked(params, `many-${ys.length}`, threads, feeds);
  let saturated = 0;
  let largest = 0;
  for (let i = 0; i < x.rows; i++) {
    saturated += out.logvar_saturated[i];
    if (out.logvar_largest[i] > largest) largest = out.logvar_largest[i];
  }
  // No queries: nothing saturated (not 0 / 0).
  const share = x.rows === 0 ? 0 : saturated / (x.rows * params.yDim);
  return { rows: ys.map((_, k) => out[`rows${k}`]), saturation: { share, largest } };
}

function checkMany(params: ClubParameters, x: Matrix, ys: readonly Matrix[]): void {
  checkParameters(params);
  checkBatch(params, x);
  for (const y of ys) checkBatch(params, x, y);
}

/**
 * The per-row CLUB terms of Î(x; y_k) for every y_k, after one forward pass on x (float32
 * network and terms); the mean of each is the estimate.
 */
export async function clubRowTermsMany(params: ClubParameters, x: Matrix, ys: readonly Matrix[], options: ClubRunOptions = {}): Promise<Float32Array[]> {
  checkMany(params, x, ys);
  if (ys.length === 0) return [];
  return (await runMany(params, x, ys, options.threads)).rows;
}

/**
 * `clubEstimatesMany` with the variance network's saturation on x (`clubLogvarSaturation`'s
 * numbers) from the same run, for an estimator that is asked for both.
 */
export async function clubEstimatesAndSaturation(params: ClubParameters, x: Matrix, ys: readonly Matrix[], options: ClubRunOptions = {}): Promise<{ estimates: number[]; saturation: LogvarSaturation }> {
  checkMany(params, x, ys);
  if (ys.length === 0) return { estimates: [], saturation: await clubLogvarSaturation(params, x, options) };
  const { rows, saturation } = await runMany(params, x, ys, options.threads);
  return { estimates: rows.map(meanOf), saturation };
}

/**
 * How saturated the variance network is on x (see logvarSaturation in clubEstimate.ts, whose
 * numbers these are), from a run of the session EMI's estimates use (zero responses, whose terms
 * are not read), so that no forward session is built for it.
 */
export async function clubLogvarSaturation(params: ClubParameters, x: Matrix, options: ClubRunOptions = {}): Promise<LogvarSaturation> {
  checkParameters(params);
  checkBatch(params, x);
  if (x.rows === 0) return { share: 0, largest: 0 };
  const zeros = new Float32Array(x.rows * params.yDim);
  const y = { rows: x.rows, cols: params.yDim, data: zeros };
  return (await runMany(params, x, [y, y], options.threads)).saturation;
}

/** Î(x; y_k) for every y_k after one forward pass (float32 network and terms, float64 mean over rows). */
export async function clubEstimatesMany(params: ClubParameters, x: Matrix, ys: readonly Matrix[], options: ClubRunOptions = {}): Promise<number[]> {
  return (await clubRowTermsMany(params, x, ys, options)).map(meanOf);
}

/** The mean training loss L over the rows of (x, y), forward only (held-out evaluation). */
export async function clubLoss(params: ClubParameters, x: Matrix, y: Matrix, options: ClubRunOptions = {}): Promise<number> {
  checkParameters(params);
  checkBatch(params, x, y);
  if (x.rows === 0) throw new InputError('the CLUB loss needs at least one row');
  const out = await runBaked(params, 'loss', options.threads, { x: feed(x), y: feed(y) });
  return meanOf(out.row_loss);
}

/**
 * The loss and its gradient with respect to every parameter (same ClubParameters layout), from
 * the same backward graph the trainer uses. Mainly for verification.
 */
export async function clubLossAndGradient(
  params: ClubParameters,
  x: Matrix,
  y: Matrix,
  options: ClubRunOptions = {},
): Promise<{ loss: number; gradient: ClubParameters }> {
  checkParameters(params);
  checkBatch(params, x, y);
  if (x.rows === 0) throw new InputError('the CLUB loss needs at least one row');
  const threads = options.threads ?? defaultHostedThreads();
  const shape = { xDim: params.xDim, yDim: params.yDim, hiddenDim: params.hiddenDim };
  const key = `${shape.xDim}/${shape.yDim}/${shape.hiddenDim}/${threads}`;
  let session = gradientSessions.get(key);
  if (session === undefined) {
    session = createHostedSession(buildGradientModel(shape), { threads });
    gradientSessions.set(key, session);
  }
  const dims = fieldDims(shape);
  const feeds: Record<string, FloatFeed> = { x: feed(x), y: feed(y) };
  for (const field of FIELDS) feeds[field] = { data: params[field], dims: dims[field] };
  const out = await runCached(gradientSessions, key, session, feeds);
  const gradient = {} as Record<ClubTensorField, Float32Array>;
  for (const field of FIELDS) gradient[field] = out[`${field}_grad`];
  return { loss: out.loss[0], gradient: { ...shape, ...gradient } };
}

export interface ClubOnnxTrainerOptions {
  learningRate: number;
  /** Intra-op threads; defaults to `os.availableParallelism()`. */
  threads?: number | undefined;
}

export interface ClubOnnxTrainer {
  /** One Adam step on the first `rows` rows of x (rows × xDim) and y (rows × yDim); returns the batch loss before the update. */
  step(x: Float32Array, y: Float32Array, rows: number): Promise<number>;
  /** The current weights (fresh copies). */
  parameters(): ClubParameters;
  /** Adam steps taken so far. */
  readonly stepCount: number;
  /** Releases the native session; the trainer cannot be used afterwards. */
  dispose(): void;
}

/** Parameters plus both Adam moments, as ORT tensors keyed by graph input name. */
type TensorSet = Record<string, OrtTensor>;

/** The eight parameter arrays among named tensors (run outputs or a state set), by field name plus suffix. */
function tensorData(tensors: Readonly<Record<string, OrtTensor>>, suffix: string, copy = false): Record<ClubTensorField, Float32Array> {
  const out = {} as Record<ClubTensorField, Float32Array>;
  for (const field of FIELDS) {
    const data = tensors[`${field}${suffix}`].data as Float32Array;
    out[field] = copy ? data.slice() : data;
  }
  return out;
}

function initialState(params: ClubParameters): TensorSet {
  const dims = fieldDims(params);
  const set: TensorSet = {};
  for (const field of FIELDS) {
    set[field] = floatTensor(params[field].slice(), dims[field]);
    set[`${field}_m`] = floatTensor(new Float32Array(params[field].length), dims[field]);
    set[`${field}_v`] = floatTensor(new Float32Array(params[field].length), dims[field]);
  }
  return set;
}

/**
 * Trains a CLUB network with Adam (PyTorch defaults) on ONNX Runtime. Starts from a copy of
 * `params` with zero moments. Each step runs one fused forward/backward/Adam graph.
 */
export function createClubOnnxTrainer(params: ClubParameters, options: ClubOnnxTrainerOptions): ClubOnnxTrainer {
  checkParameters(params);
  const learningRate = options.learningRate;
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new InputError(`learning rate must be a positive number, got ${learningRate}`);
  const threads = resolveThreadCount(options.threads);
  loadOnnxRuntime(); // fail here, not at the first step, when ORT is missing
  const shape: ClubShape = { xDim: params.xDim, yDim: params.yDim, hiddenDim: params.hiddenDim };
  let sessionPromise: Promise<OrtSession> | undefined = createSession(buildTrainingModel(shape), { threads });
  // Creation errors surface at the first step; this only keeps them from being "unhandled" before.
  sessionPromise.catch(() => undefined);

  // The state lives in the tensors a step returns, which are fed straight back as the next
  // step's inputs. (Pre-allocated outputs would not save anything: onnxruntime-node 1.30 copies
  // every output into a fresh ArrayBuffer even when the caller supplies one.)
  let state = initialState(params);
  const stateNames = Object.keys(state);
  let steps = 0;
  let busy = false;
  const { xDim, yDim } = shape;

  return {
    async step(x: Float32Array, y: Float32Array, rows: number): Promise<number> {
      if (sessionPromise === undefined) throw new Error('the CLUB trainer has been disposed');
      if (busy) throw new Error('a CLUB training step is already running; await it before starting the next');
      if (!Number.isInteger(rows) || rows < 1) throw new InputError(`batch rows must be a positive integer, got ${rows}`);
      if (x.length < rows * xDim) throw new InputError(`x holds ${x.length} values, fewer than ${rows} rows × ${xDim}`);
      if (y.length < rows * yDim) throw new InputError(`y holds ${y.length} values, fewer than ${rows} rows × ${yDim}`);
      busy = true;
      try {
        const session = await sessionPromise;
        const t = steps + 1;
        const out = await session.run({
          ...state,
          x: floatTensor(x.length === rows * xDim ? x : x.subarray(0, rows * xDim), [rows, xDim]),
          y: floatTensor(y.length === rows * yDim ? y : y.subarray(0, rows * yDim), [rows, yDim]),
          step_size: floatTensor(Float32Array.of(learningRate / (1 - ADAM.beta1 ** t)), []),
          bc2_sqrt: floatTensor(Float32Array.of(Math.sqrt(1 - ADAM.beta2 ** t)), []),
        });
        const next: TensorSet = {};
        for (const name of stateNames) next[name] = out[`${name}_out`];
        state = next;
        steps = t;
        return (out.loss.data as Float32Array)[0];
      } finally {
        busy = false;
      }
    },
    parameters(): ClubParameters {
      return { ...shape, ...tensorData(state, '', true) };
    },
    get stepCount(): number {
      return steps;
    },
    dispose(): void {
      const pending = sessionPromise;
      sessionPromise = undefined;
      pending?.then((session) => session.release()).catch(() => undefined);
    },
  };
}
