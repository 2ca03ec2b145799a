/**
 * The 63 splits of the LLaVA-Bench shift benchmark (Oh et al., ICML 2025): 35 synthetic and 28
 * natural, each compared against its benchmark's ID split. Names, order and the easy/hard
 * in-the-wild subsets follow the reference implementation, so catalog names are the keys of its
 * published results and the split names of the Hugging Face datasets.
 *
 * Pure data: importing this module loads nothing else.
 */
import { InputError } from '../errors';
import { editDistance } from '../editDistance';
import type { ShiftDescription } from '../interface';
import { describeShift } from './shiftFamilies';

/** The two halves of the benchmark: synthetic corruptions of COCO images and questions, or natural shifts (in-the-wild images, translated questions). */
export type Benchmark = 'synthetic' | 'natural';
/** Which inputs differ from the ID split: none (the ID split itself), the image, the text, or both. */
export type ShiftModality = 'none' | 'visual' | 'text' | 'joint';
/** `none` = the original COCO images of LLaVA-Bench. */
export type VisualFamily = 'none' | 'defocus_blur' | 'frost' | 'in_the_wild';
/** `none` = the original English questions; `translation` = natural splits in another language. */
export type TextFamily = 'none' | 'sr' | 'KeyboardAug' | 'translation';
/** Corruption severity (1|3|5) for synthetic images; the difficulty subset for in-the-wild images. */
export type VisualSeverity = 1 | 3 | 5 | 'easy' | 'normal' | 'hard';
/** Synonym-replacement count (4|7) or keyboard-typo level (1|3). Translations have no severity. */
export type TextSeverity = 1 | 3 | 4 | 7;
export type Language = 'English' | 'German' | 'Chinese' | 'Korean' | 'Greek' | 'Arabic' | 'Hindi';

/** One split of the benchmark catalog: where it is published, which ID split it is compared against, and the shift on each side. */
export interface Scenario {
  /** The split name: the Hugging Face split and the key in published results. */
  name: string;
  benchmark: Benchmark;
  /** The Hugging Face dataset holding the split. */
  datasetId: string;
  /** The ID split every split of this benchmark is compared against. */
  idSplit: string;
  /** Whether this is its benchmark's ID split. */
  isId: boolean;
  modality: ShiftModality;
  visualFamily: VisualFamily;
  /** null when the images are not shifted. */
  visualSeverity: VisualSeverity | null;
  textFamily: TextFamily;
  /** null when the questions are not shifted, and for translations. */
  textSeverity: TextSeverity | null;
  /** The language of the questions (synthetic splits are English). */
  language: Language;
  /** Rows in the split. */
  queryCount: number;
  /**
   * The stem of the response file the reference pipeline reads, `<stem>_<model>.jsonl`: the
   * in-the-wild easy/normal/hard splits share one 60-answer file per language.
   */
  responsesStem: string;
  /** For easy/hard: the 0-based positions in the 60-answer response file, in split order. */
  answerPositions?: readonly number[];
}

export const SYNTHETIC_DATASET_ID = 'changdae/llavabench-shift-synthetic-v1';
export const NATURAL_DATASET_ID = 'changdae/llavabench-shift-natural-v1';
export const SYNTHETIC_ID_SPLIT = 'llava_bench_coco';
export const NATURAL_ID_SPLIT = 'llava_bench_coco_English';

/** Queries in the full LLaVA-Bench in-the-wild set, which the easy/hard positions index. */
export const IN_THE_WILD_QUERY_COUNT = 60;

/** Rows of the 60-answer in-the-wild response file that make up the easy split, in split order. */
export const IN_THE_WILD_EASY_POSITIONS: readonly number[] = Object.freeze([
  9, 8, 41, 42, 54, 55, 56, 48, 47, 50, 49, 15, 14, 29, 31, 30, 28, 27, 38, 37, 36, 45, 46, 11, 12, 13, 19, 20, 24, 23,
]);

/** Rows of the 60-answer in-the-wild response file that make up the hard split, in split order. */
export const IN_THE_WILD_HARD_POSITIONS: readonly number[] = Object.freeze([
  22, 21, 4, 5, 6, 7, 59, 57, 58, 26, 25, 40, 39, 34, 33, 32, 51, 52, 53, 35, 44, 43, 16, 17, 18, 0, 1, 2, 3, 10,
]);

