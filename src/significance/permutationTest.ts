/**
 * Is a shift real? A permutation test for a pair of splits (P, Q): under the null hypothesis
 * that P's and Q's rows (queries with their answers) come from one distribution, any assignment
 * of the pooled rows to two sides of P's and Q's sizes is as likely as the observed one. Each
 * statistic T is computed on the observed partition and on N random ones, and
 *
 *   p = (1 + #{T_perm ≥ T_obs}) / (1 + N)
 *
 * (one-sided, H1: T larger than under exchangeable rows), which is a valid p-value for any N.
 * Statistics: EMID = EMI(P) − EMI(Q) (H1: EMI(P) > EMI(Q), the model lost relevance under the
 * shift), the RJSD of the image queries (`jsd_v`) and of the text queries (`jsd_t`) between the
 * sides, and the EMID upper bound (`emid_ub`, scale-adjusted, or full with an entropy scale).
 *
 * The estimator is the same fitted one for every partition: it is conditioned once on the pooled
 * queries, and every partition is a selection of its rows (CLUB: no forward pass per permutation,
 * and many selections through one quadratic form, see estimators/club/clubSelectionForm.ts). The
 * RJSD statistics take their spectra from sub-blocks of pooled Gram matrices (permutedDivergences.ts).
 * The observed values are computed the same way as the permuted ones, so they agree with
 * `comparePair`'s to float rounding, not bit for bit.
 */
import { InputError } from '../errors';
import type { BoundTerms, EmbeddingSet, EstimatorDescription, Matrix, MixtureWeighting, MutualInformationEstimator, PermutationRecord, ProgressCallback } from '../interface';
import { boundFromTerms } from '../bound/emidUpperBound';
import { inThreadEigenSolver, type EigenSolver } from '../linalg/eigenSolver';
import { stackRows } from '../linalg/matrix';
import { inThreadPrincipalBlockSolver, type PrincipalBlockSolver } from '../linalg/principalBlocks';
import { queryEmbedding } from '../data/queryEmbedding';
import { permutationPartitions, type Partitions, type PermutationDesign } from './partitions';

export type { PermutationDesign } from './partitions';
import { pairedMixtureEntropies, PermutationCache, PooledRows, sideEntropies, splitMixtureEntropies, type SpectraContext } from './permutedDivergences';

export { PermutationCache } from './permutedDivergences';

/** A statistic a permutation test can test; the names are the CLI's keys (`emid_pvalue`, …). */
export type PermutationStatistic = 'emid' | 'jsd_v' | 'jsd_t' | 'emid_ub';

/** Every statistic, in the order results list them. */
export const PERMUTATION_STATISTICS: readonly PermutationStatistic[] = ['emid', 'jsd_v', 'jsd_t', 'emid_ub'];

/** What each statistic's one-sided alternative says, for the provenance of its p-value. */
export const PERMUTATION_ALTERNATIVES: Readonly<Record<PermutationStatistic, string>> = {
  emid: 'greater: EMI(source) > EMI(target)',
  jsd_v: 'greater: the image queries diverge more than under exchangeable rows',
  jsd_t: 'greater: the text queries diverge more than under exchangeable rows',
  emid_ub: 'greater: the bound is larger than under exchangeable rows',
};

/** How `permutationTest` runs. */
export interface PermutationTestOptions {
  /** N, the random partitions (an integer ≥ 1); the smallest p-value possible is 1 / (1 + N). */
  permutations: number;
  /** Seed of the partitions (default 0): the same seed, sizes and N give the same partitions. */
  seed?: number | undefined;
  /**
   * `pooled` (default): any reassignment of the pooled rows. `paired`: the splits hold the same
   * queries in the same row order (a shifted copy of the ID split), and a permutation swaps
   * pairs; use it when the splits share rows (the same reference answers, the same images), which
   * pooled permutations would put twice on one side and so inflate the RJSD terms' null.
   */
  design?: PermutationDesign | undefined;
  /** The statistics to test (default all four); the cost is in `emid_ub` (and `jsd_v`, `jsd_t`): eigenproblems per partition. */
  statistics?: readonly PermutationStatistic[] | undefined;
  /** RJSD's mixture; default 'sample-weighted', the reference implementation's. */
  mixture?: MixtureWeighting | undefined;
  /** Ĥ: with it `emid_ub` is the full bound, otherwise the scale-adjusted one. */
  entropyScale?: number | undefined;
  /** Where the spectra are computed; default in this thread (a pool's worker takes the large ones). */
  solver?: EigenSolver | undefined;
  /**
   * Where the per-partition spectra on the Gram side are solved, in batches of sub-blocks of the
   * pooled Gram matrices (default in this thread; `createPrincipalBlockPool` spreads them over
   * worker threads). The spectra are the same numbers either way.
   */
  blockSolver?: PrincipalBlockSolver | undefined;
  /** Entropies already computed for other pairs (a sweep's tests share one): the same pooled content and partitions are not solved again. */
  cache?: PermutationCache | undefined;
  /** Partitions finished, over all the statistics' loops. */
  onProgress?: ProgressCallback | undefined;
}

