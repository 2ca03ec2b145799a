/**
 * The domain classifier baseline (deepchecks' and alibi-detect's "classifier drift"): how well an
 * L2-regularised logistic regression tells the target's rows from the source's, as the ROC-AUC of
 * its out-of-fold scores under seeded stratified k-fold cross-validation. 0.5: indistinguishable.
 *
 * The regression is solved on the Gram side: with d (768) above the rows (≈ 180), the weights lie
 * in the span of the training rows, w = Xᵀα (representer theorem), so Newton's method runs on
 * the n + 1 unknowns (α, intercept) with the linear kernel, never on d. The model is
 *   minimise Σ_i log(1 + exp(−s_i f_i)) + (λ/2)‖w‖²,  f = Xw + b, s_i = ±1,
 * the intercept unpenalised, and λ = ridge × (the training fold's total variance, the mean
 * squared distance of its rows to their mean), so the fit does not change when the embeddings
 * are translated or scaled as a whole. ridge = 1 is scikit-learn's default C = 1 on embeddings
 * scaled to unit total variance; the AUC moves little with it (ridge 1 to 0.001 changed it by
 * under 0.01 at 768-d, 90 rows a side).
 */
import { InputError } from '../errors';
import { createRng, shuffleInPlace } from '../random';
import { rocAuc } from '../stats/rankTests';

/** How `domainClassifierAuc` runs. */
export interface DomainClassifierOptions {
  /** Cross-validation folds (default 5); at most the smaller side's rows. */
  folds?: number | undefined;
  /** λ in units of the training fold's total variance (default 1). */
  ridge?: number | undefined;
  /** Seeds the fold assignment (default 0). */
  seed?: number | undefined;
}

/** The cross-validated domain classifier. */
export interface DomainClassifierResult {
  /** ROC-AUC of the out-of-fold scores, target rows as positives: 0.5 chance, 1 perfectly separable. */
  auc: number;
  /** Out-of-fold decision values f, in pooled row order (source rows first). */
  scores: Float64Array;
  folds: number;
  ridge: number;
}

/**
 * Fold of every pooled row: within each side the rows are shuffled (seeded) and dealt round
 * robin, so each fold holds ⌊m/k⌋ or ⌈m/k⌉ of the source's rows and likewise of the target's.
 */
export function stratifiedFolds(sourceRows: number, targetRows: number, folds: number, seed: number): Int32Array {
  const rng = createRng(seed);
  const assignment = new Int32Array(sourceRows + targetRows);
  for (const [start, count] of [
    [0, sourceRows],
    [sourceRows, targetRows],
  ] as const) {
    const order = Int32Array.from({ length: count }, (_, i) => start + i);
    shuffleInPlace(order, rng);
    for (let k = 0; k < count; k++) assignment[order[k]] = k % folds;
  }
  return assignment;
}

/** Solves A x = rhs in place by Gaussian elimination with partial pivoting; A is size × size, row-major. */
function solveInPlace(a: Float64Array, rhs: Float64Array, size: number): void {
  for (let column = 0; column < size; column++) {
    let pivot = column;
    let largest = Math.abs(a[column * size + column]);
    for (let row = column + 1; row < size; row++) {
      const value = Math.abs(a[row * size + column]);
      if (value > largest) {
        largest = value;
        pivot = row;
      }
    }
    if (largest === 0) throw new Error('singular Newton system in the domain classifier');
    if (pivot !== column) {
      for (let j = 0; j < size; j++) {
        const swap = a[column * size + j];
        a[column * size + j] = a[pivot * size + j];
        a[pivot * size + j] = swap;
      }
      const swap = rhs[column];
      rhs[column] = rhs[pivot];
      rhs[pivot] = swap;
    }
    const diagonal = a[column * size + column];
    for (let row = column + 1; row < size; row++) {
      const factor = a[row * size + column] / diagonal;
      if (factor === 0) continue;
      const rowOffset = row * size;
      const columnOffset = column * size;
      for (let j = column + 1; j < size; j++) a[rowOffset + j] -= factor * a[columnOffset + j];
      rhs[row] -= factor * rhs[column];
    }
  }
  for (let row = size - 1; row >= 0; row--) {
    let sum = rhs[row];
    for (let j = row + 1; j < size; j++) sum -= a[row * size + j] * rhs[j];
    rhs[row] = sum / a[row * size + row];
  }
}

