/**
 * Comparing an in-distribution split with shifted splits: EMI of every split, and for every
 * OOD split its EMID and EMID upper bound (with the four RJSD terms), then how well the bound
 * tracks EMID across splits.
 *
 * Cost: each split's estimator pass is computed once; each distinct matrix's self-entropy,
 * Gram or second-moment matrix and each distinct pair's mixture entropy once (DivergenceCache),
 * the ID split's shared by every comparison. Per OOD split that is at most 7 eigenproblems (4
 * self-entropies, 1 response mixture, 2 query mixtures with the ID split), fewer when its
 * images, questions or references repeat another split's.
 *
 * The work is a data flow: a split is read, its estimates are started (on the native engine's
 * own thread for CLUB) and its bound's spectra requested, and the next split is read while they
 * run; at most `concurrency` OOD splits are in memory at once (by default as many as fit in
 * 64 MB of embeddings, at least 2), beside the ID split.
 */
import { availableParallelism } from 'node:os';
import { InputError, type InputErrorLocation } from '../errors';
import type { BoundTerms, ComparisonPValues, ComputedComparison, DriftBaselines, ComputedSweep, CorrelationSummary, EmbeddingSet, EmiResult, EstimatorDescription, EstimatorDiagnosis, Interval, Matrix, MixtureWeighting, MutualInformationEstimator, PermutationRecord, ProgressCallback, ResultProvenance, SplitRecord } from '../interface';
import { boundFromTerms, boundTermsOfMoments, setMoments, type SetMoments } from '../bound/emidUpperBound';
import { DivergenceCache } from '../bound/divergenceCache';
import { SharedProducts } from '../bound/embeddingMoments';
import { createParallelEigenSolver, inThreadEigenSolver, type EigenSolver } from '../linalg/eigenSolver';
import { inThreadPrincipalBlockSolver, type PrincipalBlockSolver } from '../linalg/principalBlocks';
import { emiOfQuery } from '../emi/emi';
import { queryEmbedding } from '../data/queryEmbedding';
import { kendallTauB, pearson, spearman } from '../stats/correlation';
import { bootstrapCorrelation, DEFAULT_INTERVAL_METHOD, type BootstrapOptions } from '../stats/bootstrap';
import { buildProvenance, SpaceGuard, splitRecord, type Invocation } from './provenance';
import type { DriftBaselineCache, DriftBaselineOptions, DriftBaselineSettings, TargetContentKeys } from '../drift/driftBaselines';
import type { PermutationCache, PermutationDesign, PermutationStatistic } from '../significance/permutationTest';
import type { RowSubsetOptions } from './selection';

// The baselines', the permutation tests' and the row subsets' modules load only when a sweep asks
// for them: a plain 90-row sweep spends a fifth of its time loading modules, and would pay for
// a dozen more it never runs.
const driftModule = (): typeof import('../drift/driftBaselines') => require('../drift/driftBaselines');
const significanceModule = (): typeof import('../significance/permutationTest') => require('../significance/permutationTest');
const multipleTestingModule = (): typeof import('../stats/multipleTesting') => require('../stats/multipleTesting');
const selectionModule = (): typeof import('./selection') => require('./selection');

export type { ComputedComparison, ComputedSweep, CorrelationSummary, Interval, PairComparison, QualityCorrelation, QualityMeasure, SplitEmi, SweepResult } from '../interface';

/** A split that is read only when the sweep reaches it. */
export interface SplitSource {
  name: string;
  /** Where it comes from (a folder), for error messages; defaults to the name. */
  location?: string;
  load(): EmbeddingSet;
}

/**
 * A split whose embeddings arrive later (split folders read on libuv's threads), so that the
 * reading goes on while earlier splits are compared: what `sweepSplitFolders` hands the sweep.
 */
export interface PendingSplitSource extends Pick<SplitSource, 'name' | 'location'> {
  read(): Promise<EmbeddingSet>;
}

