/**
 * Does EMI tell shifted data from clean data? Two units of detection, both from ONE pass over
 * the pooled queries z of the ID split P and the OOD split Q (`condition`), every further number a
 * reduction over selected rows:
 *
 * - per query (pointwise EMI, `PointwiseEstimator` only): the score of query i is −emi_i with
 *   CLUB's contrast means taken over the pooled queries P ∪ Q, so that a shift that costs the
 *   model relevance scores high; ROC-AUC and PR-AUC of Q's queries against P's. The contrast is
 *   the pooled one, not each split's own (whose terms average to that split's EMI): a split's own
 *   means are shared by all its queries and move them together, so under no shift the per-split
 *   scores of P and Q differ by a random offset and the AUC strays from 0.5 far beyond its
 *   bootstrap interval. Scored by one function of the pooled sample, P's and Q's queries are
 *   exchangeable under no shift, and the AUC is a Mann–Whitney statistic with its usual null.
 * - per subset (the subset-pair test, any estimator): EMIDs of P against K subsets of P (the null
 *   sample) and against K subsets of Q, a Mann–Whitney U test between the two samples, and the
 *   same AUCs with the subsets as units.
 *
 * The subset-pair test, done so that its p-value means what it says:
 * - Subsets are disjoint blocks of a seeded permutation of each split's rows (K · m rows of
 *   each). A CLUB estimate on a subset depends on that subset's rows alone, so disjoint blocks
 *   give independent EMIs and, under no shift, 2K exchangeable EMIDs: the Mann–Whitney test is
 *   then valid. Overlapping random subsets share rows: their EMIDs are dependent, the test
 *   counts K dependent values as K independent ones and its p-value comes out too small (the
 *   more so the larger K), so they are refused.
 * - The null sample compares P with subsets of P, and the shifted sample P with subsets of Q —
 *   not one set of P-subsets scored against P and against Q: those two samples would differ by
 *   the constant EMI(P) − EMI(Q) and separate perfectly for any nonzero difference, noise
 *   included (a degenerate test whose p is ~0 on unshifted data).
 * - Which side is "greater": EMID = EMI(P) − EMI(Q_k) is large when the model lost relevance on
 *   Q, so the alternative of a harmful shift is that the EMIDs against Q-subsets are
 *   stochastically GREATER than the null EMIDs: `mannWhitneyU(shifted, null, 'greater')`. (The
 *   fork tested the null sample as the greater one, i.e. that the shift helps the model, and
 *   called a harmful shift insignificant.) `less` asks whether the shift raised EMI (e.g. the
 *   reference answers became noise), `two-sided` either.
 * - Sanity checks: the whole test again after a seeded random relabelling of the pooled rows
 *   (P and Q sizes kept), and on a random score: both must come out null (p uniform over seeds);
 *   a design that rejects there is degenerate.
 */
import { InputError } from '../errors';
import type { ConditionedEstimator, EmbeddingSet, EmbeddingSpace, EstimatorDescription, Matrix, MutualInformationEstimator, PointwiseConditionedEstimator, PointwiseEstimator } from '../interface';
import { queryEmbedding } from '../data/queryEmbedding';
import { checkEstimatorSpaces } from './spaceCheck';
import { createRng, shuffleInPlace } from '../random';
import { detectionMetrics, PR_AUC_DEFINITION, randomScoreTest, shuffledLabels, type DetectionMetrics } from '../stats/detection';
import { ALTERNATIVES, mannWhitneyU, type Alternative, type MannWhitneyResult } from '../stats/rankTests';
import type { BootstrapOptions } from '../stats/bootstrap';
import { EMISHIFT_VERSION } from '../version';
import { stackRows } from '../linalg/matrix';

