/**
 * Effective mutual information (EMI) and its difference across a shift (EMID):
 *   EMI(P)  = Î(z; z_ŷ) − Î(z; z_y)
 *   EMID    = EMI(P) − EMI(Q)     (positive: the model lost relevance under the shift)
 */
import type { EmbeddingSet, Matrix, MutualInformationEstimator } from '../interface';
import { queryEmbedding } from '../data/queryEmbedding';

export interface EmiResult {
  emi: number;
  /** Î(z; z_ŷ), the model responses' MI with the query. */
  miModel: number;
  /** Î(z; z_y), the reference responses' MI with the query. */
  miReference: number;
}

export interface EmidResult {
  emid: number;
  source: EmiResult;
  target: EmiResult;
}

/** Estimators that can reuse work on a shared x (CLUB's forward pass) implement this. */
interface SharedXEstimator extends MutualInformationEstimator {
  estimateShared(x: Matrix, ys: readonly Matrix[]): Promise<number[]>;
}

function hasSharedX(estimator: MutualInformationEstimator): estimator is SharedXEstimator {
  return typeof (estimator as Partial<SharedXEstimator>).estimateShared === 'function';
}

/** Estimators that compute both of a split's estimates at once (CLUB on the native engine). */
interface SetEstimator extends MutualInformationEstimator {
  estimateForSet(set: EmbeddingSet): Promise<{ miModel: number; miReference: number }>;
}

function hasSetEstimate(estimator: MutualInformationEstimator): estimator is SetEstimator {
  return typeof (estimator as Partial<SetEstimator>).estimateForSet === 'function';
}

/** EMI of a split: Î(z; z_ŷ) − Î(z; z_y) with the given estimator (z the query embedding). */
export async function emi(set: EmbeddingSet, estimator: MutualInformationEstimator): Promise<EmiResult> {
  if (hasSetEstimate(estimator)) {
    const { miModel, miReference } = await estimator.estimateForSet(set);
    return { emi: miModel - miReference, miModel, miReference };
  }
  const z = queryEmbedding(set);
  const [miModel, miReference] = hasSharedX(estimator)
    ? await estimator.estimateShared(z, [set.response, set.reference])
    : [await estimator.estimate(z, set.response), await estimator.estimate(z, set.reference)];
  return { emi: miModel - miReference, miModel, miReference };
}

/** EMID = EMI(source) − EMI(target), with both EMIs; positive when the model lost relevance under the shift. */
export async function emid(source: EmbeddingSet, target: EmbeddingSet, estimator: MutualInformationEstimator): Promise<EmidResult> {
  const sourceEmi = await emi(source, estimator);
  const targetEmi = await emi(target, estimator);
  return { emid: sourceEmi.emi - targetEmi.emi, source: sourceEmi, target: targetEmi };
}
