/**
 * The estimator-space guard of the commands that take splits one by one rather than as a sweep
 * (pointwise EMI, shift detection): each split's recorded embedding space against the space the
 * estimator was fitted in. A mismatch is a SpaceMismatchError unless mismatches are allowed, in
 * which case it is returned, one line per split, for the result's provenance. (Sweeps and pairs
 * use sweep/provenance.ts's SpaceGuard, which also checks OOD splits against the ID split.)
 */
import { SpaceMismatchError } from '../errors';
import type { EmbeddingSet, MutualInformationEstimator } from '../interface';
import { spaceMismatch } from '../data/embeddingSpace';

/**
 * Checks every set against the estimator's space (sets or estimators without a recorded space
 * pass unchecked). Returns the mismatches allowed; throws the first one when `allow` is false.
 */
export function checkEstimatorSpaces(sets: readonly EmbeddingSet[], estimator: MutualInformationEstimator, allow: boolean): string[] {
  const fitted = estimator.description.space;
  const found: string[] = [];
  for (const set of sets) {
    const reason = fitted && set.space ? spaceMismatch(set.space, fitted) : undefined;
    if (!reason) continue;
    const line = `${set.name ?? 'a split'}: ${reason} (the estimator was fitted in another embedding space)`;
    if (!allow) throw new SpaceMismatchError(line, set.origin?.directory ? { file: set.origin.directory } : { field: 'estimator' });
    found.push(line);
  }
  return found;
}