/** Compares the ID split with every other split. */
export async function sweepSplits(idSplit: SplitSource, oodSplits: readonly SplitSource[], estimator: MutualInformationEstimator, options: SweepOptions = {}): Promise<ComputedSweep> {
  const pending = (split: SplitSource): PendingSplitSource => ({ name: split.name, location: split.location, read: async () => split.load() });
  return sweepPendingSplits(pending(idSplit), oodSplits.map(pending), estimator, options);
}

/** How `sweepSplits` runs: the bound's settings, threads and concurrency, resumption, intervals and space checks. */
export interface SweepOptions {
  /** RJSD's mixture; default 'sample-weighted', the reference implementation's. */
  mixture?: MixtureWeighting | undefined;
  /** Ĥ: with it every comparison also carries the full bound, not only the scale-adjusted one. */
  entropyScale?: number | undefined;
  /** Threads for large eigenproblems (default: all cores). */
  threads?: number | undefined;
  /** OOD splits in memory and in progress at once (default: as many as fit in 64 MB of embeddings, at least 2). */
  concurrency?: number | undefined;
  /** Results already computed (a resumed run): these targets are not recomputed. */
  completed?: readonly ComputedComparison[] | undefined;
  /** Called with each comparison as soon as it is done (a checkpoint writer, say). */
  onComparison?: ((comparison: ComputedComparison) => void) | undefined;
  onProgress?: ProgressCallback | undefined;
  /** Where the spectra are computed; default a pool of `threads` worker threads when the ID split has 128 rows or more, else this thread. */
  solver?: EigenSolver | undefined;
  /**
   * Bootstrap intervals for EMI, EMID and the bound of every comparison (rows resampled within
   * each split) and for the correlations (OOD splits resampled). The bound's interval costs up to
   * 7 eigenproblems per resample and comparison.
   */
  bootstrap?: BootstrapOptions | undefined;
  /**
   * Run even when a split's embedding space differs from the estimator's or the ID split's
   * (recorded in the provenance). Without it such a split is a SpaceMismatchError.
   */
  allowSpaceMismatch?: boolean | undefined;
  /** Receives one-line warnings (splits whose space is unknown, …); default: console.warn. */
  warn?: ((message: string) => void) | undefined;
  /** What was run, for the provenance (default: the library call). */
  invocation?: Invocation | undefined;
  /**
   * Compare seeded subsets of `rows` rows of every split, the ID split included (see
   * `seededRows`): every matrix of a split by the same rows, recorded in each split's provenance
   * record. A split with fewer rows is an InputError on `rows` naming it.
   */
  rowSubset?: RowSubsetOptions | undefined;
  /**
   * Drift baselines per comparison (MMD² with its permutation p-value, the domain classifier's
   * AUC, the mean cosine distance; image, question and answer embeddings), their settings in the
   * provenance. Costs about 0.5 s per comparison at 90 rows a side, 768-d.
   */
  baselines?: DriftBaselineOptions | undefined;
  /**
   * Permutation p-values for every comparison (EMID, jsd_v, jsd_t and the bound; see
   * permutationTest), every OOD split tested on the same seeded partitions, with EMID's p-values
   * adjusted across the OOD splits (Benjamini–Hochberg). Costs up to 10 eigenproblems per
   * permutation and split.
   */
  permutationTest?: PermutationSettings | undefined;
}

/** How many permutations, and their seed (default 0). */
export interface PermutationSettings {
  permutations: number;
  seed?: number | undefined;
  /** `pooled` (default) or `paired`: see PermutationTestOptions.design. */
  design?: PermutationDesign | undefined;
}

/** What the permutation tests of a sweep or a pair share: settings, the spectra already solved, where spectra are solved. */
interface PermutationContext {
  permutations: number;
  seed: number;
  design: PermutationDesign;
  cache: PermutationCache;
  solver: EigenSolver;
  /** Where the per-partition Gram sub-blocks are solved (a worker pool of `threads`). */
  blockSolver: PrincipalBlockSolver;
}