/** Settings of the subset-pair test and of the detection metrics' intervals. */
export interface ShiftDetectionOptions {
  /** K, subsets drawn from each split (default: as many disjoint subsets as the smaller split holds, at most 20). */
  subsets?: number | undefined;
  /** m, rows per subset (default: a tenth of the smaller split, at least 2). */
  subsetSize?: number | undefined;
  /** Seeds the subsets, the relabelling, the random score and the bootstrap (default 0). */
  seed?: number | undefined;
  /** The Mann–Whitney alternative for "EMIDs against Q" versus "EMIDs against P" (default `greater`: the shift costs relevance). */
  alternative?: Alternative | undefined;
  /** Bootstrap settings of the AUC intervals (resamples default 1000, confidence 0.95; seed: `seed`). */
  bootstrap?: Omit<BootstrapOptions, 'seed'> | undefined;
  /** Run even when a split's embedding space differs from the estimator's (recorded in the result). */
  allowSpaceMismatch?: boolean | undefined;
}

/** The subset-pair test's outcome. */
export interface SubsetPairTest {
  subsets: number;
  subsetSize: number;
  /** EMI(P) on all of P's rows: every EMID is against it. */
  emiId: number;
  /** EMI(P) − EMI(P_k) for K disjoint subsets P_k of P. */
  nullEmids: number[];
  /** EMI(P) − EMI(Q_k) for K disjoint subsets Q_k of Q. */
  shiftEmids: number[];
  /** mannWhitneyU(shiftEmids, nullEmids, alternative). */
  test: MannWhitneyResult;
  /** The alternative in words. */
  hypothesis: string;
  /** The same test after a random relabelling of the pooled rows, and on a random score: both should be null. */
  sanity: { shuffledLabels: MannWhitneyResult; randomScore: MannWhitneyResult };
  /** ROC-AUC and PR-AUC of the subsets' EMIDs, Q-subsets positive. */
  detection: DetectionMetrics;
}

/** What `detectShift` found, with its provenance. */
export interface ShiftDetectionResult {
  /** Per query (−emi_i with the pooled contrast, Q's queries positive); only with a PointwiseEstimator. */
  pointwise?: DetectionMetrics & { score: string; test: MannWhitneyResult };
  subsetPair: SubsetPairTest;
  provenance: {
    emishift_version: string;
    estimator: EstimatorDescription;
    id_split: { name?: string; rows: number; space: EmbeddingSpace | null; directory?: string };
    ood_split: { name?: string; rows: number; space: EmbeddingSpace | null; directory?: string };
    seed: number;
    alternative: Alternative;
    pr_auc: string;
    space_mismatches: string[];
  };
}


const range = (from: number, count: number) => Int32Array.from({ length: count }, (_, i) => from + i);

/** The pooled rows of P then Q, with the rows of each. */
interface Pooled {
  response: Matrix;
  reference: Matrix;
  idRows: Int32Array;
  oodRows: Int32Array;
}

function pool(id: EmbeddingSet, ood: EmbeddingSet): Pooled & { z: Matrix } {
  const zId = queryEmbedding(id);
  const zOod = queryEmbedding(ood);
  if (zId.cols !== zOod.cols) throw new InputError(`the OOD split's queries are ${zOod.cols}-d, the ID split's ${zId.cols}-d`, { field: 'ood' });
  if (id.response.cols !== ood.response.cols) throw new InputError(`the OOD split's answers are ${ood.response.cols}-d, the ID split's ${id.response.cols}-d`, { field: 'ood' });
  return {
    z: stackRows(zId, zOod),
    response: stackRows(id.response, ood.response),
    reference: stackRows(id.reference, ood.reference),
    idRows: range(0, zId.rows),
    oodRows: range(zId.rows, zOod.rows),
  };
}

