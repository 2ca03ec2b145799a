/**
 * emishift's public API: what a notebook or a program needs to measure how a multimodal model's
 * answers lose relevance under distribution shift (EMI, EMID and the EMID upper bound of Oh et
 * al., ICML 2025). The groups follow the data: split tables → embeddings → an estimator → EMI and
 * the bound → statistics → sweeps and their results → figures → reports → the whole job.
 *
 * Everything else is internal. One deliberate subpath adds the project's own generated benchmark
 * (scenes, questions, the answering model, the shift functions and grid): `emishift/benchmark`.
 *
 * Verbs: `read`/`write` a data file, `load`/`save` a model, `to…Json`/`from…Json` the results
 * format in memory, `create` a component, `sample` synthetic data. Importing this module loads
 * no native code: ONNX Runtime, TensorFlow.js, transformers.js and danfojs load on first use.
 * test/index.test.ts pins the list of runtime names, so a change to it is deliberate.
 */

// ---------------------------------------------------------------------------------------------
// Shapes every stage shares, errors, the version

export type {
  Matrix,
  EmbeddingSet,
  EmbeddingSpace,
  EncoderDescription,
  ShiftDescription,
  EstimatorDescription,
  MutualInformationEstimator,
  PointwiseEstimator,
  TrainableEstimator,
  ConditionedEstimator,
  PointwiseConditionedEstimator,
  EstimatorDefinition,
  Sampler,
  Progress,
  ProgressCallback,
} from './interface';
export { InputError, isInputError, SpaceMismatchError, type InputErrorLocation } from './errors';
export { OptionalPeerError, isOptionalPeerError, type OptionalPeer, type OptionalPeerProblem } from './optionalPeers';
export { EMISHIFT_VERSION } from './version';
export { createRng, type RandomSource } from './random';
export { matrixFromRows, selectRows } from './linalg/matrix';

// ---------------------------------------------------------------------------------------------
// Data: split tables (questions, reference and model answers), the paper's scenario catalog,
// downloads, shift families and embedding spaces; split folders of embeddings and .npy files;
// samplers with known ground truth

export type { SplitRow, SplitTable } from './data/splitRow';
export { readSplitTable, joinResponses, type SplitFormat, type ReadSplitTableOptions, type JoinResponsesOptions } from './data/loaders';
export { toDataFrame, readSplitDataFrame } from './data/dataFrame';
export { scenarios, scenarioNames, scenario, scenarioShift, idScenario, type Scenario, type ScenarioFilter, type Benchmark } from './data/scenarios';
export { resolveSplitFile, fetchToCache, cacheDirectory, type SplitFileSource, type FetchToCacheOptions } from './data/download';
export { readSplitReference, type SplitReference, type ReadSplitReferenceOptions } from './data/splitReference';
export { SHIFT_FAMILIES, NO_SHIFT, describeShift, shiftFamilyLabel, type ShiftFamily } from './data/shiftFamilies';
export { PAPER_SPACE, describeSpace, spaceMismatch } from './data/embeddingSpace';
export { readRelativePreferences, type RelativePreferenceScore } from './data/formats/relativePreferences';
export { readSplitFolder, readSplitFolders, writeSplitFolder, listSplitFolders, validateEmbeddingSet } from './data/splitDirectory';
export { readSplitManifest, manifestDigest, type SplitManifest } from './data/splitManifest';
export { readNpy, writeNpy, readNpyMatrix, writeNpyMatrix, readPairedNpyMatrices, type NpyArray } from './io/npy';
export { sampleGaussianPairs, gaussianMutualInformation, gaussianClubValue } from './samplers/gaussianPairs';
export { sampleGaussianRows, type GaussianRowsOptions } from './samplers/gaussianRows';
export { sampleShiftGrid, type ShiftGridSplit, type ShiftGridOptions } from './samplers/syntheticShiftGrid';

// ---------------------------------------------------------------------------------------------
// Served models: collecting a model's answers and an LLM judge's scores (OpenAI-compatible)

export { ChatClient, ChatRequestError, ConnectionFailuresError, type ChatClientOptions } from './serve/openaiClient';
export { collectResponses, RunFailuresError, RunStoppedError, type CollectOptions, type CollectSummary } from './serve/collectResponses';
export { judgeSplit, readJudgeScores, relativePreference, type JudgeOptions, type JudgeSummary, type JudgeScoreRecord, type RelativePreference } from './serve/judge';
export { RELATIVE_PREFERENCE_METHODS, type RelativePreferenceMethod } from './serve/judge';

// ---------------------------------------------------------------------------------------------
// Embedding: split tables to the four matrices of a split folder

