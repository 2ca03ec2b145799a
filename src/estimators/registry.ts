/**
 * Every estimator by name, with what `emishift estimate` and `emishift validate` need to make
 * one without knowing it: a one-line summary, what its number is (an estimate, a lower or an
 * upper bound on MI), whether it trains (a literal field, so no caller probes), its numeric
 * settings with defaults and limits, and `create(settings)`. A trained estimator's `create`
 * gives one whose `estimate(x, y)` fits on part of the pairs and estimates on the rest.
 * Adding an estimator is adding one entry to ESTIMATOR_ENTRIES.
 */
import { InputError } from '../errors';
import { didYouMean } from '../editDistance';
import type { FitOptions, Matrix, MutualInformationEstimator, PointwiseEstimator, TrainableEstimator, TrainingPairs } from '../interface';
import { selectRows } from '../linalg/matrix';
import { createRng, shuffleInPlace } from '../random';
import { ClubEstimator } from './club/clubEstimator';
import { CLUB_PRESETS } from './club/clubPresets';
import { defineEstimator } from './defineEstimator';
import { gaussianEstimator } from './gaussian/gaussianEstimator';
import { KSG_DEFAULT_NEIGHBOURS, ksg2Estimator, ksgEstimator } from './ksg/ksgEstimator';
import { assertPairedSample } from './pairedInput';
import { NEURAL_ESTIMATOR_NAMES, boundDirection, createNeuralEstimator, type NeuralEstimatorName } from './neural/neuralEstimator';

/** What an estimator's number is with respect to the true MI. */
export type EstimateKind = 'estimate' | 'lower bound' | 'upper bound';

/** One numeric setting of an estimator. */
export interface EstimatorSetting {
  readonly default: number;
  /** What it sets, for help texts. */
  readonly summary: string;
  readonly integer: boolean;
  /** Smallest allowed value (inclusive). */
  readonly minimum: number;
  /** Largest allowed value (inclusive); none when absent. */
  readonly maximum?: number;
}

/** Resolved settings: every setting of the entry, by name. */
export type EstimatorSettings = Readonly<Record<string, number>>;

interface EstimatorEntryFields {
  readonly name: string;
  readonly summary: string;
  readonly gives: EstimateKind;
  readonly settings: Readonly<Record<string, EstimatorSetting>>;
}

/** An estimator that computes its value from the pairs alone. */
export interface DirectEstimatorEntry extends EstimatorEntryFields {
  readonly trains: false;
  /** No pointwise values: its estimate is not a mean of per-row terms. */
  readonly pointwise: false;
  /** An estimator with these settings (every setting present: see resolveEstimatorSettings). */
  create(settings: EstimatorSettings): MutualInformationEstimator;
}

/** A trainable estimator whose fitted estimators have per-row terms: `fit` gives a `PointwiseEstimator`. */
export interface PointwiseTrainableEstimator extends TrainableEstimator {
  fit(pairs: TrainingPairs, options?: FitOptions): Promise<PointwiseEstimator & TrainableEstimator>;
}

/**
 * An estimator that learns from pairs. `create` gives one whose `estimate(x, y)` trains on part
 * of the pairs and estimates on the rest, and whose `fit(pairs)` trains once on all of them and
 * returns an estimator that only evaluates (how EMI uses it: fitted on the pooled (z, z_y)).
 */
export interface TrainedEstimatorEntry extends EstimatorEntryFields {
  readonly trains: true;
  /** No pointwise values: its fitted estimate is not a mean of per-row terms. */
  readonly pointwise: false;
  create(settings: EstimatorSettings): TrainableEstimator;
}

/**
 * A trained entry whose estimate is a mean of per-row terms, so that pointwise values (pointwise
 * EMI) exist. Declared in the type, not only by a flag: `create` gives a
 * `PointwiseTrainableEstimator`, so an entry narrowed by `pointwise` is known to fit into a
 * `PointwiseEstimator`, and an entry cannot claim pointwise values its estimator lacks.
 */
export interface PointwiseTrainedEstimatorEntry extends EstimatorEntryFields {
  readonly trains: true;
  readonly pointwise: true;
  create(settings: EstimatorSettings): PointwiseTrainableEstimator;
}

/** A registry entry: what it trains and whether it has pointwise values are its type (`trains`, `pointwise` discriminate). */
export type EstimatorEntry = DirectEstimatorEntry | TrainedEstimatorEntry | PointwiseTrainedEstimatorEntry;

const NEIGHBOURS: EstimatorSetting = { default: KSG_DEFAULT_NEIGHBOURS, summary: 'neighbours in the joint space', integer: true, minimum: 1 };

