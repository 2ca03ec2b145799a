/**
 * The EMID upper bound (Oh et al., ICML 2025) from four RJSD terms:
 *   jsd_v  between P's and Q's image embeddings,
 *   jsd_t  between P's and Q's text-query embeddings,
 *   jsd_py between P's model responses and P's reference responses,
 *   jsd_qy the same within Q.
 * Scale-adjusted (what the paper plots): √jsd_v + √jsd_t + jsd_py^¼ + jsd_qy^¼.
 * Full:  Ĥ (√jsd_v + √jsd_t) + 4 (jsd_py^¼ + jsd_qy^¼), Ĥ an entropy scale the user supplies.
 * Text-only data has no image term (jsd_v = 0).
 */
import { InputError } from '../errors';
import type { BoundTerms, EmbeddingSet, MixtureWeighting } from '../interface';
import { inThreadEigenSolver, type EigenSolver } from '../linalg/eigenSolver';
import { DivergenceCache } from './divergenceCache';
import { EmbeddingMoments, type SharedProducts } from './embeddingMoments';

export type { BoundTerms } from '../interface';

/** The EMID upper bound between a source and a target set, with the four RJSD terms it is built from. */
export interface EmidUpperBound {
  /** The scale-adjusted bound. */
  value: number;
  /** The full bound, present when an entropy scale was given. */
  full?: number;
  /** The four RJSD terms, in nats. */
  terms: BoundTerms;
}

/** How `emidUpperBound` computes the bound: the entropy scale for the full form, the RJSD mixture and the eigenvalue solver. */
export interface EmidUpperBoundOptions {
  /** Ĥ for the full bound; omitted → only the scale-adjusted bound. */
  entropyScale?: number | undefined;
  /** Default 'sample-weighted', the reference implementation's. */
  mixture?: MixtureWeighting | undefined;
  /** Where the spectra are computed; default in this thread. */
  solver?: EigenSolver | undefined;
}

/** Roots of tiny negative divergences (rounding around 0) would be NaN; they are 0. */
const root = (value: number, degree: number): number => Math.pow(Math.max(value, 0), 1 / degree);

/** The bound's value (and the full form when `entropyScale` is given) from its four terms. */
export function boundFromTerms(terms: BoundTerms, entropyScale?: number): { value: number; full?: number } {
  const queryPart = root(terms.jsdV, 2) + root(terms.jsdT, 2);
  const responsePart = root(terms.jsdPy, 4) + root(terms.jsdQy, 4);
  const value = queryPart + responsePart;
  if (entropyScale === undefined) return { value };
  if (!Number.isFinite(entropyScale) || entropyScale < 0) {
    throw new InputError(`entropy scale must be a finite number ≥ 0, got ${entropyScale}`, { field: 'entropyScale' });
  }
  return { value, full: entropyScale * queryPart + 4 * responsePart };
}

/**
 * The per-set moments a bound needs. Keeping them lets a sweep compare one source with many
 * targets while computing each of the source's spectra once.
 */
export interface SetMoments {
  image?: EmbeddingMoments;
  text: EmbeddingMoments;
  response: EmbeddingMoments;
  reference: EmbeddingMoments;
}

/** A set's moments; with `shared`, products are shared with other sets' matrices of the same content. */
export function setMoments(set: EmbeddingSet, solver: EigenSolver = inThreadEigenSolver, shared?: SharedProducts): SetMoments {
  const moments = (matrix: EmbeddingSet['text']) => new EmbeddingMoments(matrix, solver, 'auto', shared);
  return {
    image: set.image ? moments(set.image) : undefined,
    text: moments(set.text),
    response: moments(set.response),
    reference: moments(set.reference),
  };
}

/**
 * The four terms between two sets' moments. Pass one cache to every call of a sweep so that
 * shared spectra (the source's, and any matrix repeated across splits) are computed once.
 */
export async function boundTermsOfMoments(source: SetMoments, target: SetMoments, cache: DivergenceCache = new DivergenceCache()): Promise<BoundTerms> {
  if (Boolean(source.image) !== Boolean(target.image)) {
    throw new InputError('one set has image embeddings and the other does not: compare text-only with text-only', { field: 'image' });
  }
  const [jsdV, jsdT, jsdPy, jsdQy] = await Promise.all([
    source.image && target.image ? cache.rjsd(source.image, target.image) : Promise.resolve(0),
    cache.rjsd(source.text, target.text),
    cache.rjsd(source.response, source.reference),
    cache.rjsd(target.response, target.reference),
  ]);
  return { jsdV, jsdT, jsdPy, jsdQy };
}

/** The EMID upper bound between a source (ID) set and a target (OOD) set. */
export async function emidUpperBound(source: EmbeddingSet, target: EmbeddingSet, options: EmidUpperBoundOptions = {}): Promise<EmidUpperBound> {
  const solver = options.solver ?? inThreadEigenSolver;
  const terms = await boundTermsOfMoments(setMoments(source, solver), setMoments(target, solver), new DivergenceCache(options.mixture));
  return { ...boundFromTerms(terms, options.entropyScale), terms };
}