/** The permutation context when tests were asked for (checked before any work), with the solver it owns to close. */
function permutationContext(options: Pick<SweepOptions, 'permutationTest' | 'solver' | 'threads'>): { context?: PermutationContext; ownSolver?: EigenSolver; blockSolver?: PrincipalBlockSolver } {
  const settings = options.permutationTest;
  if (!settings) return {};
  const seed = settings.seed ?? 0;
  const { assertPermutationSettings, PermutationCache } = significanceModule();
  assertPermutationSettings(settings.permutations, seed);
  // Each permutation's answer mixtures are 2m × 2m: a worker takes those from 64 rows per split up, this thread the rest.
  const ownSolver = options.solver === undefined ? createParallelEigenSolver(options.threads ?? availableParallelism()) : undefined;
  // The thousands of per-partition sub-blocks go to workers in batches (the same spectra as in this thread).
  const threads = options.threads ?? availableParallelism();
  const blockSolver = threads > 1 ? (require('../linalg/principalBlockPool') as typeof import('../linalg/principalBlockPool')).createPrincipalBlockPool(threads) : inThreadPrincipalBlockSolver;
  return { context: { permutations: settings.permutations, seed, design: settings.design ?? 'pooled', cache: new PermutationCache(), solver: options.solver ?? (ownSolver as EigenSolver), blockSolver }, ownSolver, blockSolver };
}

/** A comparison's p-values from a permutation test of its two sets. */
async function permutationPValues(source: EmbeddingSet, target: EmbeddingSet, estimator: MutualInformationEstimator, context: PermutationContext, options: Pick<SweepOptions, 'mixture' | 'entropyScale'>, location: string): Promise<ComparisonPValues> {
  try {
    const { statistics } = await significanceModule().permutationTest(source, target, estimator, {
      permutations: context.permutations,
      seed: context.seed,
      design: context.design,
      statistics: testedStatistics(source),
      mixture: options.mixture,
      entropyScale: options.entropyScale,
      solver: context.solver,
      blockSolver: context.blockSolver,
      cache: context.cache,
    });
    return { emid: statistics.emid!.pValue, ...(statistics.jsd_v ? { jsdV: statistics.jsd_v.pValue } : {}), jsdT: statistics.jsd_t!.pValue, emidUpperBound: statistics.emid_ub!.pValue };
  } catch (error) {
    if (error instanceof InputError && error.file === undefined && error.field !== 'permutations') throw new InputError(error.message, { file: location });
    throw error;
  }
}

/**
 * The statistics a comparison's permutation test tests: all four with image embeddings; without
 * them `jsd_v` is 0 on every partition, a test of nothing whose p-value would always be 1, so it
 * is left out (as the monitor leaves it out) and its p-value is absent rather than 1.
 */
function testedStatistics(source: EmbeddingSet): PermutationStatistic[] {
  return significanceModule().PERMUTATION_STATISTICS.filter((name) => name !== 'jsd_v' || source.image !== undefined);
}

/** The provenance record of a comparison's permutation tests: the statistics `testedStatistics` tests, with their alternatives. */
function permutationRecordOf(source: EmbeddingSet, context: PermutationContext, entropyScale: number | undefined): PermutationRecord {
  const record = significanceModule().permutationRecord(context, entropyScale);
  const statistics: string[] = testedStatistics(source);
  return { ...record, statistics, alternatives: Object.fromEntries(Object.entries(record.alternatives).filter(([name]) => statistics.includes(name))) };
}

/** A split read and under way: its EMI started, its moments ready to be asked for spectra. */
interface PreparedSplit {
  name: string;
  set: EmbeddingSet;
  /** Its query embedding z, formed once for the estimate and the diagnosis. */
  query: Matrix;
  emi: Promise<EmiResult>;
  moments: SetMoments;
}

/** Shapes a comparison needs to match the ID split in; the message names the split. */
function assertComparable(source: EmbeddingSet, target: EmbeddingSet, location: string, sourceName: string): void {
  const describe = (set: EmbeddingSet) => `queries ${set.text.cols}-d${set.image ? ' with images' : ', text-only'}, responses ${set.response.cols}-d`;
  if (Boolean(source.image) !== Boolean(target.image) || source.text.cols !== target.text.cols || source.response.cols !== target.response.cols) {
    throw new InputError(`${describe(target)}, but the ID split '${sourceName}' has ${describe(source)}`, { file: location });
  }
}