/** log(1 + e^x) without overflow. */
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** A logistic regression fitted on the Gram side: f(x) = Σ_j α_j k(x, x_j) + b. */
export interface KernelLogisticFit {
  alpha: Float64Array;
  intercept: number;
  iterations: number;
}

/**
 * L2-regularised logistic regression on a (centred) linear kernel: Newton's method on (α, b)
 * with a backtracking line search on the objective Σ [log(1 + e^f) − t f] + (λ/2) αᵀKα. The
 * Newton system [WK + λI, W1; 1ᵀWK, 1ᵀW1] (W the logistic weights) is the primal Newton step
 * restricted to the span of the rows, and is nonsingular for λ > 0.
 */
export function fitKernelLogistic(kernel: Float64Array, labels: Uint8Array, lambda: number, maxIterations = 100): KernelLogisticFit {
  const n = labels.length;
  const size = n + 1;
  const alpha = new Float64Array(n);
  let intercept = 0;
  const f = new Float64Array(n);
  const objective = (a: Float64Array, b: number, scores: Float64Array): number => {
    let loss = 0;
    let penalty = 0;
    for (let i = 0; i < n; i++) {
      let ka = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) ka += kernel[row + j] * a[j];
      scores[i] = ka + b;
      loss += softplus(scores[i]) - labels[i] * scores[i];
      penalty += a[i] * ka;
    }
    return loss + 0.5 * lambda * penalty;
  };
  let current = objective(alpha, intercept, f);
  const system = new Float64Array(size * size);
  const step = new Float64Array(size);
  const trialAlpha = new Float64Array(n);
  const trialScores = new Float64Array(n);
  const weights = new Float64Array(n);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let gradientNorm = 0;
    for (let i = 0; i < n; i++) {
      const probability = sigmoid(f[i]);
      weights[i] = probability * (1 - probability);
      const gradient = probability - labels[i];
      step[i] = -(gradient + lambda * alpha[i]);
      gradientNorm = Math.max(gradientNorm, Math.abs(step[i]));
    }
    let gradientSum = 0;
    for (let i = 0; i < n; i++) gradientSum += sigmoid(f[i]) - labels[i];
    step[n] = -gradientSum;
    if (Math.max(gradientNorm, Math.abs(gradientSum)) < 1e-10) break;
    for (let i = 0; i < n; i++) {
      const row = i * size;
      const w = weights[i];
      for (let j = 0; j < n; j++) system[row + j] = w * kernel[i * n + j];
      system[row + i] += lambda;
      system[row + n] = w;
    }
    let weightSum = 0;
    for (let j = 0; j < n; j++) {
      let column = 0;
      for (let i = 0; i < n; i++) column += weights[i] * kernel[i * n + j];
      system[n * size + j] = column;
      weightSum += weights[j];
    }
    system[n * size + n] = weightSum;
    solveInPlace(system, step, size);
    let scale = 1;
    let accepted = false;
    for (let halving = 0; halving < 40; halving++) {
      for (let i = 0; i < n; i++) trialAlpha[i] = alpha[i] + scale * step[i];
      const trial = objective(trialAlpha, intercept + scale * step[n], trialScores);
      if (trial <= current) {
        alpha.set(trialAlpha);
        intercept += scale * step[n];
        f.set(trialScores);
        const decrease = current - trial;
        current = trial;
        accepted = decrease > 1e-13 * (1 + Math.abs(current));
        break;
      }
      scale /= 2;
    }
    if (!accepted) break;
  }
  return { alpha, intercept, iterations };
}

