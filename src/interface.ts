/**
 * Shapes shared by every stage. This module imports nothing from the package, so any stage
 * (and any user-defined estimator) can depend on it without pulling in the others.
 */

/** A dense row-major matrix: row i occupies data[i * cols, (i + 1) * cols). */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array | Float64Array;
}

/** One encoder of an embedding space: which model, and how its outputs were pooled into a row. */
export interface EncoderDescription {
  /** The model, e.g. `xlm-roberta-base` or `builtin-text-v1`. */
  readonly model: string;
  /** How token or patch outputs became one vector, e.g. `mean over patch tokens (CLS excluded)`. */
  readonly pooling: string;
}

/**
 * The space a split's embeddings live in. An estimator fitted in one space says nothing about
 * embeddings from another: CLUB's μ(x) and logvar(x) are functions of the coordinates.
 */
export interface EmbeddingSpace {
  /** The embedder family that produced it (`builtin`, `transformers`, `openai`, `paper`, …). */
  readonly embedder: string;
  /** Queries' text and both kinds of responses. */
  readonly text: EncoderDescription;
  /** Query images; null for text-only splits. */
  readonly image: EncoderDescription | null;
  readonly dimension: number;
  /** Every row is scaled to unit length (`l2`). */
  readonly normalization: string;
}

/** What a split's generator knew about its shift, carried with the split to its figures. */
export interface ShiftDescription {
  /** A token such as `defocus_blur`, `keyboard_typos`, `frost+synonym_replacement`; `none` for the ID split. */
  readonly family: string;
  /** The family in words, for figures and tables: `defocus blur`. */
  readonly label: string;
  /** Which input the shift changes; `answer`: the answers themselves (an output-side shift). */
  readonly modality: 'image' | 'text' | 'answer' | 'joint' | 'none';
  /** The severity on the family's own scale; null for joint shifts and the ID split. */
  readonly severity: number | null;
  /** What a severity step means on this family's scale, e.g. `ImageNet-C level`. */
  readonly unit: string | null;
  /** A joint shift's single-modality parts. */
  readonly components?: readonly ShiftDescription[];
}

/**
 * The four embedding matrices of one split (one row per query, rows aligned across matrices).
 * `image` is absent for text-only data; the query embedding is then `text` alone.
 */
export interface EmbeddingSet {
  readonly name?: string;
  /** The check of the split's text against its text encoder's language, for encoders that know one language. */
  readonly textLanguage?: TextLanguageRecord;
  /** The space the rows live in (from the split folder's manifest); absent when unknown. */
  readonly space?: EmbeddingSpace;
  /** The shift the split was generated with, when known. */
  readonly shift?: ShiftDescription;
  /** Where the set was read from: its folder and a digest of its manifest's content. */
  readonly origin?: { readonly directory: string; readonly manifestDigest: string | null };
  /** z_v: image-query embeddings. */
  readonly image?: Matrix;
  /** z_t: text-query embeddings. */
  readonly text: Matrix;
  /** z_ŷ: model-response embeddings. */
  readonly response: Matrix;
  /** z_y: reference-response embeddings. */
  readonly reference: Matrix;
}

/**
 * How an estimator was made, for the provenance of every result computed with it: its name,
 * the space it was fitted in, and either the file it was read from or its training settings.
 */
