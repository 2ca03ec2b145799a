/**
 * The CLUB estimator (Cheng et al., 2020) as the paper uses it: a trained variational network
 * q(y | x) = N(μ(x), diag(exp(logvar(x)))) and the contrastive log-ratio upper bound
 * estimate. Construct it from parameters (trained here, or loaded from a file).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { InputError } from '../../errors';
import type {
  EmbeddingSet,
  EmbeddingSpace,
  EstimatorDescription,
  EstimatorDiagnosis,
  FitOptions,
  Matrix,
  PointwiseConditionedEstimator,
  PointwiseEstimator,
  TrainableEstimator,
  ProgressCallback,
  TrainingPairs,
} from '../../interface';
import { loadClubFile, saveClub } from './clubFile';
import { clubPresetSettings, isClubPresetName, type ClubPresetName, type ClubTrainingSettings } from './clubPresets';
import { pooledReferencePairs } from '../../data/pooledPairs';
import type { TrainClubResult, TrainEngine } from './trainClub';
import { CLUB_TENSORS, type ClubParameters } from './clubParameters';
import { clubEstimateFromForward, clubRowTermsFromForward, logvarSaturation, type LogvarSaturation } from './clubEstimate';
import type { ClubSelectionReducer } from './clubSelectionForm';
import { assertClubInput, assertClubParameters } from './clubModel';
import { clubForward, nativeClub, type ClubEngine } from './clubEngine';

export { clubForward, type ClubEngine } from './clubEngine';

/** The share of saturated log-variance outputs from which `diagnose` warns. */
const SATURATION_WARNING_SHARE = 0.1;

/** Where a CLUB estimator's weights came from: the space it was fitted in, and its file or training. */
export interface ClubOrigin {
  space?: EmbeddingSpace;
  file?: { path: string; sha256: string; recognizedAs?: string };
  training?: { preset?: string; settings: Readonly<Record<string, unknown>>; pairs?: number; digest?: string; reused?: boolean; engine?: string };
}

/** How `ClubEstimator.fit` trains (or reuses) its weights beyond the preset: overrides, engines, a cache file, a starting point. */
export interface ClubFitOptions {
  /** Settings that replace the preset's (epochs, batchSize, learningRate, hiddenDim, seed, validationFraction). */
  overrides?: Partial<ClubTrainingSettings> | undefined;
  /** Training engine (default: native when installed). */
  trainEngine?: TrainEngine | undefined;
  /** Threads for native training (default: all cores). */
  threads?: number | undefined;
  /** Engine for the estimates of the fitted estimator. */
  engine?: ClubEngine | undefined;
  /**
   * A `.safetensors` file used as a cache: when it holds weights trained on the same pairs with
   * the same settings (its recorded digest), they are loaded instead of training; otherwise the
   * new weights are saved there.
   */
  cacheFile?: string | undefined;
  /** Continue from these weights instead of a fresh initialisation (part of the cache key). */
  initial?: ClubParameters | undefined;
  onProgress?: ProgressCallback | undefined;
}

/** Training pairs with the space they live in: sets are pooled (z, z_y), sorted by name. */
type FitData = readonly EmbeddingSet[] | { x: Matrix; y: Matrix; space?: EmbeddingSpace };

function trainingDigest(x: Matrix, y: Matrix, settings: ClubTrainingSettings, initial?: ClubParameters): string {
  const bytes = (data: Float32Array | Float64Array) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const hash = createHash('sha256').update(JSON.stringify(settings)).update(bytes(x.data)).update(bytes(y.data));
  if (initial) for (const tensor of CLUB_TENSORS) hash.update(bytes(initial[tensor.field]));
  return hash.digest('hex');
}

/**
 * The CLUB mutual-information estimator: `estimate(x, y)` from trained weights. Build it with
 * `ClubEstimator.load(file)` (the authors' `.pt` or the project's `.safetensors`) or
 * `ClubEstimator.fit(sets, preset)`; it records the space and training it came from.
 */