/**
 * Checks a split (against the ID split when it is an OOD split) and starts its EMI. The EMI
 * promise is marked handled here, so that a failure waits, unreported, for whoever awaits it.
 */
function prepare(
  name: string,
  location: string,
  set: EmbeddingSet,
  estimator: MutualInformationEstimator,
  solver: EigenSolver,
  guard: SpaceGuard,
  shared: SharedProducts | undefined,
  source?: PreparedSplit,
): PreparedSplit {
  if (source) assertComparable(source.set, set, location, source.name);
  guard.check(name, location, set, source ? { name: source.name, set: source.set } : undefined);
  const query = queryEmbedding(set);
  const estimate = emiOfQuery(set, query, estimator).catch((error: unknown) => {
    // Name the split: the estimator only knows it was handed matrices of the wrong shape.
    if (error instanceof InputError && error.file === undefined) throw new InputError(error.message, { file: location });
    throw error;
  });
  estimate.catch(() => undefined);
  return { name, set, query, emi: estimate, moments: setMoments(set, solver, shared) };
}

/** Bytes of a set's embeddings. */
function setBytes(set: EmbeddingSet): number {
  return [set.image, set.text, set.response, set.reference].reduce((total, matrix) => total + (matrix ? matrix.data.byteLength : 0), 0);
}

/** Splits' embeddings in flight by default: enough to keep every engine busy, little enough for large n. */
const IN_FLIGHT_BYTES = 64 * 1024 * 1024;

/** Matrices below this many rows per split keep their eigenproblems in-thread: a worker costs more to start than they take. */
const SMALL_SPLIT_ROWS = 128;

/** Correlations of EMID with the bound; absent when undefined (fewer than 3 splits, or a constant column). */
export function correlationSummary(emids: readonly number[], bounds: readonly number[], bootstrap?: BootstrapOptions): CorrelationSummary | undefined {
  if (emids.length < 3) return undefined;
  if (new Set(emids).size === 1 || new Set(bounds).size === 1) return undefined;
  const p = pearson(emids, bounds);
  const s = spearman(emids, bounds);
  const k = kendallTauB(emids, bounds);
  const interval = (kind: 'pearson' | 'spearman' | 'kendall'): { interval?: Interval } => {
    if (!bootstrap) return {};
    const result = bootstrapCorrelation(emids, bounds, kind, bootstrap);
    return { interval: [result.lower, result.upper] };
  };
  return {
    n: emids.length,
    pearson: { r: p.r, pValue: p.pValue, ...interval('pearson') },
    spearman: { rho: s.rho, pValue: s.pValue, ...interval('spearman') },
    kendall: { tau: k.tau, pValue: k.pValue, ...interval('kendall') },
  };
}

/** The baselines' settings as the provenance records them (checked before any work starts); undefined without baselines. */
function baselineSettingsOf(options: Pick<SweepOptions, 'baselines'>): DriftBaselineSettings | undefined {
  if (!options.baselines) return undefined;
  const { fixedBandwidth: _fixed, ...settings } = driftModule().driftBaselineSettings(options.baselines);
  return settings;
}