/** One statistic's test. */
export interface PermutationStatisticResult {
  /** T on the observed partition. */
  observed: number;
  /** (1 + exceedances) / (1 + N). */
  pValue: number;
  /** #{T_perm ≥ T_obs} (values within rounding of T_obs count as reaching it). */
  exceedances: number;
  alternative: 'greater';
  /** T on each of the N random partitions, in the order they were drawn. */
  permuted: Float64Array;
}

/** How a permutation test was made, for the provenance of its p-values. */
export interface PermutationTestProvenance {
  permutations: number;
  seed: number;
  design: PermutationDesign;
  statistics: PermutationStatistic[];
  /** Each statistic's one-sided alternative in words. */
  alternatives: Partial<Record<PermutationStatistic, string>>;
  method: string;
  mixture: MixtureWeighting;
  /** Which form of the bound `emid_ub` is. */
  bound: 'scale-adjusted' | 'full';
  entropy_scale: number | null;
  rows: { source: number; target: number };
  estimator: EstimatorDescription;
}

/** The tests of one pair: every statistic asked for, and how they were made. */
export interface PermutationTestResult {
  statistics: Partial<Record<PermutationStatistic, PermutationStatisticResult>>;
  provenance: PermutationTestProvenance;
}

/** The method in the provenance's words. */
export const PERMUTATION_METHOD = 'split membership permuted (pooled rows, sizes kept, same fitted estimator); p = (1 + #{T_perm >= T_obs}) / (1 + N)';

/** The method in the provenance's words for a design: the pooled one above, or paired swaps. */
export function permutationMethod(design: PermutationDesign): string {
  return design === 'paired'
    ? 'paired permutations (row i of each split swapped with row i of the other, or not; same fitted estimator); p = (1 + #{T_perm >= T_obs}) / (1 + N)'
    : PERMUTATION_METHOD;
}

/**
 * Relative width within which a permuted value counts as reaching the observed one: partitions
 * whose statistic is mathematically the observed value (rows repeated across the splits) differ
 * from it by rounding alone, and counting them keeps the test valid (conservative).
 */
const TIE_TOLERANCE = 1e-9;

/** A split must have this many rows for a permutation to move anything across the sides. */
const MIN_ROWS = 2;

/** Checks a permutation count and seed; throws InputError naming the option. */
export function assertPermutationSettings(permutations: number, seed: number): void {
  if (!Number.isSafeInteger(permutations) || permutations < 1) throw new InputError(`permutations must be an integer ≥ 1, got ${permutations}`, { field: 'permutations' });
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError(`seed must be an integer ≥ 0, got ${seed}`, { field: 'seed' });
}

/** The provenance record of tests of all four statistics with these settings. */
export function permutationRecord(settings: { permutations: number; seed: number; design?: PermutationDesign }, entropyScale: number | undefined): PermutationRecord {
  return {
    permutations: settings.permutations,
    seed: settings.seed,
    design: settings.design ?? 'pooled',
    statistics: [...PERMUTATION_STATISTICS],
    alternatives: { ...PERMUTATION_ALTERNATIVES },
    method: permutationMethod(settings.design ?? 'pooled'),
    bound: entropyScale === undefined ? 'scale-adjusted' : 'full',
  };
}

