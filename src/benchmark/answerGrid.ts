/**
 * The benchmark's splits as split tables: every split of a grid shown to the answering model
 * (its image and question shifts applied), its answers recorded beside the references, and an
 * output-side split's answers swapped afterwards. What `runShiftBenchmark` embeds and measures,
 * and what a notebook needs to put the queries' text beside pointwise EMI.
 */
import type { ProgressCallback } from '../interface';
import type { SplitTable } from '../data/splitRow';
import { rgbaToRgb, type ImageInput, type RgbaImage } from '../io/image';
import { slotAccuracy, type QueryAnswerer } from './model';
import type { Query } from './questions';
import { gridAnswerSources, gridSplitShift, shiftedQueries, type GridSplitSpec, type ShiftedQuery } from './splitGrid';

/** How `answerShiftGrid` answers the grid. */
export interface AnswerShiftGridOptions {
  /**
   * Seeds the output-side swaps (`gridAnswerSources`) and names the tables' source, `generated
   * (seed S, split)`; the shipped benchmark's job uses its query seed, settings.json's seed + 1.
   */
  seed: number;
  /** The queries' images as pixels (a shipped benchmark's); default: each scene rendered at 64 × 64. */
  images?: readonly RgbaImage[] | undefined;
  /** Splits answered, of the grid's. */
  onProgress?: ProgressCallback | undefined;
}

/** The grid's split tables and the model's accuracy on each. */
export interface AnsweredShiftGrid {
  /** One table per grid split, in the grid's order: question_id, the shifted question, the reference and model answers, the shifted image. */
  tables: SplitTable<ImageInput>[];
  /** The share of each split's queries answered exactly right, by split name (against the swapped references on a `reference_answer_swap` split). */
  accuracy: Record<string, number>;
}

/**
 * A split's queries as `shiftedQueries` gives them, with each image condition (shift and
 * severity) computed once per grid: a split's image and question are shifted independently, so
 * the splits that pair one image shift with several question shifts share its images.
 */
function shiftedGridQueries(queries: readonly Query[], spec: GridSplitSpec, images: readonly RgbaImage[] | undefined, imageConditions: Map<string, RgbaImage[]>): ShiftedQuery[] {
  if (!spec.image) return shiftedQueries(queries, spec, { images });
  const condition = `${spec.image.name}@${spec.image.severity}`;
  let shiftedImages = imageConditions.get(condition);
  if (!shiftedImages) {
    shiftedImages = shiftedQueries(queries, { name: condition, image: spec.image }, { images }).map((item) => item.image);
    imageConditions.set(condition, shiftedImages);
  }
  const texts = shiftedQueries(queries, { name: spec.name, text: spec.text }, { images: shiftedImages });
  return texts.map((item, i) => ({ ...item, image: (shiftedImages as RgbaImage[])[i] }));
}

/**
 * Every split of `grid` answered by `model` on `queries`: the split's shifts applied, the model's
 * answers taken, and on an output-side split the model's answers (`model_answer_swap`) or the
 * references with the ground truth they stand for (`reference_answer_swap`) swapped after
 * answering, seeded by `options.seed`.
 */
export async function answerShiftGrid(model: QueryAnswerer, queries: readonly Query[], grid: readonly GridSplitSpec[], options: AnswerShiftGridOptions): Promise<AnsweredShiftGrid> {
  const tables: SplitTable<ImageInput>[] = [];
  const accuracy: Record<string, number> = {};
  const imageConditions = new Map<string, RgbaImage[]>();
  options.onProgress?.({ done: 0, total: grid.length, stage: 'answering', unit: 'splits' });
  for (const [index, spec] of grid.entries()) {
    const shifted = shiftedGridQueries(queries, spec, options.images, imageConditions);
    const given = await model.answer(
      shifted.map((item) => item.image),
      shifted.map((item) => item.question),
    );
    // An output-side split swaps answers after answering: the model's (answers and their slots),
    // or the references (and the ground truth they stand for). Other splits swap nothing.
    const sources = gridAnswerSources(spec, queries.length, options.seed);
    const answers = sources && spec.answers?.name === 'model_answer_swap' ? Array.from(sources, (source) => given[source]) : given;
    const truth = sources && spec.answers?.name === 'reference_answer_swap' ? Array.from(sources, (source) => queries[source]) : queries;
    accuracy[spec.name] = slotAccuracy(
      answers.map((answer) => answer.slots),
      truth.map((query) => query.answerSlots),
    ).accuracy;
    tables.push({
      name: spec.name,
      source: `generated (seed ${options.seed}, ${spec.name})`,
      shift: gridSplitShift(spec),
      rows: shifted.map((item, i) => ({
        question_id: item.query.question_id,
        question: item.question,
        reference_answer: truth[i].reference_answer,
        model_answer: answers[i].text,
        image: rgbaToRgb(item.image),
      })),
    });
    options.onProgress?.({ done: index + 1, total: grid.length, label: `answered ${spec.name}`, stage: 'answering', unit: 'splits' });
  }
  return { tables, accuracy };
}
