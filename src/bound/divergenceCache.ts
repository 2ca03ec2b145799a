/**
 * Every spectrum computed once. Entropies are memoised by matrix content and divergences by
 * the (unordered) pair of contents, so a sweep over a grid of shifts — where many splits share
 * their images, their questions or their reference answers with others — solves each distinct
 * eigenproblem a single time. RJSD of a matrix with an identical one is exactly 0 (the mixture
 * is the matrix itself, scaled) and needs no eigenproblem at all.
 */
import type { DivergenceCounts, MixtureWeighting } from '../interface';
import type { EmbeddingMoments } from './embeddingMoments';
import { mixtureEntropy } from './rjsd';

export type { DivergenceCounts } from '../interface';

/** Remembers every spectrum a sweep computes (self-entropies by matrix content, mixture entropies by pair), so each is solved once. */
export class DivergenceCache {
  private readonly entropies = new Map<string, Promise<number>>();
  private readonly divergences = new Map<string, Promise<number>>();
  private readonly counts: DivergenceCounts = { entropies: 0, mixtures: 0, reused: 0 };

  constructor(readonly mixture: MixtureWeighting = 'sample-weighted') {}

  /** S(AᵀA), once per distinct matrix. */
  entropy(moments: EmbeddingMoments): Promise<number> {
    const key = moments.contentKey;
    let entropy = this.entropies.get(key);
    if (entropy) {
      this.counts.reused += 1;
    } else {
      this.counts.entropies += 1;
      entropy = moments.entropy();
      this.entropies.set(key, entropy);
    }
    return entropy;
  }

  /** RJSD(A, B) under this cache's mixture, once per distinct pair. */
  rjsd(a: EmbeddingMoments, b: EmbeddingMoments): Promise<number> {
    const [first, second] = [a.contentKey, b.contentKey].sort();
    if (first === second) {
      this.counts.reused += 1;
      return Promise.resolve(0);
    }
    const key = `${first}|${second}`;
    let divergence = this.divergences.get(key);
    if (divergence) {
      this.counts.reused += 1;
    } else {
      this.counts.mixtures += 1;
      divergence = (async () => {
        const [mixed, entropyA, entropyB] = await Promise.all([mixtureEntropy(a, b, this.mixture), this.entropy(a), this.entropy(b)]);
        return mixed - (entropyA + entropyB) / 2;
      })();
      this.divergences.set(key, divergence);
    }
    return divergence;
  }

  /** How many eigenproblems were solved and how many requests were answered without one. */
  eigenproblemCounts(): DivergenceCounts {
    return { ...this.counts };
  }
}
