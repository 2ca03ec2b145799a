/**
 * The estimator EMI uses when it is chosen by name (`pair` and `sweep --estimator NAME`): a
 * registered estimator with its settings, and one that trains is fitted once on the pooled
 * reference pairs (z, z_y) of the splits, as the paper trains CLUB, then applied to every split.
 */
import type { EmbeddingSet, MutualInformationEstimator } from '../interface';
import { estimatorEntry, resolveEstimatorSettings, type EstimatorEntry, type EstimatorSettings } from '../estimators';
import { fitOnReferencePairs } from './emi';

/** A registered estimator for EMI on these splits, with its entry and resolved settings. */
export async function createEmiEstimator(
  name: string,
  overrides: Readonly<Record<string, number | undefined>>,
  sets: readonly EmbeddingSet[],
): Promise<{ entry: EstimatorEntry; settings: EstimatorSettings; estimator: MutualInformationEstimator }> {
  const entry = estimatorEntry(name);
  const settings = resolveEstimatorSettings(entry, overrides);
  const estimator = entry.trains ? await fitOnReferencePairs(entry.create(settings), sets) : entry.create(settings);
  return { entry, settings, estimator };
}