/** K and m from the options and the split sizes; an InputError naming the option when they cannot be disjoint. */
export function resolveSubsets(idRows: number, oodRows: number, options: Pick<ShiftDetectionOptions, 'subsets' | 'subsetSize'>): { subsets: number; subsetSize: number } {
  const smaller = Math.min(idRows, oodRows);
  const subsetSize = options.subsetSize ?? Math.max(2, Math.floor(smaller / 10));
  if (!Number.isInteger(subsetSize) || subsetSize < 2) throw new InputError(`expected a whole number ≥ 2 of rows per subset, got ${subsetSize}`, { field: 'subsetSize' });
  if (subsetSize > smaller) throw new InputError(`subsets of ${subsetSize} rows do not fit in a split of ${smaller} rows`, { field: 'subsetSize' });
  const subsets = options.subsets ?? Math.min(20, Math.floor(smaller / subsetSize));
  if (!Number.isInteger(subsets) || subsets < 2) throw new InputError(`expected a whole number ≥ 2 of subsets, got ${subsets}`, { field: 'subsets' });
  if (subsets * subsetSize > smaller) {
    throw new InputError(
      `${subsets} subsets of ${subsetSize} rows need ${subsets * subsetSize} rows of each split, the smaller has ${smaller}: subsets must be disjoint, or their EMIDs are dependent and the p-value too small (at most ${Math.floor(smaller / subsetSize)} subsets of ${subsetSize})`,
      { field: 'subsets' },
    );
  }
  return { subsets, subsetSize };
}

/** EMI on selected pooled rows: two reductions of the kept pass. */
async function emiOn(conditioned: ConditionedEstimator, pooled: Pooled, rows: Int32Array): Promise<number> {
  return (await conditioned.estimate(pooled.response, rows)) - (await conditioned.estimate(pooled.reference, rows));
}

/** EMIDs of P against K disjoint m-row blocks of `rows` (a seeded permutation cut in blocks). */
async function blockEmids(conditioned: ConditionedEstimator, pooled: Pooled, emiId: number, rows: Int32Array, subsets: number, subsetSize: number, seed: number): Promise<number[]> {
  const order = Int32Array.from(rows);
  shuffleInPlace(order, createRng(seed));
  const emids: number[] = [];
  for (let k = 0; k < subsets; k++) emids.push(emiId - (await emiOn(conditioned, pooled, order.subarray(k * subsetSize, (k + 1) * subsetSize))));
  return emids;
}

/** The null and shifted EMID samples for given ID and OOD rows of the pooled pass. */
async function subsetSamples(conditioned: ConditionedEstimator, pooled: Pooled, idRows: Int32Array, oodRows: Int32Array, subsets: number, subsetSize: number, seed: number) {
  const emiId = await emiOn(conditioned, pooled, idRows);
  // Two different seeds: the P and Q permutations must not be the same permutation of positions.
  const nullEmids = await blockEmids(conditioned, pooled, emiId, idRows, subsets, subsetSize, seed * 4 + 1);
  const shiftEmids = await blockEmids(conditioned, pooled, emiId, oodRows, subsets, subsetSize, seed * 4 + 2);
  return { emiId, nullEmids, shiftEmids };
}

const HYPOTHESES: Readonly<Record<Alternative, string>> = {
  greater: 'EMIDs of P against subsets of Q are stochastically greater than against subsets of P: the shift costs the model relevance (EMI(P) > EMI(Q))',
  less: 'EMIDs of P against subsets of Q are stochastically smaller than against subsets of P: EMI is higher on Q',
  'two-sided': 'EMIDs of P against subsets of Q and against subsets of P differ in either direction',
};

function checkAlternative(alternative: Alternative): void {
  if (!ALTERNATIVES.includes(alternative)) throw new InputError(`expected one of ${ALTERNATIVES.join(', ')}, got '${String(alternative)}'`, { field: 'alternative' });
}


