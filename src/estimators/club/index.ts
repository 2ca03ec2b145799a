/**
 * CLUB's public surface on its own: what a command that only applies a CLUB file needs, without
 * loading the other estimators, their training engines and the ground-truth tasks that
 * `estimators/index.ts` brings along (about a fifth of a 90-row sweep's start-up).
 */
export { ClubEstimator, clubForward, type ClubEngine, type ClubOrigin, type ClubFitOptions } from './clubEstimator';
export type { ClubParameters, ClubShape } from './clubParameters';
export { CLUB_PRESETS, CLUB_PRESET_NAMES, clubPresetSettings, isClubPresetName, type ClubPresetName, type ClubTrainingSettings } from './clubPresets';
