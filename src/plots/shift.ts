/**
 * What each split's shift is — family, label, modality, severity and its unit — and how a family
 * looks in every figure (colour and marker symbol).
 *
 * A results file may say it itself (the `SHIFT` map the generator writes); otherwise the paper's
 * split names are looked up in the scenario catalog, and anything else is 'other'. Labels shown
 * to readers are words (`shiftFamilyLabel`): generator tokens such as `sr` never reach a figure.
 */
import { isScenarioName, scenario, scenarioShift } from '../data/scenarios';
import { shiftFamilyLabel } from '../data/shiftFamilies';
import type { ShiftDescription } from '../interface';
import type { SweepResult } from '../sweep/sweep';

/** Which inputs the shift changes: the image, the text, both, or neither (the ID split). */
export type ShiftModality = ShiftDescription['modality'];

/** A split's shift as figures use it: what the generator recorded, the catalog's entry, or 'other'. */
export type ShiftInfo = ShiftDescription;

/** A label fit for readers: the file's own label unless it is just the token again. */
export function readableLabel(label: string | undefined, family: string): string {
  if (!label || label === family || /_/.test(label)) return shiftFamilyLabel(family);
  return label;
}

const OTHER_SHIFT: ShiftInfo = Object.freeze({ family: 'other', label: 'other', modality: 'none', severity: null, unit: null });

/** The shift of a split known only by its name: the scenario catalog, else 'other'. */
export function shiftInfoOf(split: string): ShiftInfo {
  return isScenarioName(split) ? scenarioShift(scenario(split)) : OTHER_SHIFT;
}

const NO_SHIFT_INFO: ShiftInfo = Object.freeze({ family: 'none', label: 'no shift', modality: 'none', severity: null, unit: null });

/**
 * A split's shift in a result, as figures show it: what the result records (the split's
 * manifest, or the file's SHIFT map) with its label in words, else the scenario catalog's entry
 * for the paper's split names, else 'other'; the ID split with nothing known is "no shift".
 */
export function splitShift(result: Pick<SweepResult, 'shifts' | 'idSplit'>, split: string): ShiftInfo {
  const recorded = result.shifts[split];
  if (recorded) return { family: recorded.family, label: readableLabel(recorded.label, recorded.family), modality: recorded.modality, severity: recorded.severity, unit: recorded.unit };
  const named = shiftInfoOf(split);
  return split === result.idSplit && named.family === 'other' ? NO_SHIFT_INFO : named;
}

/** Where a result's shifts come from, for the report's header: recorded with the splits, or read off their names. */
export function shiftSource(result: Pick<SweepResult, 'shifts'>): 'recorded' | 'names' {
  return Object.keys(result.shifts).length > 0 ? 'recorded' : 'names';
}

// Okabe & Ito's palette (2008), distinguishable with the common colour-vision deficiencies. Its
// yellow is too faint for lines on a light background and its black is kept for the ID split and
// fitted lines, so families cycle through the other six colours and, independently, seven marker
// symbols: 6 and 7 are coprime, so the first 42 families all differ in colour or symbol, and a
// repeated colour comes with a clearly different shape (blue circle, later blue x).
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#56B4E9', '#CC79A7'];
const SYMBOLS = ['circle', 'square', 'diamond', 'triangle-up', 'triangle-down', 'cross', 'x'];
const OTHER = { colour: '#8C8C8C', symbol: 'circle-open' };
const NO_SHIFT = { colour: '#000000', symbol: 'star' };

export interface FamilyStyle {
  colour: string;
  symbol: string;
}

const MODALITY_RANK: Record<ShiftModality, number> = { image: 0, text: 1, answer: 1.5, joint: 2, none: 3 };

/**
 * Colour, marker and label of every family in one report or figure set, assigned once from the
 * full list so a family looks the same in every figure. Families are ordered image shifts first,
 * then text, joint, the ID split and 'other', each group in order of first appearance.
 */
export class FamilyStyles {
  private readonly styles = new Map<string, FamilyStyle>();
  private readonly labels = new Map<string, string>();
  private readonly ordered: string[];
  private paletteUsed = 0;

  /** From the splits' shift information, in the order the results list them. */
  static fromShifts(shifts: Iterable<Pick<ShiftInfo, 'family' | 'label' | 'modality'>>): FamilyStyles {
    const seen = new Map<string, Pick<ShiftInfo, 'family' | 'label' | 'modality'>>();
    for (const shift of shifts) if (!seen.has(shift.family)) seen.set(shift.family, shift);
    const rank = (info: Pick<ShiftInfo, 'family' | 'modality'>) => (info.family === 'other' ? 5 : info.family === 'none' ? 4 : MODALITY_RANK[info.modality]);
    const entries = [...seen.values()].map((info, index) => ({ info, index })).sort((a, b) => rank(a.info) - rank(b.info) || a.index - b.index);
    return new FamilyStyles(
      entries.map(({ info }) => info.family),
      Object.fromEntries(entries.map(({ info }) => [info.family, readableLabel(info.label, info.family)])),
    );
  }

  /** Families in the given order; labels default to the family in words. */
  constructor(families: Iterable<string>, labels: Record<string, string> = {}) {
    this.ordered = [];
    for (const family of families) this.add(family, labels[family]);
  }

  private add(family: string, label?: string): void {
    if (this.styles.has(family)) return;
    this.ordered.push(family);
    this.labels.set(family, readableLabel(label, family));
    // Grey marks 'other' apart from known families; alone, it is drawn like a first family.
    const next = () => {
      const index = this.paletteUsed++;
      return { colour: PALETTE[index % PALETTE.length], symbol: SYMBOLS[index % SYMBOLS.length] };
    };
    if (family === 'other') this.styles.set(family, this.ordered.length === 1 ? next() : OTHER);
    else if (family === 'none') this.styles.set(family, NO_SHIFT);
    else this.styles.set(family, next());
  }

  /** A family's colour and marker (families not seen before are added at the end). */
  style(family: string): FamilyStyle {
    this.add(family);
    return this.styles.get(family)!;
  }

  /** A family in words. */
  label(family: string): string {
    this.add(family);
    return this.labels.get(family)!;
  }

  /** The given families in this set's order (unknown ones last, in their given order). */
  order(families: Iterable<string>): string[] {
    const present = new Set(families);
    for (const family of present) this.add(family);
    return this.ordered.filter((family) => present.has(family));
  }
}