/** Checks the options and shapes; throws InputError naming the option or the split. */
function checkInputs(source: EmbeddingSet, target: EmbeddingSet, options: PermutationTestOptions): { statistics: PermutationStatistic[]; seed: number } {
  const seed = options.seed ?? 0;
  assertPermutationSettings(options.permutations, seed);
  for (const [set, side] of [
    [source, 'source'],
    [target, 'target'],
  ] as const) {
    if (set.text.rows < MIN_ROWS) {
      throw new InputError(`the ${side} split${set.name ? ` '${set.name}'` : ''} has ${set.text.rows} row${set.text.rows === 1 ? '' : 's'}; a permutation test needs at least ${MIN_ROWS} rows in each split`, { field: 'permutations' });
    }
  }
  if (Boolean(source.image) !== Boolean(target.image)) throw new InputError('one split has image embeddings and the other does not: compare text-only with text-only', { field: 'image' });
  for (const kind of ['image', 'text', 'response', 'reference'] as const) {
    const [a, b] = [source[kind], target[kind]];
    if (a && b && a.cols !== b.cols) throw new InputError(`the ${kind} embeddings are ${a.cols}-d in the source split and ${b.cols}-d in the target split`, { field: kind });
  }
  const design = options.design ?? 'pooled';
  if (design !== 'pooled' && design !== 'paired') throw new InputError(`design must be pooled or paired, got ${String(design)}`, { field: 'design' });
  if (design === 'paired' && source.text.rows !== target.text.rows) {
    throw new InputError(`paired permutations need splits of equal size (row i of one is row i of the other), got ${source.text.rows} and ${target.text.rows} rows`, { field: 'design' });
  }
  // Without images there is no image term to test: by default jsd_v is left out (its statistic is
  // 0 under every partition); asked for by name, it is an error.
  const hasImages = Boolean(source.image && target.image);
  if (!hasImages && options.statistics?.includes('jsd_v')) throw new InputError('jsd_v needs image embeddings in both splits; these are text-only', { field: 'statistics' });
  const statistics = [...new Set(options.statistics ?? PERMUTATION_STATISTICS.filter((name) => hasImages || name !== 'jsd_v'))];
  for (const statistic of statistics) {
    if (!PERMUTATION_STATISTICS.includes(statistic)) throw new InputError(`unknown statistic '${statistic}' (expected ${PERMUTATION_STATISTICS.join(', ')})`, { field: 'statistics' });
  }
  if (statistics.length === 0) throw new InputError('no statistic to test', { field: 'statistics' });
  return { statistics: PERMUTATION_STATISTICS.filter((name) => statistics.includes(name)), seed };
}


/** A statistic's observed value (partition 0) and its p-value over partitions 1…N. */
function testOf(values: Float64Array): PermutationStatisticResult {
  const observed = values[0];
  // A NaN or infinite statistic (a degenerate spectrum, a saturated network) would count no
  // exceedances and so look maximally significant: refuse it instead.
  const notFinite = values.findIndex((value) => !Number.isFinite(value));
  if (notFinite >= 0) throw new Error(`the statistic is ${values[notFinite]} on ${notFinite === 0 ? 'the observed partition' : `permutation ${notFinite}`}: no p-value can be computed`);
  const threshold = observed - TIE_TOLERANCE * Math.max(1, Math.abs(observed));
  let exceedances = 0;
  for (let p = 1; p < values.length; p++) if (values[p] >= threshold) exceedances += 1;
  return { observed, pValue: (1 + exceedances) / values.length, exceedances, alternative: 'greater', permuted: values.slice(1) };
}

/** EMID on every partition, from one conditioning of the estimator on the pooled queries. */
async function emidValues(source: EmbeddingSet, target: EmbeddingSet, estimator: MutualInformationEstimator, partitions: Partitions): Promise<Float64Array> {
  const conditioned = await estimator.condition(stackRows(queryEmbedding(source), queryEmbedding(target)));
  const selections: Int32Array[] = [];
  for (let p = 0; p < partitions.count; p++) selections.push(partitions.source[p], partitions.target[p]);
  const model = await conditioned.estimateSelections(stackRows(source.response, target.response), selections);
  const reference = await conditioned.estimateSelections(stackRows(source.reference, target.reference), selections);
  const values = new Float64Array(partitions.count);
  for (let p = 0; p < partitions.count; p++) values[p] = model[2 * p] - reference[2 * p] - (model[2 * p + 1] - reference[2 * p + 1]);
  return values;
}

/** RJSD between the sides on every partition: the split mixture's entropy minus the mean of the sides'. */
async function splitDivergences(pooled: PooledRows, partitions: Partitions, mixture: MixtureWeighting, context: SpectraContext): Promise<Float64Array> {
  const [mixed, sides] = await Promise.all([splitMixtureEntropies(pooled, partitions, mixture, context), sideEntropies(pooled, partitions, context)]);
  return mixed.map((value, p) => value - (sides[2 * p] + sides[2 * p + 1]) / 2);
}

