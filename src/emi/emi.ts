/**
 * Effective mutual information (EMI) and its difference across a shift (EMID):
 *   EMI(P)  = Î(z; z_ŷ) − Î(z; z_y)
 *   EMID    = EMI(P) − EMI(Q)     (positive: the model lost relevance under the shift)
 * with any estimator of the contract (src/interface.ts): both terms come from one
 * `estimateMany` call, which CLUB answers after one forward pass over z.
 */
import type { EmbeddingSet, EmiResult, EmidResult, MutualInformationEstimator, TrainableEstimator } from '../interface';
import { queryEmbedding } from '../data/queryEmbedding';
import { pooledTrainingPairs } from '../data/pooledPairs';
import { spaceMismatch } from '../data/embeddingSpace';

export type { EmiResult, EmidResult } from '../interface';

/** EMI of a split: Î(z; z_ŷ) − Î(z; z_y) with the given estimator (z the query embedding). */
export async function emi(set: EmbeddingSet, estimator: MutualInformationEstimator): Promise<EmiResult> {
  const [miModel, miReference] = await estimator.estimateMany(queryEmbedding(set), [set.response, set.reference]);
  return { emi: miModel - miReference, miModel, miReference };
}

/** EMID = EMI(source) − EMI(target), with both EMIs; positive when the model lost relevance under the shift. */
export async function emid(source: EmbeddingSet, target: EmbeddingSet, estimator: MutualInformationEstimator): Promise<EmidResult> {
  const sourceEmi = await emi(source, estimator);
  const targetEmi = await emi(target, estimator);
  return { emid: sourceEmi.emi - targetEmi.emi, source: sourceEmi, target: targetEmi };
}

/**
 * A new estimator of this one's kind and settings, fitted on the pooled reference pairs (z, z_y)
 * of every split as the paper trains CLUB, sets in name order (so the order they are given in
 * does not matter). The pairs carry the splits' space when every split records the same one.
 */
export async function fitOnReferencePairs(estimator: TrainableEstimator, sets: readonly EmbeddingSet[]): Promise<TrainableEstimator> {
  const ordered = [...sets].sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : 0));
  const first = ordered[0]?.space;
  const shared = first !== undefined && ordered.every((set) => set.space !== undefined && spaceMismatch(set.space, first) === undefined);
  return estimator.fit({ ...pooledTrainingPairs(ordered), ...(shared ? { space: first } : {}) });
}
