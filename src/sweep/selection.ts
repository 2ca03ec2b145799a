/**
 * Choosing what a sweep compares: OOD splits by the modality their shift touches (the
 * reference's `--shift_modality`), and seeded subsets of N rows per split. Both are recorded in
 * the results' provenance, so a published number says which splits and rows it was computed on.
 */
import { InputError } from '../errors';
import type { EmbeddingSet, RowSubsetRecord, ShiftDescription, SplitSelectionEntry, SplitSelectionRecord } from '../interface';
import { selectRows } from '../linalg/matrix';
import { createRng, shuffleInPlace } from '../random';
import { isScenarioName, scenario, scenarioShift } from '../data/scenarios';

/** V = image-only shifts, T = text-only shifts, J = joint (image and text) shifts, ALL = every split. */
export type ShiftModalitySelection = 'V' | 'T' | 'J' | 'ALL';

/** The modality selections, in the reference's spelling. */
export const SHIFT_MODALITY_SELECTIONS: readonly ShiftModalitySelection[] = ['V', 'T', 'J', 'ALL'];

const MEANING: Readonly<Record<ShiftModalitySelection, string>> = {
  V: 'image-only shifts',
  T: 'text-only shifts',
  J: 'joint shifts (image and text)',
  ALL: 'every split',
};

const WANTED: Readonly<Record<Exclude<ShiftModalitySelection, 'ALL'>, ShiftDescription['modality']>> = { V: 'image', T: 'text', J: 'joint' };

const MODALITY_WORDS: Readonly<Record<ShiftDescription['modality'], string>> = { image: 'an image-only shift', text: 'a text-only shift', answer: 'an answer-side shift (outputs replaced)', joint: 'a joint shift', none: 'no shift' };

export type { RowSubsetRecord, SplitSelectionEntry, SplitSelectionRecord } from '../interface';

/** A split's shift: its manifest's when given, else the catalog's for a paper split name. */
function shiftOf(split: { name: string; shift?: ShiftDescription | undefined }): { shift: ShiftDescription; from: 'manifest' | 'catalog' } | undefined {
  if (split.shift) return { shift: split.shift, from: 'manifest' };
  if (isScenarioName(split.name)) return { shift: scenarioShift(scenario(split.name)), from: 'catalog' };
  return undefined;
}

/**
 * Which OOD splits a modality selection keeps, and why (see `SplitSelectionRecord`). A split
 * whose shift nothing records (no `shift` in its manifest, and not a catalog name) is kept by
 * ALL only: its modality cannot be shown. An unknown selection is an InputError on `modality`;
 * so is a selection that keeps no split, since a sweep of nothing would say nothing.
 */
export function selectSplitsByShiftModality(
  splits: readonly { name: string; shift?: ShiftDescription | undefined }[],
  modality: ShiftModalitySelection,
  location: { file?: string } = {},
): SplitSelectionRecord {
  if (!SHIFT_MODALITY_SELECTIONS.includes(modality)) throw new InputError(`expected ${SHIFT_MODALITY_SELECTIONS.join(', ')}, got '${String(modality)}'`, { field: 'modality' });
  const entries = splits.map((split): SplitSelectionEntry => {
    const known = shiftOf(split);
    if (!known) {
      const selected = modality === 'ALL';
      const reason = selected
        ? 'no shift recorded (neither its manifest nor the scenario catalog), selected because ALL selects every split'
        : `no shift recorded (neither its manifest nor the scenario catalog), so it cannot be shown to be one of the ${MEANING[modality]}`;
      return { split: split.name, selected, shift_modality: null, shift_from: null, reason };
    }
    const what = `${MODALITY_WORDS[known.shift.modality]} (${known.shift.label}, from the ${known.from === 'manifest' ? 'manifest' : 'scenario catalog'})`;
    const selected = modality === 'ALL' || known.shift.modality === WANTED[modality];
    return { split: split.name, selected, shift_modality: known.shift.modality, shift_from: known.from, reason: `${what}${selected ? '' : `: not one of the ${MEANING[modality]}`}` };
  });
  if (!entries.some((entry) => entry.selected)) {
    const found = entries.length === 0 ? 'there are no OOD splits' : entries.map((entry) => `${entry.split}: ${entry.shift_modality ?? 'unrecorded'}`).join(', ');
    throw new InputError(`${modality} (${MEANING[modality]}) selects none of the OOD splits (${found})`, { ...location, field: 'modality' });
  }
  return {
    modality,
    meaning: MEANING[modality],
    without_metadata: 'a split whose shift neither its manifest nor the scenario catalog records is selected by ALL only',
    splits: entries,
  };
}