/** The rows of a seeded permutation: the first `trainRows` to train on, the rest held out. */
export function heldOutSplit(rows: number, heldOutFraction: number, seed: number): { train: Int32Array; heldOut: Int32Array } {
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  shuffleInPlace(order, createRng(seed));
  const heldOutRows = Math.min(rows - 1, Math.max(1, Math.round(rows * heldOutFraction)));
  return { train: order.slice(0, rows - heldOutRows), heldOut: order.slice(rows - heldOutRows) };
}

function toFloat32(matrix: Matrix): Matrix {
  return matrix.data instanceof Float32Array ? matrix : { rows: matrix.rows, cols: matrix.cols, data: Float32Array.from(matrix.data) };
}

/**
 * CLUB as `estimate` and `validate` use it: trained with the `small` preset (epochs and seed
 * settable) on a seeded share of the pairs, its estimate read on the held-out rest, so the
 * network is not scored on the pairs it fitted.
 */
function clubTrainedOnPairs(settings: EstimatorSettings): PointwiseTrainableEstimator {
  const { epochs, seed } = settings;
  const heldOutFraction = settings['held-out'];
  const onHeldOut = defineEstimator({
    description: { name: 'club', settings: { preset: 'small', epochs, seed, held_out_fraction: heldOutFraction, hidden_dim: CLUB_PRESETS.small.hiddenDim } },
    async estimate(x, y) {
      assertPairedSample(x, y, 'club', 4);
      const { train, heldOut } = heldOutSplit(x.rows, heldOutFraction, seed);
      const fitted = await ClubEstimator.fit({ x: toFloat32(selectRows(x, train)), y: toFloat32(selectRows(y, train)) }, 'small', { overrides: { epochs, seed } });
      return fitted.estimate(toFloat32(selectRows(x, heldOut)), toFloat32(selectRows(y, heldOut)));
    },
  });
  return {
    ...onHeldOut,
    fit: (pairs, options = {}) =>
      ClubEstimator.fit({ x: toFloat32(pairs.x), y: toFloat32(pairs.y), ...(pairs.space ? { space: pairs.space } : {}) }, 'small', { overrides: { epochs, seed }, onProgress: options.onProgress }),
  };
}

/** Settings every neural entry shares; the defaults keep `validate` to a few seconds per run. */
const NEURAL_ENTRY_SETTINGS: Readonly<Record<string, EstimatorSetting>> = Object.freeze({
  epochs: { default: 30, summary: 'most training epochs (early stopping usually ends sooner)', integer: true, minimum: 1 },
  seed: { default: 0, summary: 'initialisation, shuffling and held-out split seed', integer: true, minimum: 0 },
  patience: { default: 5, summary: 'epochs without a better held-out loss before training stops', integer: true, minimum: 1 },
});

const NEURAL_SUMMARIES: Readonly<Record<NeuralEstimatorName, string>> = Object.freeze({
  infonce: 'InfoNCE (van den Oord et al. 2018) with a separable critic; at most ln(batch size)',
  nwj: 'NWJ (Nguyen, Wainwright and Jordan 2010) with a separable critic',
  mine: 'MINE (Belghazi et al. 2018): Donsker–Varadhan with the moving-average gradient correction',
  smile: 'SMILE (Song and Ermon 2020): Donsker–Varadhan with the density ratio clipped at e^±τ (τ = 5)',
  'club-mean': 'CLUB with unit variance, q(y|x) = N(μ(x), I) (Cheng et al. 2020)',
  'club-sample': 'CLUB with one sampled negative per pair (Cheng et al. 2020)',
  l1out: 'the leave-one-out upper bound (Poole et al. 2019)',
});

/** A neural estimator trained with held-out early stopping at a learning rate of 1e-3 (the rest at NEURAL_DEFAULTS). */
function neuralEntry(name: NeuralEstimatorName): TrainedEstimatorEntry {
  return {
    name,
    summary: NEURAL_SUMMARIES[name],
    gives: boundDirection(name) === 'upper' ? 'upper bound' : 'lower bound',
    pointwise: false,
    trains: true,
    settings: NEURAL_ENTRY_SETTINGS,
    create: (settings) => createNeuralEstimator(name, { epochs: settings.epochs, seed: settings.seed, patience: settings.patience, learningRate: 1e-3 }),
  };
}