/** `sweepSplits` on splits read as they are needed, several at once. */
export async function sweepPendingSplits(
  idSplit: PendingSplitSource,
  oodSplits: readonly PendingSplitSource[],
  estimator: MutualInformationEstimator,
  options: SweepOptions = {},
): Promise<ComputedSweep> {
  // Checked before any worker pool starts, so that a bad setting leaves no threads behind.
  if (options.permutationTest) significanceModule().assertPermutationSettings(options.permutationTest.permutations, options.permutationTest.seed ?? 0);
  estimator.prepare();
  const baselineSettings = baselineSettingsOf(options);
  const baselineCache = options.baselines ? new (driftModule().DriftBaselineCache)() : undefined;
  const mixture = options.mixture ?? 'sample-weighted';
  const completed = new Map((options.completed ?? []).map((comparison) => [comparison.target, comparison]));
  const cache = new DivergenceCache(mixture);
  const shared = new SharedProducts();
  const total = oodSplits.length;
  const description = estimator.description;
  const guard = new SpaceGuard(description, options.allowSpaceMismatch ?? false);
  const idLocation = idSplit.location ?? idSplit.name;
  const subsetter = options.rowSubset ? new (selectionModule().RowSubsetter)(options.rowSubset) : undefined;
  const load = async (split: PendingSplitSource, location: string): Promise<EmbeddingSet> => {
    const set = await split.read();
    return subsetter ? subsetter.subset(split.name, set, location) : set;
  };
  // A split's record says which of its rows were compared, when a subset was.
  const withRows = (name: string, record: SplitRecord): SplitRecord => {
    const kept = subsetter?.keptOf(name);
    return kept ? { ...record, row_subset: kept } : record;
  };
  const idSet = await load(idSplit, idLocation);
  // Spectra of small splits are solved in this thread unless a solver is given; large ones on a pool.
  const ownSolver = options.solver === undefined && idSet.text.rows >= SMALL_SPLIT_ROWS;
  const solver = options.solver ?? (ownSolver ? createParallelEigenSolver(options.threads ?? availableParallelism()) : inThreadEigenSolver);
  const permutations = permutationContext(options);
  let done = 0;
  try {
    const source = prepare(idSplit.name, idLocation, idSet, estimator, solver, guard, shared);
    const diagnosis = diagnoseOn(source, estimator);
    const settings = options.bootstrap ? await bootstrapSettings(source.set, estimator, options.bootstrap) : undefined;
    const comparisons: ComputedComparison[] = new Array(oodSplits.length);
    const failures: { index: number; error: unknown }[] = [];
    // Splits are read concurrently but prepared in their order, so that what preparing records
    // (the space check's list of splits) does not depend on which file arrived first.
    let previousPrepared: Promise<void> = Promise.resolve();
    const compareOne = async (index: number): Promise<void> => {
      const split = oodSplits[index];
      const resumed = completed.get(split.name);
      const ownTurn = previousPrepared;
      let prepared = (): void => undefined;
      previousPrepared = new Promise((resolve) => (prepared = resolve));
      // A comparison resumed without the p-values now asked for is computed again.
      if (resumed && (!permutations.context || resumed.pValues)) {
        prepared();
        comparisons[index] = resumed;
      } else {
        const location = split.location ?? split.name;
        let target: PreparedSplit;
        try {
          const set = await load(split, location);
          await ownTurn;
          target = prepare(split.name, location, set, estimator, solver, guard, shared, source);
        } finally {
          prepared();
        }
        const [sourceEmi, targetEmi, terms] = await Promise.all([source.emi, target.emi, boundTermsOfMoments(source.moments, target.moments, cache)]);
        const intervals = settings ? { sourceEmi: settings.sourceEmi, ...(await comparisonIntervals(source.set, target.set, estimator, options)) } : undefined;
        const baselines = options.baselines && baselineCache ? baselineValues(source.set, target.set, options.baselines, location, { cache: baselineCache, targetKeys: contentKeysOf(target.moments) }) : undefined;
        const computed = comparisonOf(source.name, split.name, target.set, { sourceEmi, targetEmi, terms, intervals, baselines }, options.entropyScale);
        const comparison = subsetter ? { ...computed, targetSplit: withRows(split.name, computed.targetSplit) } : computed;
        if (permutations.context) comparison.pValues = await permutationPValues(source.set, target.set, estimator, permutations.context, options, location);
        comparisons[index] = comparison;
        options.onComparison?.(comparison);
      }
      done += 1;
      options.onProgress?.({ done, total, label: split.name });
    };
    const concurrency = Math.max(1, options.concurrency ?? Math.max(2, Math.floor(IN_FLIGHT_BYTES / Math.max(1, setBytes(idSet)))));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < oodSplits.length && failures.length === 0) {
        // One split per turn: what it asked of other threads goes out before the next is read.
        await new Promise((resolve) => setImmediate(resolve));
        if (next >= oodSplits.length || failures.length > 0) break;
        const index = next++;
        try {
          await compareOne(index);
        } catch (error) {
          failures.push({ index, error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, oodSplits.length) }, worker));
    // The ID split's own failure comes first, then the earliest OOD split's.
    const sourceEmi = await source.emi;
    const idDiagnosis = await diagnosis;
    if (failures.length > 0) throw failures.reduce((first, failure) => (failure.index < first.index ? failure : first)).error;

    const emiBySplit: Record<string, EmiResult> = { [source.name]: sourceEmi };
    for (const comparison of comparisons) emiBySplit[comparison.target] = comparison.targetEmi;
    if (permutations.context) {
      const qValues = multipleTestingModule().benjaminiHochberg(comparisons.map((comparison) => (comparison.pValues as ComparisonPValues).emid));
      comparisons.forEach((comparison, i) => (comparison.pValues = { ...(comparison.pValues as ComparisonPValues), emidQValue: qValues[i] }));
    }
    const permutationProvenance = permutations.context
      ? { ...permutationRecordOf(source.set, permutations.context, options.entropyScale), adjustment: `EMID's p-values adjusted by Benjamini–Hochberg across the ${comparisons.length} OOD splits (EMID_QVAL); every split tested on the same partitions` }
      : undefined;
    const provenance = comparisonProvenance(
      { api: 'sweepSplits' },
      description,
      source.name,
      Object.fromEntries([[source.name, withRows(source.name, splitRecord(source.set))], ...comparisons.map((c) => [c.target, c.targetSplit] as const)]),
      { mixture, guard, settings, options, diagnosis: idDiagnosis, baselines: baselineSettings, permutations: permutationProvenance },
    );
    if (subsetter) provenance.row_subset = subsetter.record();
    return {
      idSplit: source.name,
      mixture,
      ...(options.entropyScale !== undefined ? { entropyScale: options.entropyScale } : {}),
      emi: emiBySplit,
      comparisons,
      correlation: correlationSummary(
        comparisons.map((comparison) => comparison.emid),
        comparisons.map((comparison) => comparison.emidUpperBound),
        options.bootstrap,
      ),
      shifts: Object.fromEntries(Object.entries(provenance.splits).flatMap(([name, split]) => (split.shift ? [[name, split.shift] as const] : []))),
      eigenproblems: cache.eigenproblemCounts(),
      ...(settings ? { bootstrap: settings } : {}),
      provenance,
    };
  } finally {
    if (ownSolver) await solver.close();
    await permutations.ownSolver?.close();
    await permutations.blockSolver?.close();
  }
}