/**
 * The cross-validated ROC-AUC of a logistic regression telling the target's rows (positives)
 * from the source's, from the pooled Gram matrix (source rows first). Each fold's training rows
 * are centred on their own mean, and its λ scaled by their own total variance; the held-out rows
 * are scored with the fold's model only (out-of-fold scores), and the AUC is that of all of them
 * pooled (rocAuc). Throws InputError when a side has fewer than 2 rows or fewer rows than folds.
 */
export function domainClassifierAuc(gram: Float64Array, sourceRows: number, targetRows: number, options: DomainClassifierOptions = {}): DomainClassifierResult {
  const folds = options.folds ?? 5;
  const ridge = options.ridge ?? 1;
  const size = sourceRows + targetRows;
  if (gram.length !== size * size) throw new InputError(`the Gram matrix has ${gram.length} entries, expected ${size} × ${size}`, { field: 'gram' });
  if (!Number.isInteger(folds) || folds < 2) throw new InputError(`expected a whole number ≥ 2, got ${folds}`, { field: 'folds' });
  if (!(ridge > 0) || !Number.isFinite(ridge)) throw new InputError(`expected a finite number > 0, got ${ridge}`, { field: 'ridge' });
  const smaller = Math.min(sourceRows, targetRows);
  if (smaller < 2) throw new InputError(`the domain classifier needs at least 2 rows on each side, got ${sourceRows} and ${targetRows}`, { field: sourceRows < 2 ? 'source' : 'target' });
  if (folds > smaller) throw new InputError(`${folds} folds need at least ${folds} rows on each side, the smaller has ${smaller}`, { field: 'folds' });
  const assignment = stratifiedFolds(sourceRows, targetRows, folds, options.seed ?? 0);
  const scores = new Float64Array(size);
  for (let fold = 0; fold < folds; fold++) {
    const train: number[] = [];
    const held: number[] = [];
    for (let i = 0; i < size; i++) (assignment[i] === fold ? held : train).push(i);
    const n = train.length;
    // Centring on the training mean: K_c = K − r 1ᵀ − 1 rᵀ + s, r the row means, s their mean.
    const rowMeans = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      let sum = 0;
      const row = train[a] * size;
      for (let b = 0; b < n; b++) sum += gram[row + train[b]];
      rowMeans[a] = sum / n;
    }
    let grandMean = 0;
    for (let a = 0; a < n; a++) grandMean += rowMeans[a];
    grandMean /= n;
    const kernel = new Float64Array(n * n);
    let trace = 0;
    for (let a = 0; a < n; a++) {
      const row = train[a] * size;
      for (let b = 0; b < n; b++) kernel[a * n + b] = gram[row + train[b]] - rowMeans[a] - rowMeans[b] + grandMean;
      trace += kernel[a * n + a];
    }
    const variance = trace / n;
    if (!(variance > 0)) throw new InputError('the training rows of a fold are all identical: the domain classifier is undefined', { field: 'rows' });
    const labels = Uint8Array.from(train, (i) => (i >= sourceRows ? 1 : 0));
    const fit = fitKernelLogistic(kernel, labels, ridge * variance);
    for (const i of held) {
      // The held-out row's centred kernel against the training rows: k(x, x_b) − mean_a k(x, x_a) − r_b + s.
      let rowMean = 0;
      for (let b = 0; b < n; b++) rowMean += gram[i * size + train[b]];
      rowMean /= n;
      let value = fit.intercept;
      for (let b = 0; b < n; b++) value += fit.alpha[b] * (gram[i * size + train[b]] - rowMean - rowMeans[b] + grandMean);
      scores[i] = value;
    }
  }
  const auc = rocAuc(scores.subarray(sourceRows), scores.subarray(0, sourceRows));
  return { auc, scores, folds, ridge };
}
