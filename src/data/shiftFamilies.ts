/**
 * The shift families emishift knows — the benchmark generator's and the paper's — in words, with
 * what their severities measure. A split carries a `ShiftDescription` built from these, so
 * figures colour it by its real family and never put two families' scales on one axis unlabelled.
 */
import type { ShiftDescription } from '../interface';

/** What emishift knows about one shift family, as listed in `SHIFT_FAMILIES`: its words, the input it changes, and its severity scale. */
export interface ShiftFamily {
  /** The family in words. */
  label: string;
  modality: 'image' | 'text' | 'answer';
  /** What a severity step means; null when the family has no severity scale. */
  unit: string | null;
}

const IMAGENET_C_LEVEL = 'ImageNet-C level';

/** Every shift family emishift knows, by token: its label in words, the input it changes, what its severity counts. */
export const SHIFT_FAMILIES: Readonly<Record<string, ShiftFamily>> = Object.freeze({
  defocus_blur: { label: 'defocus blur', modality: 'image', unit: IMAGENET_C_LEVEL },
  frost: { label: 'frost', modality: 'image', unit: IMAGENET_C_LEVEL },
  gaussian_noise: { label: 'Gaussian noise', modality: 'image', unit: IMAGENET_C_LEVEL },
  contrast: { label: 'contrast', modality: 'image', unit: IMAGENET_C_LEVEL },
  in_the_wild: { label: 'in-the-wild images', modality: 'image', unit: 'difficulty (1 easy, 2 normal, 3 hard)' },
  synonym_replacement: { label: 'synonym replacement', modality: 'text', unit: 'tenths of the words replaced' },
  keyboard_typos: { label: 'keyboard typos', modality: 'text', unit: 'typo level' },
  word_order_noise: { label: 'word-order noise', modality: 'text', unit: 'swap level' },
  translation: { label: 'translated questions', modality: 'text', unit: null },
  image_offset: { label: 'image shift (synthetic offset)', modality: 'image', unit: 'offset severity' },
  question_offset: { label: 'question shift (synthetic offset)', modality: 'text', unit: 'offset severity' },
  model_answer_swap: { label: 'model answers swapped', modality: 'answer', unit: 'share of answers replaced' },
  reference_answer_swap: { label: 'reference answers swapped (label drift)', modality: 'answer', unit: 'share of answers replaced' },
});

/** Generator tokens of the paper's split names, mapped to the family they mean. */
const ALIASES: Readonly<Record<string, string>> = Object.freeze({ sr: 'synonym_replacement', KeyboardAug: 'keyboard_typos' });

/** The canonical family token: `sr` → `synonym_replacement`; unknown tokens pass through. */
export function canonicalShiftFamily(token: string): string {
  return ALIASES[token] ?? token;
}

const SPECIAL_LABELS: Readonly<Record<string, string>> = { none: 'no shift', other: 'other' };

/**
 * A family in words: `KeyboardAug` → "keyboard typos", a joint token `frost+sr` part by part
 * ("frost + synonym replacement"), and an unknown token with underscores and camel case read as
 * spaces (`MyShift_v2` → "my shift v2").
 */
export function shiftFamilyLabel(token: string): string {
  if (token.includes('+')) return token.split('+').map((part) => shiftFamilyLabel(part.trim())).join(' + ');
  const family = canonicalShiftFamily(token);
  const known = SHIFT_FAMILIES[family]?.label ?? SPECIAL_LABELS[family];
  if (known) return known;
  if (!/[_A-Z]/.test(family.slice(1))) return family;
  return family
    .replace(/_+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/\b([A-Z])([a-z])/g, (_, first: string, second: string) => first.toLowerCase() + second)
    .trim();
}

/** The unshifted (ID) split. */
export const NO_SHIFT: ShiftDescription = Object.freeze({ family: 'none', label: 'no shift', modality: 'none', severity: null, unit: null });

/**
 * The description of a split shifted by each of `parts` (one per modality): no part is the ID
 * split, one part a single-modality shift, two parts a joint shift with both as components.
 */
export function describeShift(parts: readonly { family: string; severity: number | null; modality?: 'image' | 'text' | 'answer' }[]): ShiftDescription {
  const single = parts.map(({ family: token, severity, modality }): ShiftDescription => {
    const family = canonicalShiftFamily(token);
    const known = SHIFT_FAMILIES[family];
    return {
      family,
      label: shiftFamilyLabel(family),
      modality: known?.modality ?? modality ?? 'image',
      severity,
      unit: severity === null ? null : (known?.unit ?? null),
    };
  });
  if (single.length === 0) return NO_SHIFT;
  if (single.length === 1) return single[0];
  return {
    family: single.map((part) => part.family).join('+'),
    label: single.map((part) => part.label).join(' + '),
    modality: 'joint',
    severity: null,
    unit: null,
    components: single,
  };
}
