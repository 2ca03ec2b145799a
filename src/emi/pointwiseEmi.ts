/**
 * Pointwise EMI: the split's EMI taken apart query by query. With an estimator whose estimate is
 * a mean of per-row terms (`PointwiseEstimator`; CLUB), query i gets
 *   mi_model_i = its term of Î(z; z_ŷ)     (CLUB: log q(ŷ_i|z_i) − mean_j log q(ŷ_j|z_i), halved quadratic form)
 *   mi_ref_i   = its term of Î(z; z_y)
 *   emi_i      = mi_model_i − mi_ref_i     (the paper's sign: model − reference)
 * from one pass over z for both, so that mean_i emi_i is the split's EMI (to float rounding, the
 * value `emi()` gives). A low emi_i is a query whose model answer carries less of its query than
 * the reference answer does: the queries a shift hurts most sort first.
 *
 * Only estimators that declare per-row terms (the `PointwiseEstimator` type) are accepted; an
 * estimator such as the Gaussian log-determinant or a neural bound has no per-row form here.
 */
import { InputError } from '../errors';
import type { EmbeddingSet, EmbeddingSpace, EstimatorDescription, Matrix, PointwiseEstimator, ShiftDescription } from '../interface';
import { queryEmbedding } from '../data/queryEmbedding';
import { readSplitManifest } from '../data/splitManifest';
import { checkEstimatorSpaces } from './spaceCheck';
import { EMISHIFT_VERSION } from '../version';

/** One query's part of the split's EMI. */
export interface PointwiseEmiRow {
  /** The row of the split's matrices (0-based). */
  row: number;
  /** The query's id, from the split's manifest (or given), when known. */
  question_id?: string | number;
  /** mi_model − mi_ref: this query's term of EMI. */
  emi: number;
  /** Its term of Î(z; z_ŷ). */
  mi_model: number;
  /** Its term of Î(z; z_y). */
  mi_ref: number;
}

/** Pointwise EMI of a split: every query's terms, their means, and how they were made. */
export interface PointwiseEmiResult {
  /** The split's name, when the set has one. */
  split?: string;
  /** mean of the rows' emi: the split's EMI. */
  emi: number;
  /** mean of mi_model: Î(z; z_ŷ). */
  miModel: number;
  /** mean of mi_ref: Î(z; z_y). */
  miReference: number;
  /** One entry per query, in the split's row order. */
  rows: PointwiseEmiRow[];
  /** The estimator that made the terms (provenance). */
  estimator: EstimatorDescription;
  /** The split's embedding space (its manifest), when known. */
  space?: EmbeddingSpace;
  /** The split's shift, when its manifest records one. */
  shift?: ShiftDescription;
  /** Where the split was read from and its manifest's digest, when it was read from a folder. */
  origin?: { directory: string; manifestDigest: string | null };
  /** The split's space differs from the estimator's, allowed by `allowSpaceMismatch`: one line saying how (absent when the spaces agree or are unrecorded). */
  spaceMismatches?: string[];
}

/** Options of `pointwiseEmi`. */
export interface PointwiseEmiOptions {
  /**
   * The queries' ids in row order. Default: the `questionIds` of the manifest in the set's folder
   * (`set.origin.directory`), when it has one with as many ids as rows; otherwise no ids.
   */
  questionIds?: readonly (string | number)[] | undefined;
  /**
   * Run even when the split's recorded embedding space differs from the estimator's (recorded in
   * `spaceMismatches`); otherwise that is a SpaceMismatchError, as for detection and sweeps.
   */
  allowSpaceMismatch?: boolean | undefined;
}

function mean(values: Float64Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total / values.length;
}

/** The manifest's question ids for a set read from a folder, when they describe its rows. */
function manifestQuestionIds(set: EmbeddingSet): (string | number)[] | undefined {
  const directory = set.origin?.directory;
  if (!directory) return undefined;
  const ids = readSplitManifest(directory)?.questionIds;
  return Array.isArray(ids) && ids.length === set.text.rows ? ids : undefined;
}

/**
 * Pointwise EMI of a split (see the module comment): the per-row terms of ŷ and of y from one
 * pass over z (`rowTermsMany`, the terms `emi` averages, so `result.emi` is `emi(set)` exactly).
 * Question ids come from `options.questionIds` or the split's manifest.
 */
