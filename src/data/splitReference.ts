/**
 * Split references: how a user names a split to load — a local file, `hf:<dataset>/<split>` (a
 * Hub dataset id such as owner/name and a split, read from the Hub's parquet conversion) or an
 * http(s) URL (both downloaded once into the cache and read from there afterwards) — and a folder
 * of split files with their answer files. The CLI's `--split`/`--split-dir` and the job config's
 * `splits` go through here, so every path reads a split the same way.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../errors';
import { describeReadFailure } from '../io/inputFile';
import type { FetchToCacheOptions, SplitFileSource } from './download';
import { readSplitTable, splitNameFromFile, SPLIT_FORMATS, type SplitFormat } from './loaders';
import type { SplitTable } from './splitRow';

/** A split to load and how to read it. */
export interface SplitReference {
  /** A local file, `hf:<dataset>/<split>` (dataset `owner/name`), or an http(s) URL of a parquet file. */
  split: string;
  /** `combined` (= `jsonl`), `jsonl`, `csv`, `parquet` or `llava`; default: from the file extension. */
  format?: string | undefined;
  /** A local LLaVA answer file with the model's answers, joined by question_id. */
  responses?: string | undefined;
  /** The split's name; default: the file name (for `hf:`, the split part). */
  name?: string | undefined;
  /** JSONL/CSV question files: the folder image paths are relative to and stay inside (see `ReadSplitTableOptions.imageRoot`). */
  imageRoot?: string | undefined;
  /** Further text columns to keep in each row's `fields` (a caption, say). */
  textFields?: readonly string[] | undefined;
  /** 'optional': rows may lack reference_answer (for collecting answers). Default 'required'. */
  referenceAnswers?: 'required' | 'optional' | undefined;
}

/** How `readSplitReference` resolves a reference: the folder for relative paths and the download settings for remote ones. */
export interface ReadSplitReferenceOptions {
  /** The folder relative local paths (split and responses) are resolved against. Default: the working directory. */
  baseDirectory?: string | undefined;
  /** How `hf:` and URL references are downloaded (cache folder, offline mode, progress). */
  download?: FetchToCacheOptions | undefined;
}

/** The formats a reference may name: the loaders' formats and `combined`, the name the CLI has always accepted for jsonl. */
export const SPLIT_REFERENCE_FORMATS: readonly string[] = ['combined', ...SPLIT_FORMATS];

const HUB_REFERENCE = /^hf:([^/]+\/[^/]+)\/(.+)$/;

/**
 * Where a reference's file comes from: a Hub dataset split, a URL, or a local file (resolved
 * against `baseDirectory` when relative). A malformed `hf:` reference is an InputError.
 */
export function splitFileSource(split: string, baseDirectory?: string): SplitFileSource {
  if (split.startsWith('hf:')) {
    const hub = HUB_REFERENCE.exec(split);
    if (!hub) throw new InputError(`expected hf:<dataset>/<split> with a dataset id such as owner/name, got '${split}'`, { field: 'split' });
    return { dataset: hub[1], split: hub[2] };
  }
  if (/^https?:\/\//.test(split)) return { url: split };
  return { file: baseDirectory === undefined || isAbsolute(split) ? split : resolve(baseDirectory, split) };
}

/** A reference's format as a loader format (`combined` is `jsonl`); an unknown one is an InputError on `format`. */
export function splitReferenceFormat(format: string | undefined): SplitFormat | undefined {
  if (format === undefined) return undefined;
  if (!SPLIT_REFERENCE_FORMATS.includes(format)) throw new InputError(`expected ${SPLIT_REFERENCE_FORMATS.join(', ')}, got '${format}'`, { field: 'format' });
  return format === 'combined' ? 'jsonl' : (format as SplitFormat);
}

/**
 * Loads the split a reference names: downloads `hf:` and URL references into the cache first
 * (or finds them there), then reads the file with its format and joins its answer file.
 */
export async function readSplitReference(reference: SplitReference, options: ReadSplitReferenceOptions = {}): Promise<SplitTable> {
  const format = splitReferenceFormat(reference.format);
  const source = splitFileSource(reference.split, options.baseDirectory);
  let file: string;
  let name = reference.name;
  if ('file' in source) {
    file = source.file;
  } else {
    const { resolveSplitFile } = await import('./download');
    file = await resolveSplitFile(source, options.download);
    if ('dataset' in source) name ??= source.split;
  }
  const relative = (path: string | undefined) => (path === undefined || options.baseDirectory === undefined ? path : resolve(options.baseDirectory, path));
  return readSplitTable(file, {
    format,
    responses: relative(reference.responses),
    name,
    imageRoot: relative(reference.imageRoot),
    textFields: reference.textFields,
    referenceAnswers: reference.referenceAnswers,
  });
}

/** A split file of a folder, with the answer file matched to it. */
export interface SplitFileEntry {
  name: string;
  file: string;
  responses?: string;
}

/**
 * Files a folder of splits is read for. Not `.json`: such a folder often holds a config, a
 * manifest or results as .json, and reading one as a split would stop the run.
 */
export const SPLIT_FOLDER_EXTENSIONS: readonly string[] = ['.jsonl', '.ndjson', '.csv', '.parquet', '.pq'];

/** Answer files a responses folder is searched for. */
export const ANSWER_FILE_EXTENSIONS: readonly string[] = ['.jsonl', '.json', '.ndjson'];

/**
 * The split files of `directory` (sorted by name), each named by its file, and with a
 * `responses` folder each one's answer file (`<split name>.jsonl`, `.json` or `.ndjson`). Every
 * problem is found before anything is read: an empty folder, two files giving one split name, a
 * split without an answer file.
 */
export function listSplitFiles(directory: string, responses?: string): SplitFileEntry[] {
  const filesOf = (folder: string, extensions: readonly string[], what: string): string[] => {
    let names: string[];
    try {
      if (!statSync(folder).isDirectory()) throw new InputError(`expected a folder of ${what}`, { file: folder });
      names = readdirSync(folder);
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(describeReadFailure(error), { file: folder });
    }
    return names.filter((name) => extensions.includes(extname(name).toLowerCase())).sort();
  };
  const files = filesOf(directory, SPLIT_FOLDER_EXTENSIONS, 'split files');
  if (files.length === 0) throw new InputError(`no split files (${SPLIT_FOLDER_EXTENSIONS.join(', ')}) in the folder`, { file: directory });
  const byName = new Map<string, string>();
  for (const file of files) {
    const name = splitNameFromFile(file);
    const other = byName.get(name);
    if (other !== undefined) throw new InputError(`${other} and ${file} both give the split name '${name}'; keep one`, { file: directory });
    byName.set(name, file);
  }
  let answers: Map<string, string> | undefined;
  if (responses !== undefined) {
    answers = new Map();
    for (const file of filesOf(responses, ANSWER_FILE_EXTENSIONS, 'answer files, one per split')) {
      const name = splitNameFromFile(file);
      if (answers.has(name)) throw new InputError(`${answers.get(name)} and ${file} are both answer files for split '${name}'; keep one`, { file: responses });
      answers.set(name, file);
    }
    const missing = [...byName.keys()].filter((name) => !answers!.has(name));
    if (missing.length > 0) {
      const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, … (${missing.length} in all)` : '');
      throw new InputError(`no answer file for split${missing.length === 1 ? '' : 's'} ${shown} (expected <split name>.jsonl)`, { file: responses });
    }
  }
  return [...byName.entries()].map(([name, file]) => ({
    name,
    file: join(directory, file),
    ...(answers ? { responses: join(responses as string, answers.get(name) as string) } : {}),
  }));
}