async function runSubsetPair(conditioned: ConditionedEstimator, pooled: Pooled, options: ShiftDetectionOptions): Promise<SubsetPairTest> {
  const seed = options.seed ?? 0;
  const alternative = options.alternative ?? 'greater';
  checkAlternative(alternative);
  const { subsets, subsetSize } = resolveSubsets(pooled.idRows.length, pooled.oodRows.length, options);
  const { emiId, nullEmids, shiftEmids } = await subsetSamples(conditioned, pooled, pooled.idRows, pooled.oodRows, subsets, subsetSize, seed);
  const test = mannWhitneyU(shiftEmids, nullEmids, alternative);
  const relabelled = shuffledLabels(pooled.idRows.length, pooled.oodRows.length, seed * 4 + 3);
  const shuffled = await subsetSamples(conditioned, pooled, relabelled.first, relabelled.second, subsets, subsetSize, seed);
  return {
    subsets,
    subsetSize,
    emiId,
    nullEmids,
    shiftEmids,
    test,
    hypothesis: HYPOTHESES[alternative],
    sanity: {
      shuffledLabels: mannWhitneyU(shuffled.shiftEmids, shuffled.nullEmids, alternative),
      randomScore: randomScoreTest([subsets, subsets], alternative, seed * 4 + 4),
    },
    detection: await detectionMetrics(shiftEmids, nullEmids, { ...options.bootstrap, seed }),
  };
}

/**
 * The subset-pair test of an ID split P against an OOD split Q with any estimator (see the
 * module comment): one pass over the pooled queries, 2K + 2 EMIs as reductions.
 */
export async function subsetPairTest(id: EmbeddingSet, ood: EmbeddingSet, estimator: MutualInformationEstimator, options: ShiftDetectionOptions = {}): Promise<SubsetPairTest> {
  checkEstimatorSpaces([id, ood], estimator, options.allowSpaceMismatch ?? false);
  const pooled = pool(id, ood);
  resolveSubsets(pooled.idRows.length, pooled.oodRows.length, options);
  return runSubsetPair(await estimator.condition(pooled.z), pooled, options);
}

/**
 * Per-query detection scores: −emi_i with the contrast means over all of `rows` (the pooled
 * queries), split into P's and Q's; see the module comment for why the contrast is pooled.
 */
export async function pointwiseDetectionScores(conditioned: PointwiseConditionedEstimator, pooled: Pooled): Promise<{ id: Float64Array; ood: Float64Array }> {
  const rows = range(0, pooled.idRows.length + pooled.oodRows.length);
  const model = await conditioned.rowTerms(pooled.response, rows);
  const reference = await conditioned.rowTerms(pooled.reference, rows);
  const score = model.map((value, i) => reference[i] - value);
  return { id: score.slice(0, pooled.idRows.length), ood: score.slice(pooled.idRows.length) };
}

/**
 * Both detections of Q against P with a pointwise estimator: ROC-AUC and PR-AUC per query
 * (−emi_i, pooled contrast) and per subset, and the subset-pair test; one pass over z.
 */
export async function detectShift(id: EmbeddingSet, ood: EmbeddingSet, estimator: PointwiseEstimator, options: ShiftDetectionOptions = {}): Promise<ShiftDetectionResult> {
  const mismatches = checkEstimatorSpaces([id, ood], estimator, options.allowSpaceMismatch ?? false);
  const pooled = pool(id, ood);
  resolveSubsets(pooled.idRows.length, pooled.oodRows.length, options);
  const seed = options.seed ?? 0;
  const alternative = options.alternative ?? 'greater';
  checkAlternative(alternative);
  const conditioned = await estimator.condition(pooled.z);
  const scores = await pointwiseDetectionScores(conditioned, pooled);
  const pointwise = await detectionMetrics(scores.ood, scores.id, { ...options.bootstrap, seed });
  // Exchangeable under no shift (pooled contrast), so the U test of the same scores is valid; its
  // alternative follows the subset test's: 'greater' asks whether Q's queries score higher.
  const pointwiseTest = mannWhitneyU(scores.ood, scores.id, alternative);
  const subsetPair = await runSubsetPair(conditioned, pooled, options);
  return {
    pointwise: { ...pointwise, test: pointwiseTest, score: '−emi_i per query, CLUB contrast means over the pooled ID and OOD queries (high: the model answer carries less of its query than the reference; OOD queries positive)' },
    subsetPair,
    provenance: detectionProvenance(id, ood, estimator, options, mismatches),
  };
}