export async function pointwiseEmi(set: EmbeddingSet, estimator: PointwiseEstimator, options: PointwiseEmiOptions = {}): Promise<PointwiseEmiResult> {
  const mismatches = checkEstimatorSpaces([set], estimator, options.allowSpaceMismatch ?? false);
  const z: Matrix = queryEmbedding(set);
  const ids = options.questionIds ?? manifestQuestionIds(set);
  if (ids !== undefined && ids.length !== z.rows) {
    throw new InputError(`${ids.length} question ids for a split of ${z.rows} rows`, { field: 'questionIds' });
  }
  // The terms EMI itself averages (one pass for both answer sets), so the means below are
  // exactly `emi(set, estimator)`'s two mutual informations.
  const [miModel, miReference] = await estimator.rowTermsMany(z, [set.response, set.reference]);
  const emiTerms = new Float64Array(miModel.length);
  for (let i = 0; i < emiTerms.length; i++) emiTerms[i] = miModel[i] - miReference[i];
  const terms = { emi: emiTerms, miModel, miReference };
  const rows: PointwiseEmiRow[] = Array.from({ length: z.rows }, (_, row) => ({
    row,
    ...(ids ? { question_id: ids[row] } : {}),
    emi: terms.emi[row],
    mi_model: terms.miModel[row],
    mi_ref: terms.miReference[row],
  }));
  return {
    ...(set.name !== undefined ? { split: set.name } : {}),
    emi: mean(terms.miModel) - mean(terms.miReference),
    miModel: mean(terms.miModel),
    miReference: mean(terms.miReference),
    rows,
    estimator: estimator.description,
    ...(set.space ? { space: set.space } : {}),
    ...(set.shift ? { shift: set.shift } : {}),
    ...(set.origin ? { origin: { ...set.origin } } : {}),
    ...(mismatches.length > 0 ? { spaceMismatches: mismatches } : {}),
  };
}

/** The rows sorted by emi, lowest (most hurt) first; `count` keeps the first few. */
export function mostHurtQueries(result: PointwiseEmiResult, count = 10): PointwiseEmiRow[] {
  return [...result.rows].sort((a, b) => a.emi - b.emi || a.row - b.row).slice(0, count);
}

/**
 * The JSON `emishift pointwise --json` prints: `emi` (the mean), `rows` ({ row, question_id?,
 * emi, mi_model, mi_ref }) and `provenance` (version, invocation, estimator, the split's space,
 * manifest digest and shift).
 */
export function toPointwiseJson(result: PointwiseEmiResult, invocation: { command?: string; api?: string } = { api: 'pointwiseEmi' }): Record<string, unknown> {
  return {
    emi: result.emi,
    mi_model: result.miModel,
    mi_ref: result.miReference,
    rows: result.rows,
    provenance: {
      emishift_version: EMISHIFT_VERSION,
      node_version: process.version,
      invocation,
      estimator: result.estimator,
      split: {
        ...(result.split !== undefined ? { name: result.split } : {}),
        rows: result.rows.length,
        space: result.space ?? null,
        manifest_digest: result.origin?.manifestDigest ?? null,
        ...(result.origin ? { directory: result.origin.directory } : {}),
        ...(result.shift ? { shift: result.shift } : {}),
      },
      sign: 'emi = mi_model − mi_ref (model − reference); the mean of the rows is the split EMI',
      ...(result.spaceMismatches ? { space_mismatches: result.spaceMismatches } : {}),
    },
  };
}

/** CSV of the rows (header `row,question_id,emi,mi_model,mi_ref`; question_id empty when unknown), numbers at full precision. */
export function pointwiseCsv(result: PointwiseEmiResult): string {
  const quote = (value: string | number | undefined): string => {
    if (value === undefined) return '';
    const text = String(value);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = ['row,question_id,emi,mi_model,mi_ref', ...result.rows.map((row) => [row.row, quote(row.question_id), row.emi, row.mi_model, row.mi_ref].join(','))];
  return `${lines.join('\n')}\n`;
}

/** JSON Lines of the rows, one object per query. */
export function pointwiseJsonl(result: PointwiseEmiResult): string {
  return result.rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
}
