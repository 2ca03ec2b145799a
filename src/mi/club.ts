/**
 * The CLUB estimator (Cheng et al., 2020) as the paper uses it: a trained variational network
 * q(y | x) = N(μ(x), diag(exp(logvar(x)))) and the contrastive log-ratio upper bound
 * estimate. Construct it from parameters (trained here, or loaded from a file).
 */
import type { EmbeddingSet, Matrix, MutualInformationEstimator } from '../interface';
import { queryEmbedding } from './queryEmbedding';
import type { ClubParameters } from './clubParameters';
import { clubEstimateFromForward } from './clubEstimate';
import { assertClubInput, assertClubParameters, clubForwardPortable, type ClubForward } from './clubModel';

/** 'native' runs the network in ONNX Runtime; 'portable' in plain TypeScript; 'auto' picks native when installed. */
export type ClubEngine = 'auto' | 'native' | 'portable';

type NativeClub = typeof import('../backend/onnx/clubGraphs');
let nativeClub: NativeClub | null | undefined;

function loadNativeClub(required: boolean): NativeClub | null {
  if (nativeClub === undefined) {
    try {
      require.resolve('onnxruntime-node');
      nativeClub = require('../backend/onnx/clubGraphs') as NativeClub;
    } catch (error) {
      nativeClub = null;
      if (required) throw error;
    }
  }
  if (!nativeClub && required) throw new Error('the native CLUB engine needs onnxruntime-node, which is not installed');
  return nativeClub;
}

/** μ(x) and logvar(x) on the chosen engine. */
export async function clubForward(params: ClubParameters, x: Matrix, engine: ClubEngine = 'auto'): Promise<ClubForward> {
  assertClubInput(params, x);
  const native = engine === 'portable' ? null : loadNativeClub(engine === 'native');
  if (!native) return clubForwardPortable(params, x);
  const { mu, logvar } = await native.clubForward(params, x);
  return { rows: x.rows, yDim: params.yDim, mu, logvar };
}

export class ClubEstimator implements MutualInformationEstimator {
  constructor(
    readonly parameters: ClubParameters,
    readonly engine: ClubEngine = 'auto',
  ) {
    assertClubParameters(parameters);
  }

  /** Which engine runs the network: 'onnxruntime-node' (native) or 'portable' (TypeScript). */
  resolvedEngine(): 'onnxruntime-node' | 'portable' {
    return this.engine !== 'portable' && loadNativeClub(this.engine === 'native') ? 'onnxruntime-node' : 'portable';
  }

  /** Î(x; y), the CLUB estimate. */
  async estimate(x: Matrix, y: Matrix): Promise<number> {
    const [value] = await this.estimateShared(x, [y]);
    return value;
  }

  /**
   * Î(z; z_ŷ) and Î(z; z_y) of a split. The native engine builds z, runs the network and
   * reduces both estimates in one call.
   */
  async estimateForSet(set: EmbeddingSet): Promise<{ miModel: number; miReference: number }> {
    assertClubInput(this.parameters, set.text, set.response);
    assertClubInput(this.parameters, set.text, set.reference);
    if (set.image) assertClubInput(this.parameters, set.image, set.response);
    const native = this.engine === 'portable' ? null : loadNativeClub(this.engine === 'native');
    if (native) return native.clubEmiEstimates(this.parameters, set);
    const [miModel, miReference] = await this.estimateShared(queryEmbedding(set), [set.response, set.reference]);
    return { miModel, miReference };
  }

  /** Î(x; y_k) for several y sharing x, with one forward pass on x. */
  async estimateShared(x: Matrix, ys: readonly Matrix[]): Promise<number[]> {
    for (const y of ys) assertClubInput(this.parameters, x, y);
    const forward = await clubForward(this.parameters, x, this.engine);
    return ys.map((y) => clubEstimateFromForward(forward, y));
  }
}

/** The estimate as a plain function: clubEstimate(params, x, y). */
export function clubEstimate(params: ClubParameters, x: Matrix, y: Matrix, engine: ClubEngine = 'auto'): Promise<number> {
  return new ClubEstimator(params, engine).estimate(x, y);
}
