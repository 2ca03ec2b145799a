/**
 * One query of a benchmark split as plain data: what every loader returns and every later
 * stage (embedding, response collection, judging) consumes. `toDataFrame` turns rows into a
 * danfojs DataFrame for notebooks.
 */
import type { ShiftDescription } from '../interface';
import type { ImageInput } from '../io/image';

/**
 * `Image` is how the row holds its image: encoded bytes (the default: what loaders read and
 * what is sent to a served model) or, for generated splits handed straight to the embedder,
 * `ImageInput` (encoded bytes or decoded RGB pixels).
 */
export interface SplitRow<Image extends ImageInput = Uint8Array> {
  /** The benchmark's id for the query (LLaVA uses integers); joins compare String(id). */
  question_id: string | number;
  question: string;
  /** The reference (GPT-4) answer. */
  reference_answer: string;
  /** The model's answer, once responses are joined or collected. */
  model_answer?: string;
  /** The query image, where the split has images: encoded bytes (PNG, JPEG, ...) unless `Image` says otherwise. */
  image?: Image;
  /** Further text columns the reader was asked to keep (`ReadSplitTableOptions.textFields`), e.g. a caption for the judge. */
  fields?: Readonly<Record<string, string>>;
}

/** A loaded split: its rows and where they came from (named in error messages and manifests). */
export interface SplitTable<Image extends ImageInput = Uint8Array> {
  name: string;
  source: string;
  rows: SplitRow<Image>[];
  /** The shift the split was made with, when the loader (scenario catalog) or generator knows it; kept in the manifest. */
  shift?: ShiftDescription;
}