/** RJSD between model and reference answers within each side on every partition: [P_0, Q_0, P_1, Q_1, …]. */
async function answerDivergences(response: PooledRows, reference: PooledRows, partitions: Partitions, mixture: MixtureWeighting, context: SpectraContext): Promise<Float64Array> {
  const [mixed, responses, references] = await Promise.all([
    pairedMixtureEntropies(response, reference, partitions, mixture, context),
    sideEntropies(response, partitions, context),
    sideEntropies(reference, partitions, context),
  ]);
  return mixed.map((value, k) => value - (responses[k] + references[k]) / 2);
}

/**
 * Permutation p-values for EMID, `jsd_v`, `jsd_t` and the EMID upper bound between a source (ID)
 * and a target (OOD) split, with the same fitted estimator on every partition. Seeded and
 * reproducible; the result records permutations, seed and alternatives.
 */
export async function permutationTest(source: EmbeddingSet, target: EmbeddingSet, estimator: MutualInformationEstimator, options: PermutationTestOptions): Promise<PermutationTestResult> {
  const { statistics, seed } = checkInputs(source, target, options);
  const mixture = options.mixture ?? 'sample-weighted';
  if (options.entropyScale !== undefined) boundFromTerms({ jsdV: 0, jsdT: 0, jsdPy: 0, jsdQy: 0 }, options.entropyScale);
  const design = options.design ?? 'pooled';
  const partitions = permutationPartitions(source.text.rows, target.text.rows, options.permutations, seed, design);
  const wanted = new Set(statistics);
  const needsBound = wanted.has('emid_ub');
  const loops = (wanted.has('emid') ? 1 : 0) + (source.image && (needsBound || wanted.has('jsd_v')) ? 2 : 0) + (needsBound || wanted.has('jsd_t') ? 2 : 0) + (needsBound ? 3 : 0);
  const total = loops * partitions.count;
  let done = 0;
  const report = (partitionsDone: number) => {
    done += partitionsDone;
    options.onProgress?.({ done, total, unit: 'partitions', stage: 'permuting' });
  };
  const context: SpectraContext = { solver: options.solver ?? inThreadEigenSolver, blocks: options.blockSolver ?? inThreadPrincipalBlockSolver, cache: options.cache ?? new PermutationCache(), advance: report };
  const pool = (kind: 'image' | 'text' | 'response' | 'reference') => new PooledRows(stackRows(source[kind] as Matrix, target[kind] as Matrix));

  const zeros = new Float64Array(partitions.count);
  const emid = wanted.has('emid') ? emidValues(source, target, estimator, partitions).then((values) => (report(partitions.count), values)) : undefined;
  const jsdV = source.image && (needsBound || wanted.has('jsd_v')) ? splitDivergences(pool('image'), partitions, mixture, context) : Promise.resolve(zeros);
  const jsdT = needsBound || wanted.has('jsd_t') ? splitDivergences(pool('text'), partitions, mixture, context) : Promise.resolve(zeros);
  const answers = needsBound ? answerDivergences(pool('response'), pool('reference'), partitions, mixture, context) : undefined;
  for (const pending of [emid, jsdV, jsdT, answers]) pending?.catch(() => undefined);

  const results: PermutationTestResult['statistics'] = {};
  if (emid) results.emid = testOf(await emid);
  const [imageValues, textValues] = await Promise.all([jsdV, jsdT]);
  if (wanted.has('jsd_v')) results.jsd_v = testOf(imageValues);
  if (wanted.has('jsd_t')) results.jsd_t = testOf(textValues);
  if (answers) {
    const answerValues = await answers;
    const bounds = new Float64Array(partitions.count);
    for (let p = 0; p < partitions.count; p++) {
      const terms: BoundTerms = { jsdV: imageValues[p], jsdT: textValues[p], jsdPy: answerValues[2 * p], jsdQy: answerValues[2 * p + 1] };
      const bound = boundFromTerms(terms, options.entropyScale);
      bounds[p] = options.entropyScale === undefined ? bound.value : (bound.full as number);
    }
    results.emid_ub = testOf(bounds);
  }
  return {
    statistics: results,
    provenance: {
      permutations: options.permutations,
      seed,
      design,
      statistics,
      alternatives: Object.fromEntries(statistics.map((name) => [name, PERMUTATION_ALTERNATIVES[name]])),
      method: permutationMethod(design),
      mixture,
      bound: options.entropyScale === undefined ? 'scale-adjusted' : 'full',
      entropy_scale: options.entropyScale ?? null,
      rows: { source: source.text.rows, target: target.text.rows },
      estimator: estimator.description,
    },
  };
}