export type { Embedder, ImageEmbedder } from './embed/embedder';
export type { ImageInput, RgbImage } from './io/image';
export { createEmbedder, embed, embedSplit, type EmbedderPair, type EmbedderKind, type CreateEmbedderOptions, type EmbedOptions, type EmbedSplitOptions, type EmbedSplitResult } from './embed/index';
export { EmbeddingCache, type EmbeddingCacheCounts, type EmbeddingCounts } from './embed/embeddingCache';
export { PretrainedImageEmbedder, textLanguageCheck, type PretrainedEmbedderOptions, type PretrainedImageEmbedderOptions, type TextLanguageCheck } from './embed/index';
export type { PretrainedTextEmbedderOptions, PretrainedTextEngine } from './embed/index';
export type { TextLanguageRecord } from './interface';

// ---------------------------------------------------------------------------------------------
// Estimators: CLUB, fitted with a preset or loaded from a file (the authors' `.pt` or emishift's);
// the neural variational bounds (InfoNCE, NWJ, MINE, SMILE, CLUB-mean, CLUB-sample, L1Out);
// gaussian, ksg and ksg2; the registry by name and the validation against known MI

export {
  defineEstimator,
  ClubEstimator,
  CLUB_PRESETS,
  AUTHORS_CHECKPOINT_SHA256,
  type ClubEngine,
  type ClubOrigin,
  type ClubFitOptions,
  type ClubPresetName,
  type ClubTrainingSettings,
  type ClubParameters,
  type EpochRecord,
  type TrainClubResult,
  NeuralEstimator,
  createNeuralEstimator,
  NEURAL_DEFAULTS,
  NEURAL_ESTIMATOR_NAMES,
  type NeuralEstimatorName,
  type NeuralEstimatorSettings,
  type NeuralTrainingResult,
  type NeuralEpoch,
  type CriticKind,
  gaussianEstimator,
  ksgEstimator,
  ksg2Estimator,
  ESTIMATOR_ENTRIES,
  estimatorEntry,
  createRegisteredEstimator,
  validateEstimators,
  toValidationJson,
  type EstimatorEntry,
  type EstimatorSettings,
  type EstimateKind,
  type KsgSettings,
  type ValidationOptions,
  type ValidationResult,
  type ValidationRow,
} from './estimators';
// Ground truth for the estimators: samplers with known MI and the named task list.
export { GROUND_TRUTH_TASKS, findGroundTruthTask, type GroundTruthTask } from './samplers/tasks';
export { multivariateNormalSampler } from './samplers/multivariateNormal';
export { studentTSampler } from './samplers/studentT';
export { transformedSampler } from './samplers/transforms';
export { buildValidationReport } from './report/validationReport';

// ---------------------------------------------------------------------------------------------
// EMI, EMID and the bound, and permutation tests of them

export { emi, emid, type EmiResult, type EmidResult } from './emi/emi';
export { createEmiEstimator } from './emi/emiEstimator';
export { pointwiseEmi, mostHurtQueries, toPointwiseJson, type PointwiseEmiResult, type PointwiseEmiRow, type PointwiseEmiOptions } from './emi/pointwiseEmi';
export { joinPointwiseText, pointwiseEmiFrame, type PointwiseEmiTextRow } from './emi/pointwiseFrame';
export { detectShift, detectShiftBySubsets, subsetPairTest, toDetectionJson, type ShiftDetectionOptions, type ShiftDetectionResult, type SubsetPairTest } from './emi/shiftDetection';
export { emidUpperBound, type BoundTerms, type EmidUpperBound, type EmidUpperBoundOptions } from './bound/emidUpperBound';
export { rjsd, type MixtureWeighting, type RjsdOptions } from './bound/rjsd';
export { rjsdPropertyChecks, type RjsdCheck, type RjsdCheckOptions } from './bound/rjsdChecks';
// Drift baselines beside the bound's terms: MMD² with its permutation p-value, the domain classifier's AUC, the mean cosine distance
export { driftBaselines, meanCosineDistance, type DriftBaselineOptions, type DriftBaselineResult, type DriftBaselines, type DriftBaselineSettings, type ModalityDrift } from './drift/driftBaselines';
export { mmdTest, type MmdTestOptions, type MmdTestResult } from './drift/mmd';
export {
  permutationTest,
  PermutationCache,
  PERMUTATION_STATISTICS,
  type PermutationStatistic,
  type PermutationDesign,
  type PermutationTestOptions,
  type PermutationTestResult,
  type PermutationStatisticResult,
  type PermutationTestProvenance,
} from './significance/permutationTest';
// Where a permutation test's thousands of small spectra are solved (PermutationTestOptions.blockSolver)
export { createPrincipalBlockPool } from './linalg/principalBlockPool';
export { inThreadPrincipalBlockSolver, type PrincipalBlockSolver, type PrincipalBlocks, PrincipalBlockBase } from './linalg/principalBlocks';

// ---------------------------------------------------------------------------------------------
// Statistics: correlations with p-values, seeded bootstrap intervals (of EMI, EMID and the bound too)