/**
 * The detection any estimator gives: the subset-pair test and its AUCs, with the provenance
 * `detectShift` records (spaces checked the same way), and no per-query part (which needs per-row
 * terms: a `PointwiseEstimator`, through `detectShift`).
 */
export async function detectShiftBySubsets(id: EmbeddingSet, ood: EmbeddingSet, estimator: MutualInformationEstimator, options: ShiftDetectionOptions = {}): Promise<ShiftDetectionResult> {
  const mismatches = checkEstimatorSpaces([id, ood], estimator, options.allowSpaceMismatch ?? false);
  const pooled = pool(id, ood);
  resolveSubsets(pooled.idRows.length, pooled.oodRows.length, options);
  const subsetPair = await runSubsetPair(await estimator.condition(pooled.z), pooled, options);
  return { subsetPair, provenance: detectionProvenance(id, ood, estimator, options, mismatches) };
}

/** How a detection was made: version, estimator, both splits (name, rows, space, folder), seed, alternative, the PR-AUC definition, the spaces allowed to differ. */
function detectionProvenance(id: EmbeddingSet, ood: EmbeddingSet, estimator: MutualInformationEstimator, options: ShiftDetectionOptions, mismatches: string[]): ShiftDetectionResult['provenance'] {
  const record = (set: EmbeddingSet) => ({
    ...(set.name !== undefined ? { name: set.name } : {}),
    rows: set.text.rows,
    space: set.space ?? null,
    ...(set.origin ? { directory: set.origin.directory } : {}),
  });
  return { emishift_version: EMISHIFT_VERSION, estimator: estimator.description, id_split: record(id), ood_split: record(ood), seed: options.seed ?? 0, alternative: options.alternative ?? 'greater', pr_auc: PR_AUC_DEFINITION, space_mismatches: mismatches };
}

/** The JSON `emishift detect --json` prints: snake_case keys, the alternative and its hypothesis stated. */
export function toDetectionJson(result: ShiftDetectionResult, invocation: { command?: string; api?: string } = { api: 'detectShift' }): Record<string, unknown> {
  const metrics = (m: DetectionMetrics) => ({
    roc_auc: m.rocAuc.estimate,
    roc_auc_ci: m.rocAuc.interval,
    pr_auc: m.prAuc.estimate,
    pr_auc_ci: m.prAuc.interval,
    pr_auc_chance: m.prAuc.chance,
    positives: m.positives,
    negatives: m.negatives,
  });
  const mw = (test: MannWhitneyResult) => ({ u: test.u, z: test.z, p_value: test.pValue, auc: test.auc, alternative: test.alternative, sizes: test.sizes });
  const { subsetPair } = result;
  return {
    ...(result.pointwise ? { pointwise: { ...metrics(result.pointwise), score: result.pointwise.score, test: mw(result.pointwise.test) } } : {}),
    subsets: {
      ...metrics(subsetPair.detection),
      k: subsetPair.subsets,
      m: subsetPair.subsetSize,
      emi_id: subsetPair.emiId,
      null_emids: subsetPair.nullEmids,
      shift_emids: subsetPair.shiftEmids,
    },
    subset_pair_test: {
      ...mw(subsetPair.test),
      a: 'EMIDs of P against K disjoint subsets of Q',
      b: 'EMIDs of P against K disjoint subsets of P (the null)',
      hypothesis: subsetPair.hypothesis,
      sanity: { shuffled_labels: mw(subsetPair.sanity.shuffledLabels), random_score: mw(subsetPair.sanity.randomScore) },
    },
    provenance: { ...result.provenance, invocation, bootstrap: subsetPair.detection.bootstrap },
  };
}