const defaultWarn = (message: string): void => console.warn(`emishift: warning: ${message}`);

const toInterval = (result: { lower: number; upper: number }): Interval => [result.lower, result.upper];

async function comparisonIntervals(source: EmbeddingSet, target: EmbeddingSet, estimator: MutualInformationEstimator, options: SweepOptions) {
  const { emiInterval, emidInterval, emidUpperBoundInterval } = await import('./intervals');
  const bootstrap = options.bootstrap ?? {};
  return {
    targetEmi: toInterval(await emiInterval(target, estimator, bootstrap)),
    emid: toInterval(await emidInterval(source, target, estimator, bootstrap)),
    emidUpperBound: toInterval(await emidUpperBoundInterval(source, target, { resamples: 1000, ...bootstrap, mixture: options.mixture, entropyScale: undefined })),
  };
}

type BootstrapSettings = Awaited<ReturnType<typeof bootstrapSettings>>;

async function bootstrapSettings(source: EmbeddingSet, estimator: MutualInformationEstimator, bootstrap: BootstrapOptions) {
  const { emiInterval } = await import('./intervals');
  return {
    resamples: bootstrap.resamples ?? 1000,
    confidence: bootstrap.confidence ?? 0.95,
    seed: bootstrap.seed ?? 0,
    method: bootstrap.method ?? DEFAULT_INTERVAL_METHOD,
    sourceEmi: toInterval(await emiInterval(source, estimator, bootstrap)),
  };
}

