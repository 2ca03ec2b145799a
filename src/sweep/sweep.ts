/**
 * Comparing an in-distribution split with shifted splits: EMI of every split, and for every
 * OOD split its EMID and EMID upper bound (with the four RJSD terms), then how well the bound
 * tracks EMID across splits.
 *
 * Cost: each split's CLUB forward pass is computed once; each distinct matrix's self-entropy
 * and each distinct pair's mixture entropy once (DivergenceCache), the ID split's shared by
 * every comparison. Per OOD split that is at most 7 eigenproblems (4 self-entropies, 1 response
 * mixture, 2 query mixtures with the ID split), fewer when its images, questions or references
 * repeat another split's. Splits are loaded one at a time (two in flight), so memory holds the
 * ID split plus the splits being compared.
 */
import { availableParallelism } from 'node:os';
import { InputError } from '../errors';
import type { EmbeddingSet, MutualInformationEstimator, ProgressCallback, ShiftDescription } from '../interface';
import { boundFromTerms, boundTermsOfMoments, setMoments, type BoundTerms, type SetMoments } from '../bound/emidUpperBound';
import { DivergenceCache, type DivergenceCounts } from '../bound/divergenceCache';
import type { MixtureWeighting } from '../bound/rjsd';
import { createParallelEigenSolver, type EigenSolver } from '../linalg/eigenSolver';
import { emi, type EmiResult } from '../emi/emi';
import { kendallTauB, pearson, spearman } from '../stats/correlation';
import { bootstrapCorrelation, DEFAULT_INTERVAL_METHOD, type BootstrapOptions } from '../stats/bootstrap';
import { emidInterval, emidUpperBoundInterval, emiInterval } from './intervals';
import { buildProvenance, estimatorDescription, SpaceGuard, splitRecord, type Invocation, type ResultProvenance, type SplitRecord } from './provenance';

/** A bootstrap interval [lower, upper] (the method is in the run's bootstrap settings). */
export type Interval = [number, number];

/**
 * A split's EMI and, when known, the two estimates it is the difference of. A computed result
 * always has both; the reference implementation's published files hold EMI alone.
 */
export type SplitEmi = Pick<EmiResult, 'emi'> & Partial<Omit<EmiResult, 'emi'>>;

/**
 * One ID/OOD comparison: the one in-memory shape of a result, whether computed (`comparePair`,
 * `sweepSplits`, where every part is present) or read from a results file (`fromResultsJson`),
 * which may hold less: the reference format publishes EMI, EMID and the bound only.
 */
export interface PairComparison {
  source: string;
  target: string;
  sourceEmi: SplitEmi;
  targetEmi: SplitEmi;
  emid: number;
  /** The four RJSD terms of the bound (always computed; absent from reference-format files). */
  terms?: BoundTerms;
  /** Scale-adjusted EMID upper bound. */
  emidUpperBound: number;
  /** Full bound, when an entropy scale was given. */
  emidUpperBoundFull?: number;
  /** Bootstrap intervals (resampling each split's rows), when asked for. */
  intervals?: { sourceEmi: Interval; targetEmi: Interval; emid: Interval; emidUpperBound: Interval };
  /** The OOD split as the provenance records it (space, manifest digest, shift); absent when a results file has no provenance. */
  targetSplit?: SplitRecord;
}

/** A comparison as `comparePair` and `sweepSplits` compute it: the parts a results file may lack are all there. */
export interface ComputedComparison extends PairComparison {
  sourceEmi: EmiResult;
  targetEmi: EmiResult;
  terms: BoundTerms;
  targetSplit: SplitRecord;
}

export interface CorrelationSummary {
  n: number;
  /** `interval`: bootstrap over OOD splits, when asked for. */
  pearson: { r: number; pValue: number; interval?: Interval };
  spearman: { rho: number; pValue: number; interval?: Interval };
  kendall: { tau: number; pValue: number; interval?: Interval };
}

/** A per-split measure of answer quality (accuracy, a judge's RP, …) kept beside EMI. */
export interface QualityMeasure {
  /** Its key in the results file, e.g. 'ACCURACY' or 'RP'. */
  key: string;
  /** In words, e.g. "accuracy". */
  label: string;
  higherIsBetter: boolean;
  /** Every split that has a value (the ID split included when it has one). */
  values: Record<string, number>;
  /** Rank correlations of EMI with it over the splits with both (`EMI_vs_<KEY>` in the file). */
  emiCorrelation?: QualityCorrelation;
}

/** How EMI ranks the splits against a quality measure. */
export interface QualityCorrelation {
  n: number;
  spearmanRho: number;
  spearmanPval: number;
  kendallTau: number;
  kendallPval: number;
}

/**
 * An ID split compared with every OOD split: the one in-memory shape of sweep results, computed
 * by `sweepSplits` or read from a results file by `fromResultsJson` (see PairComparison for what
 * a file may lack). Figures and reports take it.
 */