export class ClubEstimator implements PointwiseEstimator, TrainableEstimator {
  /** The training run that produced the weights, when `fit` trained them in this process. */
  training?: TrainClubResult;

  /** The variance network's saturation on each query matrix estimated on the native engine, from that run. */
  private readonly saturations = new WeakMap<Matrix, Promise<LogvarSaturation>>();

  constructor(
    readonly parameters: ClubParameters,
    readonly engine: ClubEngine = 'auto',
    readonly origin: ClubOrigin = {},
  ) {
    assertClubParameters(parameters);
  }

  /**
   * Reads a CLUB file: the project's `.safetensors` (with its recorded space and training) or a
   * `.pt` checkpoint. On the native engine the engine thread and the session of the estimates
   * start building in the background (see `prepare`).
   */
  static load(file: string, engine: ClubEngine = 'auto'): ClubEstimator {
    // The native engine starts on its own thread while the file is read, and builds the session
    // of the estimates as soon as the weights are known: a loaded estimator is about to be used.
    nativeClub(engine)?.startEngine();
    const estimator = ClubEstimator.fromFile(file, engine);
    estimator.prepare();
    return estimator;
  }

  private static fromFile(file: string, engine: ClubEngine): ClubEstimator {
    const contents = loadClubFile(file);
    const { metadata } = contents;
    let settings: Record<string, unknown> | undefined;
    try {
      settings = metadata.settings === undefined ? undefined : (JSON.parse(metadata.settings) as Record<string, unknown>);
    } catch {
      settings = { unparsed: metadata.settings };
    }
    return new ClubEstimator(contents.parameters, engine, {
      ...(contents.space ? { space: contents.space } : {}),
      file: { path: file, sha256: contents.sha256, ...(contents.recognizedAs ? { recognizedAs: contents.recognizedAs } : {}) },
      ...(settings
        ? {
            training: {
              ...(metadata.preset ? { preset: metadata.preset } : {}),
              settings,
              ...(metadata.pairs ? { pairs: Number(metadata.pairs) } : {}),
              ...(metadata.training_digest ? { digest: metadata.training_digest } : {}),
              ...(metadata.training_engine ? { engine: metadata.training_engine } : {}),
            },
          }
        : {}),
    });
  }

  /**
   * Trains CLUB on pooled (z, z_y) pairs — every set's query embeddings with its reference
   * answers, sets in name order so the result does not depend on the order they are given in —
   * with a named preset (`small` by default; see CLUB_PRESETS) and optional overrides.
   */
  static async fit(data: FitData, preset: ClubPresetName | string = 'small', options: ClubFitOptions = {}): Promise<ClubEstimator> {
    const settings = clubPresetSettings(preset, options.overrides);
    let x: Matrix;
    let y: Matrix;
    let space: EmbeddingSpace | undefined;
    if (Array.isArray(data)) {
      if (data.length === 0) throw new InputError('no splits to train CLUB on', { field: 'sets' });
      ({ x, y, space } = pooledReferencePairs(data as readonly EmbeddingSet[]));
    } else {
      ({ x, y, space } = data as { x: Matrix; y: Matrix; space?: EmbeddingSpace });
    }
    const digest = trainingDigest(x, y, settings, options.initial);
    const training = { preset, settings: { ...settings }, pairs: x.rows, digest };
    if (options.cacheFile && existsSync(options.cacheFile)) {
      try {
        const cached = loadClubFile(options.cacheFile);
        if (cached.metadata.training_digest === digest) {
          const engine = cached.metadata.training_engine;
          return new ClubEstimator(cached.parameters, options.engine, { ...(space ? { space } : {}), training: { ...training, reused: true, ...(engine ? { engine } : {}) } });
        }
      } catch {
        // A damaged or foreign cache file is retrained and replaced below.
      }
    }
    const { trainClub } = await import('./trainClub');
    const result = await trainClub(x, y, { ...settings, initial: options.initial, engine: options.trainEngine, threads: options.threads, onProgress: options.onProgress });
    const estimator = new ClubEstimator(result.parameters, options.engine, { ...(space ? { space } : {}), training: { ...training, reused: false, engine: result.engine } });
    estimator.training = result;
    if (options.cacheFile) estimator.save(options.cacheFile);
    return estimator;
  }

