/**
 * Named CLUB training settings. The CLI (`train --preset`), the job (`"club": { "preset" }`) and
 * the library (`ClubEstimator.fit(sets, preset)`) all read them from here, so the same data and
 * preset give the same estimator, and the same numbers, on every path.
 */
import { InputError } from '../../errors';

/** Everything that decides a CLUB training run besides the data; a preset is one of these, recorded with the estimator it trains. */
export interface ClubTrainingSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Hidden units of μ(·) and logvar(·). */
  hiddenDim: number;
  seed: number;
  /** Share of pairs held out; the epoch with the lowest held-out loss is kept (0: none, the last epoch). */
  validationFraction: number;
  /** With pairs held out: stop after this many epochs without a lower held-out loss (absent: run every epoch). */
  patience?: number;
}

/** CLUB's named training settings: `paper` (the published network) and `small` (a few thousand pooled pairs). */
export const CLUB_PRESETS = Object.freeze({
  /** The published network (768 → 250 → 768) with the batch size of the public checkpoint. */
  paper: Object.freeze({ epochs: 50, batchSize: 2048, learningRate: 1e-3, hiddenDim: 250, seed: 0, validationFraction: 0 }),
  /** A small network that trains well on a few thousand pooled pairs (the shipped benchmark, the notebooks). */
  small: Object.freeze({ epochs: 200, batchSize: 256, learningRate: 3e-3, hiddenDim: 64, seed: 0, validationFraction: 0 }),
} satisfies Record<string, ClubTrainingSettings>);

/** The name of a preset in `CLUB_PRESETS`. */
export type ClubPresetName = keyof typeof CLUB_PRESETS;
export const CLUB_PRESET_NAMES = Object.keys(CLUB_PRESETS) as ClubPresetName[];

/** Whether `name` is a preset's name. */
export function isClubPresetName(name: string): name is ClubPresetName {
  return Object.prototype.hasOwnProperty.call(CLUB_PRESETS, name);
}

/** A preset's settings with `overrides` applied; an unknown preset name is an InputError. */
export function clubPresetSettings(preset: string, overrides: Partial<ClubTrainingSettings> = {}): ClubTrainingSettings {
  if (!isClubPresetName(preset)) throw new InputError(`unknown CLUB preset '${preset}' (presets: ${CLUB_PRESET_NAMES.join(', ')})`, { field: 'preset' });
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return { ...CLUB_PRESETS[preset], ...defined };
}