export interface EstimatorDescription {
  /** e.g. `club`. */
  readonly name: string;
  /** The embedding space it was fitted in; absent when nobody recorded it. */
  readonly space?: EmbeddingSpace;
  readonly file?: { readonly path: string; readonly sha256: string; readonly recognizedAs?: string };
  readonly training?: { readonly preset?: string; readonly settings: Readonly<Record<string, unknown>>; readonly pairs?: number; readonly digest?: string; readonly engine?: string };
  readonly [detail: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// Estimators

/** Rows paired across two matrices: row i of `x` goes with row i of `y`. */
export interface PairedSample {
  readonly x: Matrix;
  readonly y: Matrix;
}

/** Pairs an estimator can learn from, with the embedding space they live in when it is known. */
export interface TrainingPairs extends PairedSample {
  readonly space?: EmbeddingSpace;
}

/** What every `fit` accepts. */
export interface FitOptions {
  onProgress?: ProgressCallback | undefined;
}

/**
 * An estimator's pass over one x, kept. Estimates for any y paired with x's rows, on all the rows
 * or on any selection of them (a bootstrap resample, one side of a permutation, a subset), each
 * without another pass over x where the estimator can share it.
 */
export interface ConditionedEstimator {
  /** Rows of the x it was conditioned on; every y given to it has as many. */
  readonly rows: number;
  /**
   * Î(x; y) on the rows `rows` (all rows when omitted; repeats allowed): `y` is paired with the
   * whole x, and the same indices select from both.
   */
  estimate(y: Matrix, rows?: Int32Array): Promise<number>;
  /**
   * Î(x; y) on each selection of rows (a permutation test asks for thousands of them at once):
   * element k is `estimate(y, selections[k])`, up to float64 rounding where the estimator can
   * reduce many selections more cheaply in another order (CLUB: its quadratic form over pairs of
   * rows factorised into column sums of the selected rows).
   */
  estimateSelections(y: Matrix, selections: readonly Int32Array[]): Promise<Float64Array>;
}

/** A kept pass whose estimate is a mean of per-row terms (pointwise mutual information). */
export interface PointwiseConditionedEstimator extends ConditionedEstimator {
  /**
   * The per-row terms of `estimate(y, rows)`: term k belongs to row `rows[k]` (row k when
   * omitted), and their mean is the estimate. The terms of a selection depend on the whole
   * selection (CLUB's contrast term averages y over it).
   */
  rowTerms(y: Matrix, rows?: Int32Array): Promise<Float64Array>;
}

/**
 * Every mutual-information estimator has this shape: `estimate(x, y)` on paired rows, in nats
 * (as in cbg-ethz/bmi), and the same few members beside it, so that EMI, intervals and sweeps
 * call them without asking what an estimator can do. An estimator with no shared pass over x
 * gets them from `defineEstimator`, which builds them from `estimate`; one that can share the
 * pass (CLUB: one forward pass on z for EMI's two terms and every bootstrap resample) implements
 * them itself. Abilities beyond these are declared by the extended types below.
 */
export interface MutualInformationEstimator {
  /** How it was made; recorded in the provenance of every result computed with it. */
  readonly description: EstimatorDescription;
  estimate(x: Matrix, y: Matrix): Promise<number>;
  /** Î(x; y_k) for every y_k; each value equals `estimate(x, y_k)`. */
  estimateMany(x: Matrix, ys: readonly Matrix[]): Promise<number[]>;
  /** The pass over x, kept for estimates on selections of its rows. */
  condition(x: Matrix): Promise<ConditionedEstimator>;
  /**
   * Starts, without waiting, whatever every estimate needs first (a native engine, its
   * sessions), so that it overlaps the caller's own work; a no-op where nothing needs starting.
   */
  prepare(): void;
  /**
   * What the estimator can tell about its own reliability on the x it would be conditioned on
   * (CLUB: how much of its variance network is saturated there); nothing for most estimators.
   */
  diagnose(x: Matrix): Promise<EstimatorDiagnosis>;
}

/** An estimator's check of itself on some data: measurements, and a warning line for each problem found. */
export interface EstimatorDiagnosis {
  /** Named measurements, e.g. `logvar_saturation: 0.97` (a share of outputs). */
  readonly values: Readonly<Record<string, number>>;
  /** One line per problem, for stderr, the results' provenance and the report; empty when none. */
  readonly warnings: readonly string[];
}

/** An estimator whose estimates are means of per-row terms: pointwise values are available. */
export interface PointwiseEstimator extends MutualInformationEstimator {
  condition(x: Matrix): Promise<PointwiseConditionedEstimator>;
  /**
   * The per-row terms of `estimateMany(x, ys)`, from the same pass: the mean of element k is
   * `estimateMany(x, ys)[k]` exactly (the same terms averaged the same way), at the same cost.
   */
  rowTermsMany(x: Matrix, ys: readonly Matrix[]): Promise<Float64Array[]>;
}

/** An estimator that learns from pairs: `fit` returns a new one of the same kind and settings. */
export interface TrainableEstimator extends MutualInformationEstimator {
  fit(pairs: TrainingPairs, options?: FitOptions): Promise<TrainableEstimator>;
}

/**
 * What `defineEstimator` builds an estimator from: a description and `estimate`. An estimator
 * that can share its pass over x implements the whole contract itself instead.
 */
export interface EstimatorDefinition {
  readonly description: EstimatorDescription;
  estimate(x: Matrix, y: Matrix): Promise<number>;
}

/** Uniform and normal draws; `createRng(seed)` makes a seeded one. */
export interface RandomSource {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal. */
  normal(): number;
}

/** A distribution of pairs whose mutual information is known: the ground truth estimators are checked against. */
export interface Sampler {
  /** e.g. `gaussian-4d-0.6`. */
  readonly name: string;
  readonly xDim: number;
  readonly yDim: number;
  /** `n` independent pairs drawn with `rng`. */
  sample(n: number, rng: RandomSource): PairedSample;
  /** I(x; y) in nats, from a formula. */
  mutualInformation(): number;
}

// ---------------------------------------------------------------------------------------------
// Results

/** EMI of one split. */
export interface EmiResult {
  emi: number;
  /** Î(z; z_ŷ), the model responses' MI with the query. */
  miModel: number;
  /** Î(z; z_y), the reference responses' MI with the query. */
  miReference: number;
}

/** EMID between a source (ID) split and a target (OOD) split, with both EMIs. */
export interface EmidResult {
  emid: number;
  source: EmiResult;
  target: EmiResult;
}

/** How a mixture of two sets' second moments is weighted in RJSD: by row count (the reference's) or ½ each. */
export type MixtureWeighting = 'sample-weighted' | 'equal';

/** The four RJSD terms of the EMID upper bound. */
export interface BoundTerms {
  jsdV: number;
  jsdT: number;
  jsdPy: number;
  jsdQy: number;
}

/** The drift baselines of one modality between a source and a target sample (see `driftBaselines`). */
export interface ModalityDrift {
  /** Unbiased MMD² with the RBF kernel of bandwidth `bandwidth`. */
  mmd2: number;
  /** Its permutation p-value, (1 + #{MMD²_perm ≥ MMD²_obs}) / (1 + permutations). */
  mmd2PValue: number;
  /** σ of k(a, b) = exp(−‖a − b‖² / (2σ²)): the median pairwise distance of the pooled rows, unless fixed. */
  bandwidth: number;
  /** Cross-validated ROC-AUC of a logistic-regression domain classifier (0.5: indistinguishable). */
  classifierAuc: number;
  /** 1 − cos(mean of the source's rows, mean of the target's). */
  meanCosineDistance: number;
}

/** Drift baselines per modality: image (z_v, when the sets have images), question (z_t), answer (the model response z_ŷ). */
export interface DriftBaselines {
  image?: ModalityDrift;
  question: ModalityDrift;
  answer: ModalityDrift;
}

/** How drift baselines were computed, as the provenance records them. */
export interface DriftBaselineSettings {
  /** Permutations of split membership for each MMD² p-value. */
  permutations: number;
  /** Seeds the permutations and the classifier's folds. */
  seed: number;
  /** Stratified cross-validation folds of the domain classifier. */
  folds: number;
  /** The classifier's λ in units of the training fold's total variance. */
  ridge: number;
  /** The kernel, in words. */
  kernel: string;
  /** How σ was chosen: the pooled median distance, or the fixed value. */
  bandwidth: string;
  /** The classifier, in words. */
  classifier: string;
  /** Which embedding each modality's baselines compare. */
  modalities: { image: string; question: string; answer: string };
}

/** Eigenproblems solved by a sweep, and requests served without one (repeated matrices). */
export interface DivergenceCounts {
  /** Distinct self-entropies computed (one eigenproblem each). */
  entropies: number;
  /** Distinct mixture entropies computed (one eigenproblem each). */
  mixtures: number;
  /** Requests answered from the cache or by identity, without an eigenproblem. */
  reused: number;
}

/** A bootstrap interval [lower, upper] (the method is in the run's bootstrap settings). */
export type Interval = [number, number];

/** One split as the provenance records it. */
export interface SplitRecord {
  rows: number;
  /** The check of the split's text against its text encoder's language, when the encoder knows one language. */
  text_language?: TextLanguageRecord;
  /** Null when the split folder has no manifest naming it (plain `.npy` files). */
  space: EmbeddingSpace | null;
  /** Digest of the manifest's content (see `manifestDigest`); null without a manifest. */
  manifest_digest: string | null;
  directory?: string;
  shift?: ShiftDescription;
  /** When the sweep compared a seeded subset (`SweepOptions.rowSubset`): the split's rows before it, and the 0-based rows kept. */
  row_subset?: { of: number; kept: number[] };
}

/** One OOD split's place in a modality selection: its shift's modality, where that was read, and why it is in or out. */
export interface SplitSelectionEntry {
  split: string;
  selected: boolean;
  /** The modality its shift touches; null when nothing records its shift. */
  shift_modality: ShiftDescription['modality'] | null;
  /** Where the shift was read: the split folder's manifest, or the paper's scenario catalog by the split's name. */
  shift_from: 'manifest' | 'catalog' | null;
  reason: string;
}

/** Which OOD splits a sweep compared, chosen by the modality of their shift (`sweep --modality`). */
export interface SplitSelectionRecord {
  /** V = image-only shifts, T = text-only, J = joint, ALL = every split. */
  modality: 'V' | 'T' | 'J' | 'ALL';
  /** What the selection keeps, in words. */
  meaning: string;
  /** The rule for splits whose shift nothing records. */
  without_metadata: string;
  /** Every OOD split under the root, in order, selected or not. */
  splits: SplitSelectionEntry[];
}

/** How a sweep's seeded row subsets were drawn (each split's rows kept are in its `SplitRecord.row_subset`). */
export interface RowSubsetRecord {
  /** Rows kept per split. */
  rows: number;
  seed: number;
  /** The sampling rule in words. */
  method: string;
}

/**
 * Whether a split's text is in its text encoder's language (a script and function-word check;
 * see `textLanguageCheck`), as manifests and provenance record it.
 */
export interface TextLanguageRecord {
  /** The encoder's language (BCP 47), e.g. `en`. */
  readonly language: string;
  /** How it was checked. */
  readonly method: string;
  /** Texts checked (questions, model answers and reference answers). */
  readonly texts: number;
  readonly letters: number;
  /** Share of letters in the Latin script (1 when there are none). */
  readonly latin_share: number;
  /** Share of Latin-script words that are common English function words; null without any. */
  readonly english_word_share: number | null;
  readonly dominant_script: string | null;
  /** True when the text is mostly outside the language: its vectors then carry little meaning. */
  readonly mostly_outside: boolean;
  /** Why, in words; null when it is not. */
  readonly reason: string | null;
}

/** A space disagreement that was allowed to run (`allowSpaceMismatch`). */
export interface SpaceMismatchRecord {
  split: string;
  /** `estimator`, or the ID split's name. */
  against: string;
  reason: string;
}

/** What the space guard checked, allowed and could not check. */
export interface SpaceCheck {
  allow_mismatch: boolean;
  /** Splits whose space is unknown, so nothing could be checked for them. */
  unchecked: string[];
  mismatches: SpaceMismatchRecord[];
}

/** What was run: a CLI command line (and the job config it read), or the library function called. */
export interface Invocation {
  command?: string;
  config?: unknown;
  config_file?: string;
  api?: string;
}

/** How a result was made: version, invocation, estimator, every split, the bound's and intervals' settings. */
export interface ResultProvenance {
  emishift_version: string;
  node_version: string;
  invocation: Invocation;
  estimator: EstimatorDescription;
  id_split: string;
  splits: Record<string, SplitRecord>;
  mixture: string;
  entropy_scale: number | null;
  bootstrap: { resamples: number; confidence: number; seed: number; method: string } | null;
  space_check: SpaceCheck;
  /** The estimator's check of itself on the ID split's queries (absent from files written before it was recorded). */
  estimator_diagnosis?: { split: string; values: Record<string, number>; warnings: string[] };
  /** The drift baselines' settings, when they were computed. */
  drift_baselines?: DriftBaselineSettings;
  /** How the permutation p-values were made, when they were asked for. */
  permutation_test?: PermutationRecord;
  warnings: string[];
  /** Present when the OOD splits were chosen by the modality of their shift. */
  split_selection?: SplitSelectionRecord;
  /** Present when every split was cut to a seeded subset of its rows. */
  row_subset?: RowSubsetRecord;
}

/** How a comparison's permutation p-values were made (see permutationTest), as the provenance records it. */
export interface PermutationRecord {
  permutations: number;
  seed: number;
  /** `pooled` (any reassignment of the pooled rows) or `paired` (pairs of rows swapped). */
  design: string;
  /** The statistics tested (`emid`, `jsd_v`, `jsd_t`, `emid_ub`). */
  statistics: string[];
  /** Each statistic's one-sided alternative in words. */
  alternatives: Record<string, string>;
  method: string;
  /** Which form of the bound `emid_ub` is: `scale-adjusted` or `full`. */
  bound: string;
  /** How EMID's p-values were adjusted across a sweep's OOD splits (absent for one pair). */
  adjustment?: string;
}

/** A comparison's permutation p-values (one-sided: the statistic larger than under exchangeable rows). */
export interface ComparisonPValues {
  emid: number;
  /** Absent for text-only splits: with no image embeddings there is no image term to test. */
  jsdV?: number;
  jsdT: number;
  emidUpperBound: number;
  /** EMID's p-value adjusted (Benjamini–Hochberg) across a sweep's OOD splits; absent for one pair. */
  emidQValue?: number;
}

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
  /** Drift baselines (MMD², domain classifier, mean cosine distance) per modality, when asked for. */
  baselines?: DriftBaselines;
  /** Permutation p-values, when asked for (`permutations`; the provenance's `permutation_test` says how). */
  pValues?: ComparisonPValues;
}

/** A comparison as `comparePair` and `sweepSplits` compute it: the parts a results file may lack are all there. */
export interface ComputedComparison extends PairComparison {
  sourceEmi: EmiResult;
  targetEmi: EmiResult;
  terms: BoundTerms;
  targetSplit: SplitRecord;
}

/** How well the bound tracks EMID across OOD splits. */
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

// ---------------------------------------------------------------------------------------------
// Progress

/** One report of a long computation's progress. */
export interface Progress {
  /** Units finished so far, of `total`. */
  done: number;
  total: number;
  /** What was just finished (an item's name), for a detailed display. */
  label?: string;
  /**
   * The stage of a job with several (a present participle: 'embedding', 'training CLUB'). A new
   * stage restarts `done`; a log shows one line when a stage starts and one when it ends.
   */
  stage?: string;
  /** What `done` counts, plural ('splits', 'epochs'), for those lines. */
  unit?: string;
  [key: string]: unknown;
}

/** Progress of a long computation: `done` of `total` units, with an optional label and stage. */
export type ProgressCallback = (progress: Progress) => void;