  /** Saves the weights as `.safetensors`, recording the space and training settings for the next reader. */
  save(file: string, extraMetadata: Record<string, string> = {}): void {
    const { space, training } = this.origin;
    saveClub(file, this.parameters, {
      ...(space ? { embedding_space: JSON.stringify(space) } : {}),
      ...(training?.preset ? { preset: training.preset } : {}),
      ...(training ? { settings: JSON.stringify(training.settings) } : {}),
      ...(training?.pairs !== undefined ? { pairs: String(training.pairs) } : {}),
      ...(training?.digest ? { training_digest: training.digest } : {}),
      ...(training?.engine ? { training_engine: training.engine } : {}),
      ...(this.training ? { best_epoch: String(this.training.bestEpoch), final_train_loss: String(this.training.finalTrainLoss) } : {}),
      ...extraMetadata,
    });
  }

  /** How this estimator was made, for the provenance of results computed with it. */
  get description(): EstimatorDescription {
    const { xDim, yDim, hiddenDim } = this.parameters;
    return { name: 'club', network: { x_dim: xDim, y_dim: yDim, hidden_dim: hiddenDim }, engine: this.resolvedEngine(), ...this.origin };
  }

  /** Which engine runs the network: 'onnxruntime-node' (native) or 'portable' (TypeScript). */
  resolvedEngine(): 'onnxruntime-node' | 'portable' {
    return nativeClub(this.engine) ? 'onnxruntime-node' : 'portable';
  }

  /** Î(x; y), the CLUB estimate (on the native engine: float32 network and per-row terms, float64 mean). */
  async estimate(x: Matrix, y: Matrix): Promise<number> {
    const [value] = await this.estimateMany(x, [y]);
    return value;
  }

  /**
   * Î(x; y_k) for several y sharing x, with one forward pass on x. The native engine reduces
   * every y in the same call (EMI's two terms in one run).
   */
  async estimateMany(x: Matrix, ys: readonly Matrix[]): Promise<number[]> {
    assertClubInput(this.parameters, x);
    for (const y of ys) assertClubInput(this.parameters, x, y);
    const native = nativeClub(this.engine);
    if (native) {
      const run = native.clubEstimatesAndSaturation(this.parameters, x, ys);
      // The pass over x also says how saturated the network is there, which `diagnose(x)` reads.
      const saturation = run.then((result) => result.saturation);
      saturation.catch(() => undefined);
      this.saturations.set(x, saturation);
      return (await run).estimates;
    }
    const forward = await clubForward(this.parameters, x, 'portable');
    return ys.map((y) => clubEstimateFromForward(forward, y));
  }

  /**
   * The per-row terms of `estimateMany(x, ys)`: on the native engine the very terms its run
   * reduces (float32, one run for every y), so their means are its estimates exactly.
   */
  async rowTermsMany(x: Matrix, ys: readonly Matrix[]): Promise<Float64Array[]> {
    assertClubInput(this.parameters, x);
    for (const y of ys) assertClubInput(this.parameters, x, y);
    const native = nativeClub(this.engine);
    if (native) return (await native.clubRowTermsMany(this.parameters, x, ys)).map((terms) => Float64Array.from(terms));
    const forward = await clubForward(this.parameters, x, 'portable');
    return ys.map((y) => clubRowTermsFromForward(forward, y));
  }