/** Seeded subsets of rows (`provenance.row_subset`). */
export interface RowSubsetOptions {
  /** Rows kept per split (every split, the ID split included). */
  rows: number;
  /** The generator's seed; default 0. */
  seed?: number | undefined;
}

/** The rule `seededRows` follows, in words, as the provenance records it. */
export const ROW_SUBSET_METHOD =
  'without replacement: the first N of a Fisher–Yates shuffle of rows 0..n−1 seeded with the seed, sorted ascending; it depends on (seed, n) only, so splits of equal length keep the same positions (the same questions, when their rows are aligned) and every matrix of a split the same rows';

/**
 * The rows a subset keeps of a split of `n` rows (see `ROW_SUBSET_METHOD`). `count` larger than
 * `n` is an InputError on `rows` naming the split.
 */
export function seededRows(n: number, count: number, seed = 0, split = 'the split'): number[] {
  if (!Number.isInteger(count) || count < 1) throw new InputError(`expected a positive integer, got ${count}`, { field: 'rows' });
  if (!Number.isInteger(seed) || seed < 0) throw new InputError(`expected an integer ≥ 0, got ${seed}`, { field: 'seed' });
  if (count > n) throw new InputError(`${count} rows asked for, but split '${split}' has ${n}`, { field: 'rows' });
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  shuffleInPlace(order, createRng(seed));
  return Array.from(order.subarray(0, count)).sort((a, b) => a - b);
}

/** The set restricted to `rows`, every matrix by the same rows; its name, space, shift and origin kept. */
export function subsetEmbeddingSet(set: EmbeddingSet, rows: readonly number[]): EmbeddingSet {
  const pick = (matrix: EmbeddingSet['text']) => selectRows(matrix, rows);
  return {
    ...set,
    text: pick(set.text),
    response: pick(set.response),
    reference: pick(set.reference),
    ...(set.image ? { image: pick(set.image) } : {}),
  };
}

/**
 * Cuts sets to their seeded rows as a sweep loads them, and remembers each split's kept rows for
 * its provenance record.
 */
export class RowSubsetter {
  private readonly seed: number;
  private readonly kept = new Map<string, { of: number; kept: number[] }>();

  constructor(private readonly options: RowSubsetOptions) {
    this.seed = options.seed ?? 0;
    // The options' own checks, before any split is read.
    seededRows(options.rows, options.rows, this.seed);
  }

  /** `set` restricted to its seeded rows; `name` names the split in errors and records; `location` (its folder) is the error's file. */
  subset(name: string, set: EmbeddingSet, location?: string): EmbeddingSet {
    let rows: number[];
    try {
      rows = seededRows(set.text.rows, this.options.rows, this.seed, name);
    } catch (error) {
      if (error instanceof InputError && location !== undefined) throw new InputError(error.message.replace(/^rows: /, ''), { file: location, field: 'rows' });
      throw error;
    }
    this.kept.set(name, { of: set.text.rows, kept: rows });
    return subsetEmbeddingSet(set, rows);
  }

  /** The rows kept of a split subsetted here. */
  keptOf(name: string): { of: number; kept: number[] } | undefined {
    return this.kept.get(name);
  }

  /** The rule, as `provenance.row_subset` records it. */
  record(): RowSubsetRecord {
    return { rows: this.options.rows, seed: this.seed, method: ROW_SUBSET_METHOD };
  }
}