/** Options of one comparison: a sweep's, without what only a sweep of many splits has. */
export type ComparePairOptions = Omit<SweepOptions, 'completed' | 'onComparison' | 'concurrency'> & {
  /** Where the two sets come from (folders), for error messages; default their names. */
  locations?: [string | undefined, string | undefined];
};

/**
 * One ID/OOD comparison, computed directly: both EMIs, the bound's terms with its spectra solved
 * in this thread (or on `options.solver`), bootstrap intervals when asked for, and the same
 * provenance, space checks and warnings as a sweep of the one split.
 */
export async function comparePair(
  source: EmbeddingSet,
  target: EmbeddingSet,
  estimator: MutualInformationEstimator,
  options: ComparePairOptions = {},
): Promise<ComputedComparison & { provenance: ResultProvenance }> {
  estimator.prepare();
  const baselineSettings = baselineSettingsOf(options);
  const mixture = options.mixture ?? 'sample-weighted';
  const description = estimator.description;
  const guard = new SpaceGuard(description, options.allowSpaceMismatch ?? false);
  const solver = options.solver ?? inThreadEigenSolver;
  const sourceName = source.name ?? 'source';
  const targetName = target.name ?? 'target';
  const prepared = prepare(sourceName, options.locations?.[0] ?? sourceName, source, estimator, solver, guard, undefined);
  const diagnosis = diagnoseOn(prepared, estimator);
  const settings = options.bootstrap ? await bootstrapSettings(source, estimator, options.bootstrap) : undefined;
  let other: PreparedSplit;
  try {
    other = prepare(targetName, options.locations?.[1] ?? targetName, target, estimator, solver, guard, undefined, prepared);
  } catch (error) {
    // As in a sweep, the ID split's own failure is reported first.
    await prepared.emi;
    throw error;
  }
  const terms = boundTermsOfMoments(prepared.moments, other.moments, new DivergenceCache(mixture));
  terms.catch(() => undefined);
  const sourceEmi = await prepared.emi;
  const sourceDiagnosis = await diagnosis;
  const [targetEmi, boundTerms] = await Promise.all([other.emi, terms]);
  const intervals = settings ? { sourceEmi: settings.sourceEmi, ...(await comparisonIntervals(source, target, estimator, options)) } : undefined;
  const baselines = options.baselines ? baselineValues(source, target, options.baselines, options.locations?.[1] ?? targetName) : undefined;
  const comparison = comparisonOf(sourceName, targetName, target, { sourceEmi, targetEmi, terms: boundTerms, intervals, baselines }, options.entropyScale);
  const permutations = permutationContext(options);
  try {
    if (permutations.context) comparison.pValues = await permutationPValues(source, target, estimator, permutations.context, options, options.locations?.[1] ?? targetName);
  } finally {
    await permutations.ownSolver?.close();
    await permutations.blockSolver?.close();
  }
  options.onProgress?.({ done: 1, total: 1, label: targetName });
  const splits = { [sourceName]: splitRecord(source), [targetName]: comparison.targetSplit };
  const permutationProvenance = permutations.context ? permutationRecordOf(source, permutations.context, options.entropyScale) : undefined;
  const provenance = comparisonProvenance({ api: 'comparePair' }, description, sourceName, splits, { mixture, guard, settings, options, diagnosis: sourceDiagnosis, baselines: baselineSettings, permutations: permutationProvenance });
  return { ...comparison, provenance };
}

/** A comparison's drift baselines without their settings (those go in the provenance once); errors name the OOD split's folder. */
function baselineValues(
  source: EmbeddingSet,
  target: EmbeddingSet,
  options: DriftBaselineOptions,
  location: string,
  reuse?: { cache: DriftBaselineCache; targetKeys: TargetContentKeys },
): DriftBaselines {
  try {
    const { settings: _settings, ...values } = driftModule().driftBaselines(source, target, options, reuse);
    return values;
  } catch (error) {
    if (error instanceof InputError && error.file === undefined) throw new InputError(error.message, { file: location });
    throw error;
  }
}