export const LANGUAGES: readonly Language[] = Object.freeze(['English', 'German', 'Chinese', 'Korean', 'Greek', 'Arabic', 'Hindi']);

const SYNTHETIC_VISUAL: readonly { suffix: string; family: VisualFamily; severity: VisualSeverity | null }[] = [
  { suffix: '', family: 'none', severity: null },
  ...(['defocus_blur', 'frost'] as const).flatMap((family) =>
    ([1, 3, 5] as const).map((severity) => ({ suffix: `_${family}_${severity}`, family, severity })),
  ),
];

const SYNTHETIC_TEXT: readonly { suffix: string; family: TextFamily; severity: TextSeverity | null }[] = [
  { suffix: '', family: 'none', severity: null },
  { suffix: '_sr_4', family: 'sr', severity: 4 },
  { suffix: '_sr_7', family: 'sr', severity: 7 },
  { suffix: '_KeyboardAug_1', family: 'KeyboardAug', severity: 1 },
  { suffix: '_KeyboardAug_3', family: 'KeyboardAug', severity: 3 },
];

const NATURAL_VISUAL: readonly { prefix: string; family: VisualFamily; severity: VisualSeverity | null; queryCount: number }[] = [
  { prefix: 'llava_bench_coco', family: 'none', severity: null, queryCount: 90 },
  { prefix: 'llava_bench_in_the_wild_easy', family: 'in_the_wild', severity: 'easy', queryCount: 30 },
  { prefix: 'llava_bench_in_the_wild_normal', family: 'in_the_wild', severity: 'normal', queryCount: 60 },
  { prefix: 'llava_bench_in_the_wild_hard', family: 'in_the_wild', severity: 'hard', queryCount: 30 },
];

function modalityOf(visual: VisualFamily, text: TextFamily): ShiftModality {
  if (visual === 'none') return text === 'none' ? 'none' : 'text';
  return text === 'none' ? 'visual' : 'joint';
}

function buildCatalog(): readonly Scenario[] {
  const catalog: Scenario[] = [];
  for (const visual of SYNTHETIC_VISUAL) {
    for (const text of SYNTHETIC_TEXT) {
      const name = `llava_bench_coco${visual.suffix}${text.suffix}`;
      catalog.push({
        name,
        benchmark: 'synthetic',
        datasetId: SYNTHETIC_DATASET_ID,
        idSplit: SYNTHETIC_ID_SPLIT,
        isId: name === SYNTHETIC_ID_SPLIT,
        modality: modalityOf(visual.family, text.family),
        visualFamily: visual.family,
        visualSeverity: visual.severity,
        textFamily: text.family,
        textSeverity: text.severity,
        language: 'English',
        queryCount: 90,
        responsesStem: name,
      });
    }
  }
  for (const visual of NATURAL_VISUAL) {
    for (const language of LANGUAGES) {
      const name = `${visual.prefix}_${language}`;
      const textFamily: TextFamily = language === 'English' ? 'none' : 'translation';
      const positions =
        visual.severity === 'easy' ? IN_THE_WILD_EASY_POSITIONS : visual.severity === 'hard' ? IN_THE_WILD_HARD_POSITIONS : undefined;
      const entry: Scenario = {
        name,
        benchmark: 'natural',
        datasetId: NATURAL_DATASET_ID,
        idSplit: NATURAL_ID_SPLIT,
        isId: name === NATURAL_ID_SPLIT,
        modality: modalityOf(visual.family, textFamily),
        visualFamily: visual.family,
        visualSeverity: visual.severity,
        textFamily,
        textSeverity: null,
        language,
        queryCount: visual.queryCount,
        // The reference reads every in-the-wild split's answers from the shared 60-answer file.
        responsesStem: visual.family === 'in_the_wild' ? `llava_bench_in_the_wild_${language}` : name,
      };
      if (positions) entry.answerPositions = positions;
      catalog.push(entry);
    }
  }
  return Object.freeze(catalog.map((entry) => Object.freeze(entry)));
}

/** All 63 splits: synthetic then natural, each in the reference implementation's order. */
export const SCENARIOS: readonly Scenario[] = buildCatalog();

const BY_NAME = new Map(SCENARIOS.map((entry) => [entry.name, entry]));

