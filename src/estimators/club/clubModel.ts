/**
 * The CLUB network in plain TypeScript: initialisation and a float64-accumulating forward pass.
 * The forward pass here is the portable one (tests, small inputs, machines without ONNX
 * Runtime); `clubForward` picks the native one when it is there.
 */
import { InputError } from '../../errors';
import type { Matrix } from '../../interface';
import { createRng } from '../../random';
import { CLUB_TENSORS, type ClubParameters, type ClubShape } from './clubParameters';

/** The paper's estimator size: 768-d embeddings, 250 hidden units. */
export const PAPER_CLUB_SHAPE: ClubShape = { xDim: 768, yDim: 768, hiddenDim: 250 };

/** μ(x) and logvar(x), rows × yDim each. */
export interface ClubForward {
  readonly rows: number;
  readonly yDim: number;
  readonly mu: Float32Array;
  readonly logvar: Float32Array;
}

/**
 * Fresh weights with PyTorch's `nn.Linear` default initialisation (weights and biases uniform
 * in ±1/√fan_in), from a seed, so a training run is reproducible.
 */
export function initClubParameters(shape: Partial<ClubShape> & Pick<ClubShape, 'xDim' | 'yDim'>, seed = 0): ClubParameters {
  const full: ClubShape = { hiddenDim: 250, ...shape };
  const rng = createRng(seed);
  const tensors: Record<string, Float32Array> = {};
  for (const tensor of CLUB_TENSORS) {
    const dims = tensor.shape(full);
    const fanIn = tensor.field.endsWith('1') ? full.xDim : full.hiddenDim;
    const bound = 1 / Math.sqrt(fanIn);
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = (2 * rng.next() - 1) * bound;
    tensors[tensor.field] = values;
  }
  return { ...full, ...(tensors as Record<(typeof CLUB_TENSORS)[number]['field'], Float32Array>) };
}

/** Checks every tensor's length against the declared shape (`source` names the origin). */
export function assertClubParameters(params: ClubParameters, source = 'CLUB parameters'): void {
  for (const tensor of CLUB_TENSORS) {
    const expected = tensor.shape(params).reduce((a, b) => a * b, 1);
    const actual = params[tensor.field]?.length;
    if (actual !== expected) {
      throw new InputError(`${tensor.key} has ${actual} values, expected [${tensor.shape(params).join(', ')}]`, { file: source });
    }
  }
}

export function assertClubInput(params: ClubShape, x: Matrix, y?: Matrix): void {
  if (x.cols !== params.xDim) throw new InputError(`x (queries) has dimension ${x.cols}, the CLUB network expects ${params.xDim}`);
  if (y && y.cols !== params.yDim) throw new InputError(`y (responses) has dimension ${y.cols}, the CLUB network expects ${params.yDim}`);
  if (y && y.rows !== x.rows) throw new InputError(`x has ${x.rows} rows and y has ${y.rows}: pairs must be aligned`);
}

/** out[i, o] = act(b[o] + Σ_k in[i, k] · W[o, k]) with W in out × in layout. */
function linear(
  input: ArrayLike<number>,
  rows: number,
  inDim: number,
  weight: Float32Array,
  bias: Float32Array,
  outDim: number,
  activation: 'tanh' | 'none',
): Float64Array {
  const out = new Float64Array(rows * outDim);
  for (let i = 0; i < rows; i++) {
    const inputOffset = i * inDim;
    for (let o = 0; o < outDim; o++) {
      const weightOffset = o * inDim;
      // Four accumulators let V8 overlap the multiply-adds; the sum order differs from a
      // single loop only at float64 rounding level.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k + 3 < inDim; k += 4) {
        s0 += input[inputOffset + k] * weight[weightOffset + k];
        s1 += input[inputOffset + k + 1] * weight[weightOffset + k + 1];
        s2 += input[inputOffset + k + 2] * weight[weightOffset + k + 2];
        s3 += input[inputOffset + k + 3] * weight[weightOffset + k + 3];
      }
      for (; k < inDim; k++) s0 += input[inputOffset + k] * weight[weightOffset + k];
      const value = s0 + s1 + s2 + s3 + bias[o];
      out[i * outDim + o] = activation === 'tanh' ? Math.tanh(value) : value;
    }
  }
  return out;
}

/** μ(x), logvar(x) computed in plain TypeScript (float64 accumulation, float32 result). */
export function clubForwardPortable(params: ClubParameters, x: Matrix): ClubForward {
  assertClubInput(params, x);
  const { xDim, yDim, hiddenDim } = params;
  const hiddenMu = linear(x.data, x.rows, xDim, params.muW1, params.muB1, hiddenDim, 'tanh');
  const mu = linear(hiddenMu, x.rows, hiddenDim, params.muW2, params.muB2, yDim, 'none');
  const hiddenLogvar = linear(x.data, x.rows, xDim, params.logvarW1, params.logvarB1, hiddenDim, 'tanh');
  const logvar = linear(hiddenLogvar, x.rows, hiddenDim, params.logvarW2, params.logvarB2, yDim, 'tanh');
  return { rows: x.rows, yDim, mu: Float32Array.from(mu), logvar: Float32Array.from(logvar) };
}
