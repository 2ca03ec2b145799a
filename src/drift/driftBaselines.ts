/**
 * Standard drift statistics beside the bound's terms, per modality: the unbiased MMD² with a
 * median-bandwidth RBF kernel and its permutation p-value (alibi-detect's MMD detector), a
 * domain classifier's cross-validated ROC-AUC (deepchecks' and alibi-detect's classifier drift),
 * and the cosine distance of the mean embeddings (evidently's simplest embedding drift). The
 * modalities are the image queries z_v, the text queries z_t and the model's answers z_ŷ (the
 * responses whose shift the bound's jsd_py, jsd_qy terms see; the reference answers z_y are not
 * part of what a deployed model receives or emits).
 *
 * Per modality one pooled Gram matrix (float64) serves all three: the MMD² kernel through the
 * squared distances, the classifier as its linear kernel.
 */
import { InputError } from '../errors';
import type { DriftBaselines, DriftBaselineSettings, EmbeddingSet, Matrix, ModalityDrift } from '../interface';
import { domainClassifierAuc } from './domainClassifier';
import { mmdTest, pooledGeometry, stackRows } from './mmd';

export type { DriftBaselines, DriftBaselineSettings, ModalityDrift } from '../interface';

/** How `driftBaselines` runs. */
export interface DriftBaselineOptions {
  /** Permutations for each MMD² p-value (default 1000, at least 1). */
  permutations?: number | undefined;
  /** Seeds the permutations and the classifier's folds (default 0). */
  seed?: number | undefined;
  /** Domain-classifier folds (default 5). */
  folds?: number | undefined;
  /** The classifier's λ in units of the training fold's total variance (default 1: scikit-learn's C = 1 on embeddings scaled to unit total variance). */
  ridge?: number | undefined;
  /** A fixed RBF σ for every modality instead of each pooled sample's median distance. */
  bandwidth?: number | undefined;
}

/** Drift baselines per modality, and the settings they were computed with. */
export interface DriftBaselineResult extends DriftBaselines {
  settings: DriftBaselineSettings;
}

/** 1 − cos(mean of p's rows, mean of q's rows); `field` names the modality when a mean is the zero vector. */
export function meanCosineDistance(p: Matrix, q: Matrix, field = 'rows'): number {
  if (p.cols !== q.cols) throw new InputError(`the two samples have ${p.cols} and ${q.cols} columns`, { field });
  if (p.rows < 1 || q.rows < 1) throw new InputError('needs at least one row on each side', { field });
  const mean = (matrix: Matrix): Float64Array => {
    const out = new Float64Array(matrix.cols);
    for (let r = 0; r < matrix.rows; r++) for (let c = 0; c < matrix.cols; c++) out[c] += matrix.data[r * matrix.cols + c];
    for (let c = 0; c < matrix.cols; c++) out[c] /= matrix.rows;
    return out;
  };
  const a = mean(p);
  const b = mean(q);
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let c = 0; c < a.length; c++) {
    dot += a[c] * b[c];
    aa += a[c] * a[c];
    bb += b[c] * b[c];
  }
  if (aa === 0 || bb === 0) throw new InputError('a mean embedding is the zero vector: its cosine distance is undefined', { field });
  return 1 - dot / Math.sqrt(aa * bb);
}

/** The three baselines between two samples of one modality (`field` names it in errors). */
export function modalityDrift(p: Matrix, q: Matrix, settings: Required<Omit<DriftBaselineOptions, 'bandwidth'>> & Pick<DriftBaselineOptions, 'bandwidth'>, field: string): ModalityDrift {
  if (p.cols !== q.cols) throw new InputError(`the source has ${p.cols}-d rows and the target ${q.cols}-d`, { field });
  if (p.rows < 2 || q.rows < 2) throw new InputError(`the baselines need at least 2 rows on each side, got ${p.rows} and ${q.rows}`, { field });
  const geometry = pooledGeometry(stackRows(p, q));
  let test;
  try {
    test = mmdTest(p, q, { permutations: settings.permutations, seed: settings.seed, bandwidth: settings.bandwidth, geometry });
  } catch (error) {
    if (error instanceof InputError && error.field === 'bandwidth') throw new InputError(error.message, { field });
    throw error;
  }
  const classifier = domainClassifierAuc(geometry.gram, p.rows, q.rows, { folds: settings.folds, ridge: settings.ridge, seed: settings.seed });
  return {
    mmd2: test.mmd2,
    mmd2PValue: test.pValue,
    bandwidth: test.bandwidth,
    classifierAuc: classifier.auc,
    meanCosineDistance: meanCosineDistance(p, q, field),
  };
}