export interface SweepResult {
  idSplit: string;
  mixture: MixtureWeighting;
  entropyScale?: number;
  /** EMI of every split, the ID split included. */
  emi: Record<string, SplitEmi>;
  comparisons: PairComparison[];
  /** EMID against the scale-adjusted bound across OOD splits; absent with fewer than 3. */
  correlation?: CorrelationSummary;
  /** The shift of every split whose generator or catalog entry said (the splits' manifests, or a file's SHIFT map). */
  shifts: Record<string, ShiftDescription>;
  /** A per-split quality beside EMI, when one was joined (`withQuality`) or the file holds one. */
  quality?: QualityMeasure;
  /** The model whose answers were compared and the benchmark's shift type, when the results name them (the reference format's `model_name`, `shift_type`). */
  model?: string;
  shiftType?: string;
  /** Eigenproblems solved, and requests served without one (repeated matrices); absent from reference-format files. */
  eigenproblems?: DivergenceCounts;
  /** The ID split's EMI interval and the settings, when bootstrap intervals were asked for. */
  bootstrap?: { resamples: number; confidence: number; seed: number; method: string; sourceEmi: Interval };
  /** How the result was made: estimator, spaces, settings, warnings. Absent when a results file records none. */
  provenance?: ResultProvenance;
  /** Other top-level keys of a results file (`ds_id`, `split_root`, …), written back as they are. */
  metadata?: Record<string, unknown>;
}

/** A sweep as `sweepSplits` computes it: a SweepResult whose every comparison is computed, with its eigenproblem counts and provenance. */
export interface ComputedSweep extends SweepResult {
  emi: Record<string, EmiResult>;
  comparisons: ComputedComparison[];
  eigenproblems: DivergenceCounts;
  provenance: ResultProvenance;
}

/** A split that is read only when the sweep reaches it. */
export interface SplitSource {
  name: string;
  /** Where it comes from (a folder), for error messages; defaults to the name. */
  location?: string;
  load(): EmbeddingSet;
}

export interface SweepOptions {
  mixture?: MixtureWeighting | undefined;
  entropyScale?: number | undefined;
  /** Threads for large eigenproblems (default: all cores). */
  threads?: number | undefined;
  /** OOD splits processed at once (default 2: keeps both eigen workers busy). */
  concurrency?: number | undefined;
  /** Results already computed (a resumed run): these targets are not recomputed. */
  completed?: readonly ComputedComparison[] | undefined;
  /** Called with each comparison as soon as it is done (a checkpoint writer, say). */
  onComparison?: ((comparison: ComputedComparison) => void) | undefined;
  onProgress?: ProgressCallback | undefined;
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
}

interface PreparedSplit {
  name: string;
  emi: EmiResult;
  moments: SetMoments;
}

/** Shapes a comparison needs to match the ID split in; the message names the split. */
function assertComparable(source: EmbeddingSet, target: EmbeddingSet, location: string, sourceName: string): void {
  const describe = (set: EmbeddingSet) => `queries ${set.text.cols}-d${set.image ? ' with images' : ', text-only'}, responses ${set.response.cols}-d`;
  if (Boolean(source.image) !== Boolean(target.image) || source.text.cols !== target.text.cols || source.response.cols !== target.response.cols) {
    throw new InputError(`${describe(target)}, but the ID split '${sourceName}' has ${describe(source)}`, { file: location });
  }
}

async function prepare(
  split: SplitSource,
  estimator: MutualInformationEstimator,
  solver: EigenSolver,
  guard: SpaceGuard,
  source?: PreparedSplit & { set: EmbeddingSet },
): Promise<PreparedSplit & { set: EmbeddingSet }> {
  const location = split.location ?? split.name;
  const set = split.load();
  if (source) assertComparable(source.set, set, location, source.name);
  guard.check(split.name, location, set, source ? { name: source.name, set: source.set } : undefined);
  try {
    return { name: split.name, set, emi: await emi(set, estimator), moments: setMoments(set, solver) };
  } catch (error) {
    // Name the split: the estimator only knows it was handed matrices of the wrong shape.
    if (error instanceof InputError && error.file === undefined) throw new InputError(error.message, { file: location });
    throw error;
  }
}

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

