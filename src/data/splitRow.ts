/**
 * One query of a benchmark split as plain data: what every loader returns and every later
 * stage (embedding, response collection, judging) consumes. `toDataFrame` turns rows into a
 * danfojs DataFrame for notebooks.
 */
import type { ShiftDescription } from '../interface';

export interface SplitRow {
  /** The benchmark's id for the query (LLaVA uses integers); joins compare String(id). */
  question_id: string | number;
  question: string;
  /** The reference (GPT-4) answer. */
  reference_answer: string;
  /** The model's answer, once responses are joined or collected. */
  model_answer?: string;
  /** The query image as encoded bytes (PNG, JPEG, ...), where the split has images. */
  image?: Uint8Array;
}

/** A loaded split: its rows and where they came from (named in error messages and manifests). */
export interface SplitTable {
  name: string;
  source: string;
  rows: SplitRow[];
  /** The shift the split was made with, when the loader (scenario catalog) or generator knows it; kept in the manifest. */
  shift?: ShiftDescription;
}
