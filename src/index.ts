/**
 * emishift's public API. Importing it loads no native code: ONNX Runtime and TensorFlow.js are
 * loaded on first use by the functions that need them.
 */
export type { Matrix, EmbeddingSet, MutualInformationEstimator, ProgressCallback, EmbeddingSpace, EncoderDescription, ShiftDescription, EstimatorDescription } from './interface';
export { InputError, isInputError, SpaceMismatchError } from './errors';
export { EMISHIFT_VERSION } from './version';
export { OptionalPeerError, isOptionalPeerError, type OptionalPeer, type OptionalPeerProblem } from './optionalPeers';
export { createRng, type Rng } from './random';
export { matrixFromRows, selectRows } from './linalg/matrix';

// data
export { parseNpy, readNpy, readNpyMatrix, encodeNpy, writeNpy, writeNpyMatrix, type NpyArray } from './io/npy';
export { readSplitDirectory, writeSplitFolder, listSplitDirectories, validateEmbeddingSet, SPLIT_FILES } from './data/splitDirectory';
export { manifestDigest } from './data/splitManifest';
export { PAPER_SPACE, describeSpace, spaceMismatch, canonicalModelName } from './data/embeddingSpace';
export { SHIFT_FAMILIES, NO_SHIFT, describeShift, shiftFamilyLabel, canonicalShiftFamily, type ShiftFamily } from './data/shiftFamilies';

// mutual information
export type { ClubParameters } from './estimators/club/clubParameters';
export { ClubEstimator, clubEstimate, clubForward, type ClubEngine, type ClubOrigin, type ClubFitOptions } from './estimators/club/clubEstimator';
export { CLUB_PRESETS, CLUB_PRESET_NAMES, clubPresetSettings, type ClubPresetName, type ClubTrainingSettings } from './estimators/club/clubPresets';
export { initClubParameters, clubForwardPortable, PAPER_CLUB_SHAPE, type ClubForward } from './estimators/club/clubModel';
export { clubEstimateFromForward, clubLossFromForward } from './estimators/club/clubEstimate';
export { loadClub, saveClub, readClubFile, encodeClubSafetensors, AUTHORS_CHECKPOINT_SHA256, type ClubFileContents } from './estimators/club/clubFile';
export { readTorchStateDict, type TorchTensor } from './io/torch/stateDict';
export { trainClub, TRAIN_DEFAULTS, type TrainClubOptions, type TrainClubResult, type EpochRecord } from './estimators/club/trainClub';
export { pooledTrainingPairs } from './data/pooledPairs';
export { queryEmbedding } from './data/queryEmbedding';
export { emi, emid, type EmiResult, type EmidResult } from './emi/emi';

// bound
export { vonNeumannEntropyFromEigenvalues } from './bound/vonNeumannEntropy';
export { rjsd, mixtureEntropy, MIXTURE_WEIGHTINGS, type MixtureWeighting, type RjsdOptions } from './bound/rjsd';
export { EmbeddingMoments, spectrumSide } from './bound/embeddingMoments';
export { DivergenceCache, type DivergenceCounts } from './bound/divergenceCache';
export { emidUpperBound, boundFromTerms, type BoundTerms, type EmidUpperBound, type EmidUpperBoundOptions } from './bound/emidUpperBound';
export { symmetricEigenvalues } from './linalg/symmetricEigenvalues';
export { createParallelEigenSolver, inThreadEigenSolver, type EigenSolver } from './linalg/eigenSolver';

// statistics
export * from './stats/index';
export { emiInterval, emidInterval, emidUpperBoundInterval, resampleSet, type BoundIntervalOptions } from './sweep/intervals';

// sweeps and reports
export { sweepSplits, comparePair, correlationSummary, type SweepResult, type PairComparison, type SweepOptions, type SplitSource } from './sweep/sweep';
export { toResultsJson, fromResultsJson, readResults, writeResults, toPairJson, type ResultsJson } from './sweep/resultsJson';
export { describeEstimator, type ResultProvenance, type SplitRecord, type SpaceCheck, type Invocation } from './sweep/provenance';

// samplers with known ground truth
export { sampleGaussianPairs, gaussianMutualInformation, gaussianClubValue } from './samplers/gaussianPairs';
export { sampleShiftGrid, shiftGridSpace, type ShiftGridSplit, type ShiftGridOptions } from './samplers/syntheticShiftGrid';

// benchmark splits: loading, the scenario catalog, DataFrames, downloads
export type { SplitRow, SplitTable } from './data/splitRow';
export { loadSplit, joinResponses, selectRowsByPosition, readLlavaAnswers, SPLIT_FORMATS, type SplitFormat, type LoadSplitOptions, type JoinResponsesOptions } from './data/loaders';
export { SCENARIOS, scenarios, scenarioNames, scenario, scenarioShift, idScenario, type Scenario } from './data/scenarios';
export { toDataFrame, loadSplitDataFrame } from './data/dataFrame';
export { fetchToCache, resolveSplitFile, huggingFaceParquetUrl, type SplitFileSource, type FetchToCacheOptions } from './data/download';
export { cacheDirectory } from './data/cache';

// embedding ("inference")
export type { Embedder } from './embed/embedder';
export { createEmbedder, embedSplit, readSplitManifest, BuiltinTextEmbedder, BuiltinImageEmbedder, OpenAIEmbedder, type EmbedderPair, type EmbedSplitOptions, type SplitManifest } from './embed/index';

// served models: responses and judge scores
export { ChatClient, ChatRequestError, ConnectionFailuresError, ConnectionWatch, type ChatClientOptions } from './serve/openaiClient';
export { collectResponses, readAnswerFile, RunFailuresError, RunStoppedError, type CollectOptions, type CollectSummary } from './serve/collectResponses';
export { judgeSplit, relativePreference, readJudgeScores, parseScorePair, type JudgeOptions, type JudgeSummary, type RelativePreference } from './serve/judge';

// figures, notebook display and reports
export * from './plots/index';
export * from './report/index';

// the project's own benchmark, shift functions and the whole job
export * from './benchmark/index';
export { defaultShiftGrid, shiftedQueries, splitName, type GridSplitSpec, type ShiftedQuery } from './benchmark/splitGrid';
export { trainAnsweringModel, AnsweringModel, saveAnsweringModel, loadAnsweringModel, slotAccuracy, type ModelAnswer } from './benchmark/model';
export { runShiftBenchmark, type BenchmarkOptions, type BenchmarkResult } from './pipeline/runBenchmark';
export * from './shifts/index';
export { runJob, type JobOptions, type JobResult } from './pipeline/runJob';