/** The settings with defaults filled and checked; InputError names the option. */
export function driftBaselineSettings(options: DriftBaselineOptions = {}): DriftBaselineSettings & { fixedBandwidth?: number } {
  const permutations = options.permutations ?? 1000;
  const seed = options.seed ?? 0;
  const folds = options.folds ?? 5;
  const ridge = options.ridge ?? 1;
  if (!Number.isInteger(permutations) || permutations < 1) throw new InputError(`expected a whole number ≥ 1, got ${permutations}`, { field: 'permutations' });
  if (!Number.isInteger(seed) || seed < 0) throw new InputError(`expected an integer ≥ 0, got ${seed}`, { field: 'seed' });
  if (!Number.isInteger(folds) || folds < 2) throw new InputError(`expected a whole number ≥ 2, got ${folds}`, { field: 'folds' });
  if (!(ridge > 0) || !Number.isFinite(ridge)) throw new InputError(`expected a finite number > 0, got ${ridge}`, { field: 'ridge' });
  if (options.bandwidth !== undefined && (!(options.bandwidth > 0) || !Number.isFinite(options.bandwidth))) {
    throw new InputError(`expected a finite number > 0, got ${options.bandwidth}`, { field: 'bandwidth' });
  }
  return {
    permutations,
    seed,
    folds,
    ridge,
    kernel: 'Gaussian RBF k(a, b) = exp(-||a - b||^2 / (2 sigma^2)); unbiased MMD^2; p = (1 + #{perm >= obs}) / (1 + permutations), split membership permuted with sizes kept',
    bandwidth: options.bandwidth === undefined ? 'sigma = median pairwise Euclidean distance of the pooled rows (pairs i < j)' : `sigma = ${options.bandwidth} (fixed)`,
    classifier: `L2-regularised logistic regression (Newton on the Gram side, intercept unpenalised, lambda = ridge x the training fold's total variance), ${folds}-fold stratified CV, ROC-AUC of the pooled out-of-fold scores, target rows positive`,
    modalities: { image: 'z_v (v.npy)', question: 'z_t (t.npy)', answer: "z_yhat, the model's responses (yhat.npy)" },
    ...(options.bandwidth !== undefined ? { fixedBandwidth: options.bandwidth } : {}),
  };
}

/**
 * A modality's baselines by the content of the target's rows, for a sweep that compares one
 * source with many targets under one set of options: a target whose questions (say) are byte
 * for byte another's gets the same numbers, computed once (the benchmark's grid shares images
 * across its question shifts and questions across its image shifts). One cache per source set
 * and options.
 */
export class DriftBaselineCache {
  private readonly values = new Map<string, ModalityDrift>();
  /** Modalities answered from the cache. */
  reused = 0;

  /** The modality's baselines for a target whose rows have content key `key`, computed by `compute` the first time. */
  get(modality: keyof DriftBaselines, key: string, compute: () => ModalityDrift): ModalityDrift {
    const cacheKey = `${modality}:${key}`;
    const known = this.values.get(cacheKey);
    if (known) {
      this.reused += 1;
      return known;
    }
    const value = compute();
    this.values.set(cacheKey, value);
    return value;
  }
}

/** Content keys of a target's matrices (`EmbeddingMoments.contentKey`), for a DriftBaselineCache. */
export type TargetContentKeys = { readonly [modality in keyof DriftBaselines]?: string };

/**
 * MMD² with its permutation p-value, the domain classifier's AUC and the mean cosine distance,
 * for the image (when both sets have images), question and answer (model response) embeddings
 * of `source` against `target`. Seeded: the same inputs and options give the same numbers.
 * Throws InputError on fewer than 2 rows per side, permutations < 1, or mismatched dimensions.
 */
export function driftBaselines(
  source: EmbeddingSet,
  target: EmbeddingSet,
  options: DriftBaselineOptions = {},
  reuse?: { cache: DriftBaselineCache; targetKeys: TargetContentKeys },
): DriftBaselineResult {
  const { fixedBandwidth, ...settings } = driftBaselineSettings(options);
  const run = { permutations: settings.permutations, seed: settings.seed, folds: settings.folds, ridge: settings.ridge, bandwidth: fixedBandwidth };
  if (Boolean(source.image) !== Boolean(target.image)) throw new InputError('one set has image embeddings and the other has none', { field: 'image' });
  const one = (modality: keyof DriftBaselines, p: Matrix, q: Matrix, field: string): ModalityDrift => {
    const key = reuse?.targetKeys[modality];
    return reuse && key !== undefined ? reuse.cache.get(modality, key, () => modalityDrift(p, q, run, field)) : modalityDrift(p, q, run, field);
  };
  const image = source.image && target.image ? one('image', source.image, target.image, 'image') : undefined;
  return {
    ...(image ? { image } : {}),
    question: one('question', source.text, target.text, 'text'),
    answer: one('answer', source.response, target.response, 'response'),
    settings,
  };
}