export { pearson, spearman, kendallTauB, type PearsonResult, type SpearmanResult, type KendallResult, type CorrelationKind } from './stats/correlation';
export { mannWhitneyU, rocAuc, type MannWhitneyResult, type Alternative } from './stats/rankTests';
export { averagePrecision, detectionMetrics, type DetectionMetric, type DetectionMetrics } from './stats/detection';
export { benjaminiHochberg } from './stats/multipleTesting';
export { bootstrapInterval, bootstrapCorrelation, type BootstrapOptions, type BootstrapInterval, type BootstrapCorrelationInterval, type IntervalMethod } from './stats/bootstrap';
export { emiInterval, emidInterval, emidUpperBoundInterval, type BoundIntervalOptions } from './sweep/intervals';

// ---------------------------------------------------------------------------------------------
// Sweeps and their results: one result type in memory, the reference format on disk

export {
  sweepSplits,
  comparePair,
  type SweepResult,
  type PairComparison,
  type ComputedSweep,
  type ComputedComparison,
  type SplitEmi,
  type CorrelationSummary,
  type QualityMeasure,
  type QualityCorrelation,
  type Interval,
  type SweepOptions,
  type SplitSource,
} from './sweep/sweep';
export { toResultsJson, fromResultsJson, readResults, writeResults, toPairJson, type ResultsJson } from './sweep/resultsJson';
export { withQuality, relativePreferenceQuality, type QualityValues } from './sweep/quality';
export { describeEstimator, type ResultProvenance, type SplitRecord, type SpaceCheck, type Invocation } from './sweep/provenance';
export { sweepSplitFolders, type SweepFolderOptions } from './sweep/sweepFolder';
export {
  SHIFT_MODALITY_SELECTIONS,
  selectSplitsByShiftModality,
  seededRows,
  subsetEmbeddingSet,
  type RowSubsetOptions,
  type RowSubsetRecord,
  type ShiftModalitySelection,
  type SplitSelectionEntry,
  type SplitSelectionRecord,
} from './sweep/selection';

// ---------------------------------------------------------------------------------------------
// Monitoring over time: a stream in windows against a reference, with alerts and a resumable log

export {
  monitorStream,
  ALERT_ADJUSTMENTS,
  type MonitorOptions,
  type MonitorResult,
  type MonitorWindow,
  type MonitorSettings,
  type MonitorProvenance,
  type AlertAdjustment,
} from './monitor/monitorStream';
export { monitorToLog, readMonitorLog, type MonitorToLogOptions, type MonitorLogHeader } from './monitor/monitorLog';
export { readStream, type ReadStreamOptions } from './monitor/streamInput';

// ---------------------------------------------------------------------------------------------
// Figures (Plotly JSON) and notebook display (tslab)

export {
  figuresFromResults,
  emidBoundScatter,
  boundSeverityCurves,
  boundDecomposition,
  emiVersusQuality,
  emiVersusRp,
  trainingCurve,
  estimatorValidation,
  emidTracking,
  emidTrackingCorrelations,
  type TrackingCorrelation,
  type TrackingOptions,
  monitorTimeSeries,
  type MonitorFigureOptions,
  type PlotlyFigure,
  type NamedFigure,
  type EmidBoundPoint,
  type EmidBoundScatterOptions,
  type SeverityPoint,
  type SeverityCurveOptions,
  type DecompositionInput,
  type QualityPoint,
  type QualityFigureOptions,
  type EmiRpPoint,
  type EstimatorPoint,
} from './plots/figures';
export { validationScatterFigure, validationBiasFigure } from './plots/validationFigures';
export { show, showTable, type ShowOptions } from './plots/display';

// ---------------------------------------------------------------------------------------------
// Reports: the offline HTML page, its JSON summary, figure images

export { buildReport, type ReportOptions } from './report/html';
export { summarizeResults, type ResultsSummary, type ResultsFormat, type FamilyMeans, type QualitySummary } from './report/summary';
export { exportFigureImage, type ImageOptions } from './report/chromium';

// ---------------------------------------------------------------------------------------------
// The whole job: split tables → embeddings → CLUB → sweep → results.json and report.html

export { runJob, type JobOptions, type JobResult, type MethodOptions, type JobClubSettings } from './pipeline/runJob';
export {
  readJobConfig,
  parseJobConfig,
  type JobConfig,
  type SplitsJobConfig,
  type BenchmarkJobConfig,
  type JobSettingsConfig,
  type SplitConfig,
  type BenchmarkConfig,
  type EmbedderConfig,
  type BootstrapConfig,
} from './pipeline/jobConfig';
export { runFromConfig, summarizeJob, type RunFromConfigOptions, type ConfigRunResult, type JobSummary } from './pipeline/runFromConfig';
export { runShiftBenchmark, type BenchmarkOptions, type BenchmarkResult } from './pipeline/runBenchmark';
