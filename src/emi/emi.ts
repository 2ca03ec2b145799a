/**
 * Effective mutual information (EMI) and its difference across a shift (EMID):
 *   EMI(P)  = Î(z; z_ŷ) − Î(z; z_y)
 *   EMID    = EMI(P) − EMI(Q)     (positive: the model lost relevance under the shift)
 * with any estimator of the contract (src/interface.ts): both terms come from one
 * `estimateMany` call, which CLUB answers after one forward pass over z.
 */
import type { EmbeddingSet, EmiResult, EmidResult, Matrix, MutualInformationEstimator, TrainableEstimator } from '../interface';
import { queryEmbedding } from '../data/queryEmbedding';
import { pooledReferencePairs } from '../data/pooledPairs';

export type { EmiResult, EmidResult } from '../interface';

/** EMI of a split: Î(z; z_ŷ) − Î(z; z_y) with the given estimator (z the query embedding). */
export async function emi(set: EmbeddingSet, estimator: MutualInformationEstimator): Promise<EmiResult> {
  return emiOfQuery(set, queryEmbedding(set), estimator);
}

/** `emi` with the split's query embedding z already formed (`queryEmbedding(set)`), for callers that use z again. */
export async function emiOfQuery(set: EmbeddingSet, query: Matrix, estimator: MutualInformationEstimator): Promise<EmiResult> {
  const [miModel, miReference] = await estimator.estimateMany(query, [set.response, set.reference]);
  return { emi: miModel - miReference, miModel, miReference };
}

/** EMID = EMI(source) − EMI(target), with both EMIs; positive when the model lost relevance under the shift. */
export async function emid(source: EmbeddingSet, target: EmbeddingSet, estimator: MutualInformationEstimator): Promise<EmidResult> {
  const sourceEmi = await emi(source, estimator);
  const targetEmi = await emi(target, estimator);
  return { emid: sourceEmi.emi - targetEmi.emi, source: sourceEmi, target: targetEmi };
}

/** A new estimator of this one's kind and settings, fitted on the splits' pooled reference pairs (see pooledReferencePairs). */
export async function fitOnReferencePairs(estimator: TrainableEstimator, sets: readonly EmbeddingSet[]): Promise<TrainableEstimator> {
  return estimator.fit(pooledReferencePairs(sets));
}