  /**
   * The forward pass on x, kept: estimates and per-row terms on any rows of it, each a float64
   * reduction over μ, logvar and y (to float32 rounding the full-set values of `estimate`); many
   * selections at once from column sums of the selected rows, the quadratic form over their pairs
   * factorised (clubSelectionForm.ts).
   */
  async condition(x: Matrix): Promise<PointwiseConditionedEstimator> {
    const forward = await clubForward(this.parameters, x, this.engine);
    const check = (y: Matrix) => assertClubInput(this.parameters, x, y);
    let reducer: ClubSelectionReducer | undefined;
    const selectionReducer = (): ClubSelectionReducer => {
      // Loaded on first use: only permutation tests ask for many selections at once.
      reducer ??= new (require('./clubSelectionForm') as typeof import('./clubSelectionForm')).ClubSelectionReducer(forward);
      return reducer;
    };
    return {
      rows: x.rows,
      estimate: async (y, rows) => (check(y), clubEstimateFromForward(forward, y, rows)),
      estimateSelections: async (y, selections) => (check(y), selectionReducer().estimates(y, selections)),
      rowTerms: async (y, rows) => (check(y), clubRowTermsFromForward(forward, y, rows)),
    };
  }

  /**
   * A CLUB network trained afresh on these pairs with the settings this one was trained with
   * (its preset and settings when recorded, otherwise the `paper` preset at this network's hidden
   * size), on the same engine.
   */
  fit(pairs: TrainingPairs, options: FitOptions = {}): Promise<ClubEstimator> {
    const training = this.origin.training;
    const preset = training?.preset !== undefined && isClubPresetName(training.preset) ? training.preset : 'paper';
    const overrides: Partial<ClubTrainingSettings> = training ? recordedSettings(training.settings) : { hiddenDim: this.parameters.hiddenDim };
    return ClubEstimator.fit({ x: pairs.x, y: pairs.y, ...(pairs.space ? { space: pairs.space } : {}) }, preset, { overrides, engine: this.engine, onProgress: options.onProgress });
  }

  /**
   * How saturated the variance network is on x (`logvar_saturation`: the share of log-variance
   * outputs with |tanh| > 0.99; `logvar_largest_magnitude`), with a warning when that share
   * reaches 10%: beyond it the estimate says more about the network's limits than the data.
   */
  async diagnose(x: Matrix): Promise<EstimatorDiagnosis> {
    assertClubInput(this.parameters, x);
    const { share, largest } = await this.saturationOn(x);
    const percent = Math.round(share * 1000) / 10;
    const warnings =
      share >= SATURATION_WARNING_SHARE
        ? [
            `CLUB's variance network is saturated: ${percent}% of its log-variance outputs on these queries have |tanh| > 0.99, so the variance it models is pinned at ` +
              'its limit (e^−1 or e) and the estimate reflects that limit more than the data; compare EMI under another estimator (--estimator)',
          ]
        : [];
    return { values: { logvar_saturation: share, logvar_largest_magnitude: largest }, warnings };
  }

  /** The saturation on x: read off an earlier native run on x (EMI's, just before its diagnosis) when there was one. */
  private async saturationOn(x: Matrix): Promise<LogvarSaturation> {
    const native = nativeClub(this.engine);
    if (!native) return logvarSaturation(await clubForward(this.parameters, x, 'portable'));
    return (await this.saturations.get(x)) ?? native.clubLogvarSaturation(this.parameters, x);
  }

  /** Starts the native engine and builds the session of EMI's estimates (two y against one x) in the background. */
  prepare(): void {
    nativeClub(this.engine)?.prepareClubEstimates(this.parameters, 2);
  }
}

/** The training settings a CLUB file or fit recorded, as overrides (unknown keys and non-numbers left out). */
function recordedSettings(settings: Readonly<Record<string, unknown>>): Partial<ClubTrainingSettings> {
  const keys: readonly (keyof ClubTrainingSettings)[] = ['epochs', 'batchSize', 'learningRate', 'hiddenDim', 'seed', 'validationFraction', 'patience'];
  const out: Partial<ClubTrainingSettings> = {};
  for (const key of keys) if (typeof settings[key] === 'number') out[key] = settings[key] as number;
  return out;
}