/** The content keys of a split's image, question and answer matrices (the bound hashes them anyway, to share their products). */
function contentKeysOf(moments: SetMoments): TargetContentKeys {
  return { ...(moments.image ? { image: moments.image.contentKey } : {}), question: moments.text.contentKey, answer: moments.response.contentKey };
}

/** A comparison from its computed parts: EMID, the bound (and its full form with an entropy scale), the target as provenance records it. */
function comparisonOf(
  sourceName: string,
  targetName: string,
  target: EmbeddingSet,
  parts: { sourceEmi: EmiResult; targetEmi: EmiResult; terms: BoundTerms; intervals: ComputedComparison['intervals']; baselines?: DriftBaselines | undefined },
  entropyScale: number | undefined,
): ComputedComparison {
  const bound = boundFromTerms(parts.terms, entropyScale);
  return {
    source: sourceName,
    target: targetName,
    sourceEmi: parts.sourceEmi,
    targetEmi: parts.targetEmi,
    emid: parts.sourceEmi.emi - parts.targetEmi.emi,
    terms: parts.terms,
    emidUpperBound: bound.value,
    ...(bound.full !== undefined ? { emidUpperBoundFull: bound.full } : {}),
    ...(parts.intervals ? { intervals: parts.intervals } : {}),
    targetSplit: splitRecord(target),
    ...(parts.baselines ? { baselines: parts.baselines } : {}),
  };
}

/** The provenance of a sweep or a comparison; its warnings go to `options.warn` (stderr by default) as it is made. */
function comparisonProvenance(
  api: { api: string },
  estimator: EstimatorDescription,
  idSplit: string,
  splits: ResultProvenance['splits'],
  context: {
    mixture: MixtureWeighting;
    guard: SpaceGuard;
    settings: BootstrapSettings | undefined;
    options: Pick<SweepOptions, 'warn' | 'invocation' | 'entropyScale'>;
    diagnosis: EstimatorDiagnosis;
    baselines?: DriftBaselineSettings | undefined;
    permutations?: PermutationRecord | undefined;
  },
): ResultProvenance {
  const { mixture, guard, settings, options, diagnosis } = context;
  const diagnosisWarnings = diagnosis.warnings.map((line) => `${idSplit}: ${line}`);
  const warnings = [...guard.warnings(), ...diagnosisWarnings];
  const warn = options.warn ?? defaultWarn;
  for (const line of warnings) warn(line);
  return buildProvenance({
    invocation: options.invocation ?? api,
    estimator,
    id_split: idSplit,
    splits,
    mixture,
    entropy_scale: options.entropyScale ?? null,
    bootstrap: settings ? { resamples: settings.resamples, confidence: settings.confidence, seed: settings.seed, method: settings.method } : null,
    space_check: guard.summary(),
    estimator_diagnosis: { split: idSplit, values: { ...diagnosis.values }, warnings: diagnosisWarnings },
    ...(context.baselines ? { drift_baselines: context.baselines } : {}),
    ...(context.permutations ? { permutation_test: context.permutations } : {}),
    warnings,
  });
}

/** The estimator's check of itself on a split's queries; a failure there waits for the split's own EMI error, which names the split. */
function diagnoseOn(split: PreparedSplit, estimator: MutualInformationEstimator): Promise<EstimatorDiagnosis> {
  const diagnosis = estimator.diagnose(split.query);
  diagnosis.catch(() => undefined);
  return diagnosis;
}

/** Checks that the ID split is among the split names; the error lists them and names `where` (the split folder root, or a job's `id` field). */
export function assertIdSplit(names: readonly string[], id: string, where: InputErrorLocation): void {
  if (!names.includes(id)) {
    const listed = names.length > 8 ? `${names.slice(0, 8).join(', ')}, … (${names.length} in all)` : names.join(', ');
    throw new InputError(`no split named '${id}' (splits found: ${listed || 'none'})`, where);
  }
}