/** Compares the ID split with every other split. */
export async function sweepSplits(
  idSplit: SplitSource,
  oodSplits: readonly SplitSource[],
  estimator: MutualInformationEstimator,
  options: SweepOptions = {},
): Promise<ComputedSweep> {
  const mixture = options.mixture ?? 'sample-weighted';
  const ownSolver = options.solver === undefined;
  const solver = options.solver ?? createParallelEigenSolver(options.threads ?? availableParallelism());
  const completed = new Map((options.completed ?? []).map((comparison) => [comparison.target, comparison]));
  const cache = new DivergenceCache(mixture);
  const total = oodSplits.length;
  const description = estimatorDescription(estimator);
  const guard = new SpaceGuard(description, options.allowSpaceMismatch ?? false);
  let done = 0;
  try {
    const source = await prepare(idSplit, estimator, solver, guard);
    const settings = options.bootstrap ? await bootstrapSettings(source.set, estimator, options.bootstrap) : undefined;
    const comparisons: ComputedComparison[] = new Array(oodSplits.length);
    const compareOne = async (index: number): Promise<void> => {
      const split = oodSplits[index];
      const resumed = completed.get(split.name);
      if (resumed) {
        comparisons[index] = resumed;
      } else {
        const target = await prepare(split, estimator, solver, guard, source);
        const terms = await boundTermsOfMoments(source.moments, target.moments, cache);
        const bound = boundFromTerms(terms, options.entropyScale);
        const intervals = settings ? { sourceEmi: settings.sourceEmi, ...(await comparisonIntervals(source.set, target.set, estimator, options)) } : undefined;
        const comparison: ComputedComparison = {
          source: source.name,
          target: split.name,
          sourceEmi: source.emi,
          targetEmi: target.emi,
          emid: source.emi.emi - target.emi.emi,
          terms,
          emidUpperBound: bound.value,
          ...(bound.full !== undefined ? { emidUpperBoundFull: bound.full } : {}),
          ...(intervals ? { intervals } : {}),
          targetSplit: splitRecord(target.set),
        };
        comparisons[index] = comparison;
        options.onComparison?.(comparison);
      }
      done += 1;
      options.onProgress?.({ done, total, label: split.name });
    };
    const concurrency = Math.max(1, options.concurrency ?? 2);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < oodSplits.length) await compareOne(next++);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, oodSplits.length) }, worker));

    const emiBySplit: Record<string, EmiResult> = { [source.name]: source.emi };
    for (const comparison of comparisons) emiBySplit[comparison.target] = comparison.targetEmi;
    const warnings = guard.warnings();
    const warn = options.warn ?? ((message: string) => console.warn(`emishift: warning: ${message}`));
    for (const line of warnings) warn(line);
    const provenance = buildProvenance({
      invocation: options.invocation ?? { api: 'sweepSplits' },
      estimator: description,
      id_split: source.name,
      splits: Object.fromEntries([[source.name, splitRecord(source.set)], ...comparisons.map((c) => [c.target, c.targetSplit] as const)]),
      mixture,
      entropy_scale: options.entropyScale ?? null,
      bootstrap: settings ? { resamples: settings.resamples, confidence: settings.confidence, seed: settings.seed, method: settings.method } : null,
      space_check: guard.summary(),
      warnings,
    });
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
  }
}

const toInterval = (result: { lower: number; upper: number }): Interval => [result.lower, result.upper];

async function comparisonIntervals(source: EmbeddingSet, target: EmbeddingSet, estimator: MutualInformationEstimator, options: SweepOptions) {
  const bootstrap = options.bootstrap ?? {};
  return {
    targetEmi: toInterval(await emiInterval(target, estimator, bootstrap)),
    emid: toInterval(await emidInterval(source, target, estimator, bootstrap)),
    emidUpperBound: toInterval(await emidUpperBoundInterval(source, target, { resamples: 1000, ...bootstrap, mixture: options.mixture, entropyScale: undefined })),
  };
}

async function bootstrapSettings(source: EmbeddingSet, estimator: MutualInformationEstimator, bootstrap: BootstrapOptions) {
  return {
    resamples: bootstrap.resamples ?? 1000,
    confidence: bootstrap.confidence ?? 0.95,
    seed: bootstrap.seed ?? 0,
    method: bootstrap.method ?? DEFAULT_INTERVAL_METHOD,
    sourceEmi: toInterval(await emiInterval(source, estimator, bootstrap)),
  };
}

/** One ID/OOD comparison (a sweep of one), with its provenance. */
export async function comparePair(
  source: EmbeddingSet,
  target: EmbeddingSet,
  estimator: MutualInformationEstimator,
  options: Omit<SweepOptions, 'completed' | 'onComparison' | 'concurrency'> & { locations?: [string, string] } = {},
): Promise<ComputedComparison & { provenance: ResultProvenance }> {
  const result = await sweepSplits(
    { name: source.name ?? 'source', location: options.locations?.[0], load: () => source },
    [{ name: target.name ?? 'target', location: options.locations?.[1], load: () => target }],
    estimator,
    { invocation: { api: 'comparePair' }, ...options },
  );
  return { ...result.comparisons[0], provenance: result.provenance };
}

/** Checks that the ID split is among the split names, with a message listing them. */
export function assertIdSplit(names: readonly string[], id: string, root: string): void {
  if (!names.includes(id)) {
    const listed = names.length > 8 ? `${names.slice(0, 8).join(', ')}, … (${names.length} in all)` : names.join(', ');
    throw new InputError(`no split named '${id}' (splits found: ${listed || 'none'})`, { file: root });
  }
}
