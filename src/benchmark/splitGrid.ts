/**
 * The benchmark's shift grid: the ID queries re-rendered under every (image shift, question
 * shift) pair, like the paper's synthetic grid (defocus blur / frost × synonym replacement /
 * keyboard typos, each at severities), plus single-axis noise, contrast and word-order splits.
 * Every split holds the same queries (same scenes, same reference answers): only the image the
 * model sees and the question it reads change.
 */
import { InputError } from '../errors';
import type { ShiftDescription } from '../interface';
import { describeShift } from '../data/shiftFamilies';
import { applyImageShift, type ImageShiftName } from '../shifts/image';
import { applyTextShift, type TextShiftName } from '../shifts/text';
import { ANSWER_SWAP_RATES, answerSwapSources, type AnswerShiftName } from '../shifts/answers';
import type { Query } from './questions';
import type { RgbaImage } from '../io/image';
import { renderScene } from './scenes';

export interface ShiftSpec<Name extends string> {
  name: Name;
  severity: number;
}

/** One split of the shift grid: its name and the image and question shifts it applies (neither for the ID split). */
export interface GridSplitSpec {
  /** e.g. `shift_frost_3_synonym_replacement_4`; `shift_none` for the ID split. */
  name: string;
  image?: ShiftSpec<ImageShiftName>;
  text?: ShiftSpec<TextShiftName>;
  /** An output-side shift: a share (the severity) of the answers replaced by other rows' (see shifts/answers.ts). */
  answers?: ShiftSpec<AnswerShiftName>;
}

/** A query as one split shows it to the model: the original query, with its image and question after the split's shifts. */
export interface ShiftedQuery {
  /** The unshifted query, whose reference answer and slots still hold. */
  query: Query;
  image: RgbaImage;
  question: string;
}

const IMAGE_GRID: ShiftSpec<ImageShiftName>[] = ['defocus_blur', 'frost'].flatMap((name) => [1, 3, 5].map((severity) => ({ name: name as ImageShiftName, severity })));
const TEXT_GRID: ShiftSpec<TextShiftName>[] = [
  { name: 'synonym_replacement', severity: 4 },
  { name: 'synonym_replacement', severity: 7 },
  { name: 'keyboard_typos', severity: 1 },
  { name: 'keyboard_typos', severity: 3 },
];
const IMAGE_ONLY: ShiftSpec<ImageShiftName>[] = ['gaussian_noise', 'contrast'].flatMap((name) => [1, 3, 5].map((severity) => ({ name: name as ImageShiftName, severity })));
const TEXT_ONLY: ShiftSpec<TextShiftName>[] = [
  { name: 'word_order_noise', severity: 1 },
  { name: 'word_order_noise', severity: 3 },
];

const label = (spec?: ShiftSpec<string>) => (spec ? `${spec.name}_${spec.severity}` : '');

/** The benchmark's split name for an image shift and a question shift, e.g. `shift_frost_3_keyboard_typos_1`. */
export function splitName(image?: ShiftSpec<string>, text?: ShiftSpec<string>, answers?: ShiftSpec<string>): string {
  const parts = [label(image), label(text), label(answers)].filter(Boolean);
  return parts.length ? `shift_${parts.join('_')}` : 'shift_none';
}

/**
 * The default grid: 7 image conditions (none, blur 1/3/5, frost 1/3/5) × 5 question conditions
 * (none, synonyms 4/7, typos 1/3) = 35 splits, plus 6 noise/contrast and 2 word-order splits:
 * 1 ID + 42 OOD.
 */
export function defaultShiftGrid(): GridSplitSpec[] {
  const specs: GridSplitSpec[] = [];
  for (const image of [undefined, ...IMAGE_GRID]) {
    for (const text of [undefined, ...TEXT_GRID]) specs.push({ name: splitName(image, text), image, text });
  }
  for (const image of IMAGE_ONLY) specs.push({ name: splitName(image), image });
  for (const text of TEXT_ONLY) specs.push({ name: splitName(undefined, text), text });
  return specs;
}

/** What a grid split's shift is, in the terms figures use (family, modality, severity and its unit). */
export function gridSplitShift(spec: GridSplitSpec): ShiftDescription {
  return describeShift([
    ...(spec.image ? [{ family: spec.image.name, severity: spec.image.severity, modality: 'image' as const }] : []),
    ...(spec.text ? [{ family: spec.text.name, severity: spec.text.severity, modality: 'text' as const }] : []),
    ...(spec.answers ? [{ family: spec.answers.name, severity: spec.answers.severity, modality: 'answer' as const }] : []),
  ]);
}

/**
 * The output-side family as a grid: the ID split and the split with `name`'s answers swapped at
 * each of the fork's label-drift rates (0.2, 0.4, 0.6, 0.8): `shift_model_answer_swap_0.2`, ….
 * Not part of `defaultShiftGrid()` (the main job's grid is unchanged); pass it as the job's grid.
 */
export function answerSwapGrid(name: AnswerShiftName = 'model_answer_swap', rates: readonly number[] = ANSWER_SWAP_RATES): GridSplitSpec[] {
  return [{ name: splitName() }, ...rates.map((severity) => ({ name: splitName(undefined, undefined, { name, severity }), answers: { name, severity } }))];
}

/**
 * For a grid split with an answer shift, the row whose answer each row gets (see
 * answerSwapSources); undefined without one. Every rate uses the same seed, so the rows swapped
 * at a low rate keep their swap at the higher rates.
 */
export function gridAnswerSources(spec: GridSplitSpec, rows: number, seed: number): Int32Array | undefined {
  return spec.answers ? answerSwapSources(rows, spec.answers.severity, seed) : undefined;
}

/**
 * The queries of one split as the model sees them. Shift seeds derive from the query id, so a
 * split is the same on every run and two severities of one family perturb a query alike.
 */
export function shiftedQueries(
  queries: readonly Query[],
  spec: GridSplitSpec,
  options: { width?: number; height?: number; images?: readonly RgbaImage[] } = {},
): ShiftedQuery[] {
  if (spec.image && !(spec.image.severity >= 0)) throw new InputError(`bad severity ${spec.image.severity}`, { field: spec.name });
  return queries.map((query, i) => {
    // Shipped benchmarks bring their images; otherwise the scene is rendered.
    let image = options.images?.[i] ?? renderScene(query.scene, { width: options.width ?? 64, height: options.height ?? 64 });
    if (spec.image) image = applyImageShift(spec.image.name, image, spec.image.severity, query.question_id + 1);
    const question = spec.text ? applyTextShift(spec.text.name, query.question, spec.text.severity, query.question_id + 1) : query.question;
    return { query, image, question };
  });
}
