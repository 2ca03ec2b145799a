/**
 * The estimators' public surface: every mutual-information estimator implements the contract in
 * src/interface.ts (`MutualInformationEstimator`); each lives in its own folder with its engine,
 * which nothing outside that folder imports. Today: CLUB (src/estimators/club/), the neural
 * variational bounds (src/estimators/neural/: infonce, nwj, mine, smile, club-mean, club-sample,
 * l1out), `gaussian` (src/estimators/gaussian/), KSG 1 and 2 (src/estimators/ksg/),
 * `defineEstimator` for an estimator given by `estimate(x, y)` alone, the registry of estimators
 * by name and the validation of registered estimators against the ground-truth tasks.
 */
export { defineEstimator } from './defineEstimator';
export { ClubEstimator, clubForward, type ClubEngine, type ClubOrigin, type ClubFitOptions } from './club/clubEstimator';
export type { ClubParameters, ClubShape } from './club/clubParameters';
export { CLUB_PRESETS, CLUB_PRESET_NAMES, clubPresetSettings, isClubPresetName, type ClubPresetName, type ClubTrainingSettings } from './club/clubPresets';
export { initClubParameters, clubForwardPortable, PAPER_CLUB_SHAPE, type ClubForward } from './club/clubModel';
export { clubEstimateFromForward, clubRowTermsFromForward, clubLossFromForward } from './club/clubEstimate';
export { loadClub, saveClub, loadClubFile, encodeClubFile, AUTHORS_CHECKPOINT_SHA256, type ClubFileContents } from './club/clubFile';
export { trainClub, TRAIN_DEFAULTS, type TrainClubOptions, type TrainClubResult, type EpochRecord, type TrainEngine } from './club/trainClub';
export {
  NeuralEstimator,
  createNeuralEstimator,
  neuralSettings,
  isNeuralEstimatorName,
  boundDirection,
  NEURAL_DEFAULTS,
  NEURAL_ESTIMATOR_NAMES,
  type NeuralEstimatorName,
  type NeuralEstimatorSettings,
  type NeuralTrainingResult,
  type NeuralEpoch,
  type CriticKind,
} from './neural/neuralEstimator';
export { gaussianEstimator, gaussianMutualInformationEstimate } from './gaussian/gaussianEstimator';
export { ksgEstimator, ksg2Estimator, ksgMutualInformation, KSG_DEFAULT_NEIGHBOURS, type KsgSettings, type KsgVariant } from './ksg/ksgEstimator';
export {
  ESTIMATOR_ENTRIES,
  estimatorEntry,
  estimatorNames,
  pointwiseEstimatorNames,
  resolveEstimatorSettings,
  createRegisteredEstimator,
  heldOutSplit,
  type EstimatorEntry,
  type DirectEstimatorEntry,
  type TrainedEstimatorEntry,
  type PointwiseTrainedEstimatorEntry,
  type PointwiseTrainableEstimator,
  type EstimatorSetting,
  type EstimatorSettings,
  type EstimateKind,
} from './registry';
export { validateEstimators, toValidationJson, type ValidationOptions, type ValidationResult, type ValidationRow } from './validation';