/** Every registered estimator, in the order listings show them. */
export const ESTIMATOR_ENTRIES: readonly EstimatorEntry[] = Object.freeze<EstimatorEntry[]>([
  {
    name: 'club',
    summary: "CLUB (Cheng et al. 2020), the paper's estimator: a variational q(y|x) trained on a share of the pairs, read on the held-out rest",
    gives: 'upper bound',
    pointwise: true,
    trains: true,
    settings: {
      epochs: { default: CLUB_PRESETS.small.epochs, summary: 'training epochs (the small preset)', integer: true, minimum: 1 },
      seed: { default: 0, summary: 'initialisation, shuffling and held-out split seed', integer: true, minimum: 0 },
      'held-out': { default: 0.3, summary: 'share of pairs held out for the estimate', integer: false, minimum: 0.05, maximum: 0.95 },
    },
    create: clubTrainedOnPairs,
  },
  {
    name: 'gaussian',
    summary: 'log-determinant MI of the joint sample covariance: exact for Gaussians, blind to non-linear dependence',
    gives: 'lower bound',
    pointwise: false,
    trains: false,
    settings: {},
    create: () => gaussianEstimator(),
  },
  {
    name: 'ksg',
    summary: 'Kraskov–Stögbauer–Grassberger estimator 1 (k nearest neighbours, max-norm)',
    gives: 'estimate',
    pointwise: false,
    trains: false,
    settings: { k: NEIGHBOURS },
    create: (settings) => ksgEstimator({ k: settings.k }),
  },
  {
    name: 'ksg2',
    summary: 'Kraskov–Stögbauer–Grassberger estimator 2 (per-marginal neighbour extents)',
    gives: 'estimate',
    pointwise: false,
    trains: false,
    settings: { k: NEIGHBOURS },
    create: (settings) => ksg2Estimator({ k: settings.k }),
  },
  ...NEURAL_ESTIMATOR_NAMES.map(neuralEntry),
]);

/** The registered estimators' names, in listing order. */
export function estimatorNames(): string[] {
  return ESTIMATOR_ENTRIES.map((entry) => entry.name);
}

/** The registered estimators that give pointwise values (`PointwiseTrainedEstimatorEntry`), in listing order. */
export function pointwiseEstimatorNames(): string[] {
  return ESTIMATOR_ENTRIES.filter((entry): entry is PointwiseTrainedEstimatorEntry => entry.pointwise).map((entry) => entry.name);
}

/** The entry called `name`; an unknown name is an InputError naming `field`, with a typo suggestion and the list. */
export function estimatorEntry(name: string, field = 'estimator'): EstimatorEntry {
  const found = ESTIMATOR_ENTRIES.find((entry) => entry.name === name);
  if (found) return found;
  const names = estimatorNames();
  throw new InputError(`unknown estimator '${name}'${didYouMean(name, names)} (estimators: ${names.join(', ')})`, { field });
}

/**
 * The entry's settings with `overrides` applied (undefined values ignored). An override the
 * entry does not have, or one outside its limits, is an InputError whose field is the setting.
 */
export function resolveEstimatorSettings(entry: EstimatorEntry, overrides: Readonly<Record<string, number | undefined>> = {}): EstimatorSettings {
  const resolved: Record<string, number> = {};
  for (const [name, setting] of Object.entries(entry.settings)) resolved[name] = setting.default;
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const setting = Object.hasOwn(entry.settings, name) ? entry.settings[name] : undefined;
    if (!setting) {
      const names = Object.keys(entry.settings);
      throw new InputError(`${entry.name} has no setting '${name}' (${names.length ? `its settings: ${names.join(', ')}` : 'it has no settings'})`, { field: name });
    }
    const bounds = `${setting.integer ? 'a whole number' : 'a number'} ≥ ${setting.minimum}${setting.maximum !== undefined ? ` and ≤ ${setting.maximum}` : ''}`;
    if (!Number.isFinite(value) || (setting.integer && !Number.isInteger(value)) || value < setting.minimum || (setting.maximum !== undefined && value > setting.maximum)) {
      throw new InputError(`expected ${bounds} for ${entry.name}, got ${value}`, { field: name });
    }
    resolved[name] = value;
  }
  return resolved;
}

/** The estimator called `name` with its default settings and `overrides`: registry lookup, settings check and `create` in one. */
export function createRegisteredEstimator(name: string, overrides: Readonly<Record<string, number | undefined>> = {}): { entry: EstimatorEntry; settings: EstimatorSettings; estimator: MutualInformationEstimator } {
  const entry = estimatorEntry(name);
  const settings = resolveEstimatorSettings(entry, overrides);
  return { entry, settings, estimator: entry.create(settings) };
}
