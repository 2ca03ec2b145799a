/**
 * Bootstrap confidence intervals for EMI, EMID and the EMID upper bound: rows (queries) are
 * resampled with replacement — each set's rows independently, all matrices of a set by the same
 * indices — from a seeded generator.
 *
 * Each resample goes through the estimator's kept pass over z (`condition`, src/interface.ts).
 * CLUB's network is row-wise, so μ(x) and logvar(x) of a resample are the full forward pass's
 * rows, and a resample is a re-reduction costing O(n·d) in float64; the interval's `estimate`
 * then agrees with `emi()` — which reduces in float32 on the native engine — to float32 rounding
 * (about 1e-8 here), not bit for bit. An estimator built by `defineEstimator` is asked again on
 * every resample's rows.
 */
import type { EmbeddingSet, Matrix, MixtureWeighting, MutualInformationEstimator } from '../interface';
import { boundFromTerms, boundTermsOfMoments, setMoments } from '../bound/emidUpperBound';
import { DivergenceCache } from '../bound/divergenceCache';
import { selectRows } from '../linalg/matrix';
import { queryEmbedding } from '../data/queryEmbedding';
import { bootstrapIntervalOfSamples, type BootstrapInterval, type BootstrapOptions } from '../stats/bootstrap';

/** The set restricted to (and repeated along) `rows`. */
export function resampleSet(set: EmbeddingSet, rows: Int32Array): EmbeddingSet {
  const pick = (matrix: Matrix) => selectRows(matrix, rows);
  const base = { name: set.name, text: pick(set.text), response: pick(set.response), reference: pick(set.reference) };
  return set.image ? { ...base, image: pick(set.image) } : base;
}

/** EMI of a resample of `set`, as a function of its rows. */
async function emiOfRows(set: EmbeddingSet, estimator: MutualInformationEstimator): Promise<(rows: Int32Array) => Promise<number>> {
  const conditioned = await estimator.condition(queryEmbedding(set));
  return async (rows) => (await conditioned.estimate(set.response, rows)) - (await conditioned.estimate(set.reference, rows));
}

/** A bootstrap interval for a split's EMI: rows resampled, the estimator's forward pass shared by every resample. */
export async function emiInterval(set: EmbeddingSet, estimator: MutualInformationEstimator, options: BootstrapOptions = {}): Promise<BootstrapInterval> {
  const statistic = await emiOfRows(set, estimator);
  return bootstrapIntervalOfSamples([set.text.rows], ([rows]) => statistic(rows), options);
}

/** A bootstrap interval for EMID: each split's rows resampled independently. */
export async function emidInterval(source: EmbeddingSet, target: EmbeddingSet, estimator: MutualInformationEstimator, options: BootstrapOptions = {}): Promise<BootstrapInterval> {
  const sourceEmi = await emiOfRows(source, estimator);
  const targetEmi = await emiOfRows(target, estimator);
  return bootstrapIntervalOfSamples([source.text.rows, target.text.rows], async ([sourceRows, targetRows]) => (await sourceEmi(sourceRows)) - (await targetEmi(targetRows)), options);
}

/** The bootstrap settings of `emidUpperBoundInterval` plus how the bound is computed on each resample. */
export interface BoundIntervalOptions extends BootstrapOptions {
  /** RJSD's mixture; default 'sample-weighted', the reference implementation's. */
  mixture?: MixtureWeighting | undefined;
  /** With an entropy scale the interval is for the full bound; otherwise the scale-adjusted one. */
  entropyScale?: number | undefined;
}

/**
 * The bound's interval. Each resample costs up to 7 eigenproblems; 200 resamples is the default
 * here. The bound is biased upward on resamples (repeated rows shrink the spectra), which is why
 * the default method is 'basic'; 'bca' adds a jackknife of n_source + n_target bound evaluations
 * and is undefined (NaN ends) when every resampled bound lies above the estimate, as is usual
 * with fewer rows than dimensions.
 */
export async function emidUpperBoundInterval(source: EmbeddingSet, target: EmbeddingSet, options: BoundIntervalOptions = {}): Promise<BootstrapInterval> {
  return bootstrapIntervalOfSamples(
    [source.text.rows, target.text.rows],
    async ([sourceRows, targetRows]) => {
      const terms = await boundTermsOfMoments(setMoments(resampleSet(source, sourceRows)), setMoments(resampleSet(target, targetRows)), new DivergenceCache(options.mixture));
      const bound = boundFromTerms(terms, options.entropyScale);
      return options.entropyScale === undefined ? bound.value : (bound.full as number);
    },
    { resamples: 200, ...options },
  );
}