/** Criteria for `scenarios` and `scenarioNames`; an entry must meet every one given, and `{}` matches the whole catalog. */
export interface ScenarioFilter {
  benchmark?: Benchmark;
  modality?: ShiftModality;
  /** true → only ID splits; false → only OOD splits. */
  isId?: boolean;
  /** Restricts `family`/`severity` to one side: e.g. `{ axis: 'text', severity: 3 }` includes joint shifts. */
  axis?: 'visual' | 'text';
  /** A shift family on either side (or on `axis`); `family` and `severity` must hold for the same side. */
  family?: VisualFamily | TextFamily;
  severity?: VisualSeverity | TextSeverity;
  language?: Language;
}

function sideMatches(family: string, severity: VisualSeverity | TextSeverity | null, filter: ScenarioFilter): boolean {
  if (filter.family !== undefined && family !== filter.family) return false;
  if (filter.severity !== undefined && severity !== filter.severity) return false;
  return true;
}

/**
 * The catalog entries matching every given criterion, in catalog order. Examples:
 * `scenarios({ modality: 'text', severity: 3 })` → the text-only KeyboardAug_3 split;
 * `scenarios({ axis: 'text', severity: 3 })` → every split whose text shift has severity 3;
 * `scenarios({ benchmark: 'natural', family: 'in_the_wild', severity: 'hard' })`.
 */
export function scenarios(filter: ScenarioFilter = {}): Scenario[] {
  return SCENARIOS.filter((entry) => {
    if (filter.benchmark !== undefined && entry.benchmark !== filter.benchmark) return false;
    if (filter.modality !== undefined && entry.modality !== filter.modality) return false;
    if (filter.isId !== undefined && entry.isId !== filter.isId) return false;
    if (filter.language !== undefined && entry.language !== filter.language) return false;
    if (filter.family === undefined && filter.severity === undefined) return true;
    const visual = filter.axis !== 'text' && sideMatches(entry.visualFamily, entry.visualSeverity, filter);
    const text = filter.axis !== 'visual' && sideMatches(entry.textFamily, entry.textSeverity, filter);
    return visual || text;
  });
}

/** The names of `scenarios(filter)`. */
export function scenarioNames(filter: ScenarioFilter = {}): string[] {
  return scenarios(filter).map((entry) => entry.name);
}


/** Up to `limit` catalog names closest to `name` (case-insensitive edit distance). */
export function nearScenarioNames(name: string, limit = 3): string[] {
  const wanted = name.toLowerCase();
  return SCENARIOS.map((entry) => ({ name: entry.name, distance: editDistance(wanted, entry.name.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((entry) => entry.name);
}

/** One catalog entry; an unknown name is an InputError suggesting the nearest names. */
export function scenario(name: string): Scenario {
  const entry = BY_NAME.get(name);
  if (entry) return entry;
  throw new InputError(`unknown split '${name}'; nearest: ${nearScenarioNames(name).join(', ')} (${SCENARIOS.length} splits in the catalog)`, {
    field: 'scenario',
  });
}

export function isScenarioName(name: string): boolean {
  return BY_NAME.has(name);
}

const DIFFICULTY: Readonly<Record<string, number>> = { easy: 1, normal: 2, hard: 3 };

/** A catalog split's shift as a `ShiftDescription` (the paper's tokens `sr`, `KeyboardAug` in words). */
export function scenarioShift(entry: Scenario): ShiftDescription {
  const parts: { family: string; severity: number | null; modality: 'image' | 'text' }[] = [];
  if (entry.visualFamily !== 'none') {
    const severity = entry.visualSeverity === null ? null : typeof entry.visualSeverity === 'number' ? entry.visualSeverity : DIFFICULTY[entry.visualSeverity];
    parts.push({ family: entry.visualFamily, severity, modality: 'image' });
  }
  if (entry.textFamily !== 'none') parts.push({ family: entry.textFamily, severity: entry.textSeverity, modality: 'text' });
  return describeShift(parts);
}

/** The ID split of a benchmark. */
export function idScenario(benchmark: Benchmark): Scenario {
  return scenario(benchmark === 'synthetic' ? SYNTHETIC_ID_SPLIT : NATURAL_ID_SPLIT);
}

/** The LLaVA answer-file name the reference pipeline reads for a split and model: `<stem>_<model>.jsonl`. */
export function responseFileName(name: string, model: string): string {
  return `${scenario(name).responsesStem}_${model}.jsonl`;
}
