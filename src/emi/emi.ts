/**
 * Effective mutual information (EMI) and its difference across a shift (EMID):
 *   EMI(P)  = Î(z; z_ŷ) − Î(z; z_y)
 *   EMID    = EMI(P) − EMI(Q)     (positive: the model lost relevance under the shift)
 * with any estimator of the contract (src/interface.ts): one that estimates several y against
 * one x (`estimateMany`) computes both terms after one pass over z; any other is asked twice.
 */
import type { EmbeddingSet, EmiResult, EmidResult, Matrix, MutualInformationEstimator } from '../interface';
import { queryEmbedding } from '../data/queryEmbedding';
import { pooledTrainingPairs } from '../data/pooledPairs';
import { spaceMismatch } from '../data/embeddingSpace';

export type { EmiResult, EmidResult } from '../interface';

/** Î(x; y_k) for every y_k, after one pass over x when the estimator can do that. */
export async function estimateAgainstOneX(estimator: MutualInformationEstimator, x: Matrix, ys: readonly Matrix[]): Promise<number[]> {
  if (estimator.estimateMany) return estimator.estimateMany(x, ys);
  const values: number[] = [];
  for (const y of ys) values.push(await estimator.estimate(x, y));
  return values;
}

/** EMI of a split: Î(z; z_ŷ) − Î(z; z_y) with the given estimator (z the query embedding). */
export async function emi(set: EmbeddingSet, estimator: MutualInformationEstimator): Promise<EmiResult> {
  const [miModel, miReference] = await estimateAgainstOneX(estimator, queryEmbedding(set), [set.response, set.reference]);
  return { emi: miModel - miReference, miModel, miReference };
}

/** EMID = EMI(source) − EMI(target), with both EMIs; positive when the model lost relevance under the shift. */
export async function emid(source: EmbeddingSet, target: EmbeddingSet, estimator: MutualInformationEstimator): Promise<EmidResult> {
  const sourceEmi = await emi(source, estimator);
  const targetEmi = await emi(target, estimator);
  return { emid: sourceEmi.emi - targetEmi.emi, source: sourceEmi, target: targetEmi };
}

/**
 * The estimator EMI should use on these splits: an estimator that learns from data (`fit`) is
 * fitted on the pooled reference pairs (z, z_y) of every split, sets in name order (so the
 * order they are given in does not matter), as the paper trains CLUB; any other is returned as
 * it is. The pairs carry the splits' space when every split records the same one.
 */
export async function fitOnReferencePairs(estimator: MutualInformationEstimator, sets: readonly EmbeddingSet[]): Promise<MutualInformationEstimator> {
  if (!estimator.fit) return estimator;
  const ordered = [...sets].sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : 0));
  const first = ordered[0]?.space;
  const shared = first !== undefined && ordered.every((set) => set.space !== undefined && spaceMismatch(set.space, first) === undefined);
  return estimator.fit({ ...pooledTrainingPairs(ordered), ...(shared ? { space: first } : {}) });
}
