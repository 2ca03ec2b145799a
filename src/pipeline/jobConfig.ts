/**
 * The job config (`emishift run --config FILE`, `runFromConfig`): which splits (or the project's
 * own benchmark), where the outputs go, and how the method runs — the embedder, CLUB's preset and
 * overrides, the bound's mixture and entropy scale, bootstrap intervals. `parseJobConfig` checks a
 * parsed config completely before anything runs: every problem is one InputError naming the file
 * and the field (`splits[2].format`, `club.epochs`) and what was expected, and an unknown key is
 * refused with the nearest known one, so a misspelt setting never silently falls back to its
 * default.
 */
import { InputError } from '../errors';
import { didYouMean } from '../editDistance';
import { readInputFile } from '../io/inputFile';
import { MIXTURE_WEIGHTINGS, type MixtureWeighting } from '../bound/rjsd';
import { INTERVAL_METHODS, type IntervalMethod } from '../stats/bootstrap';
import { SPLIT_REFERENCE_FORMATS } from '../data/splitReference';
import { CLUB_PRESET_NAMES, isClubPresetName } from '../estimators';
import type { JobClubSettings } from './runJob';
import { defaultShiftGrid } from '../benchmark/splitGrid';

/** One split of a job: a file as `embed --split` reads it. Paths are relative to the config file. */
export interface SplitConfig {
  /** A local file, `hf:<dataset>/<split>` or an http(s) URL. */
  file: string;
  /** A LLaVA answer file with the model's answers. */
  responses?: string;
  /** The split's name (default: from the file name). */
  name?: string;
  /** combined|jsonl|csv|parquet|llava (default: from the file extension). */
  format?: string;
  /** JSONL/CSV question files: the folder image paths are relative to and stay inside (default: the file's folder, then `<stem>/images/`). */
  imageRoot?: string;
}

/** The project's own benchmark: a shipped folder and/or the settings to generate it with. Explicit settings beat the folder's settings.json. */
export interface BenchmarkConfig {
  /** A shipped benchmark folder (relative to the config file). */
  data?: string;
  seed?: number;
  trainQueries?: number;
  splitQueries?: number;
  modelEpochs?: number;
  /** Only these splits of the default grid (by name; the ID split `shift_none` always runs first): a quicker run of the same job. */
  splits?: string[];
}

/** The embedder family and its settings; a bare family name takes the defaults (and the environment's model settings). */
export type EmbedderConfig =
  | 'builtin'
  | 'transformers'
  | 'openai'
  | 'pretrained'
  | { kind: 'builtin' }
  | { kind: 'pretrained' }
  | {
      kind: 'transformers';
      /** XLM-RoBERTa: a directory (`./`/`../` paths are relative to the config), a name under `modelRoot`, or a hub id in the local cache. */
      textModel?: string;
      /** CLIP vision (ONNX export), found as `textModel`; without it (and $EMISHIFT_CLIP_DIR) the splits are embedded text-only. */
      imageModel?: string;
      /** A folder of model directories (relative to the config). */
      modelRoot?: string;
      /** Longest token sequence for text (default 512). */
      maxLength?: number;
    }
  | {
      kind: 'openai';
      baseUrl?: string;
      model?: string;
      /** Texts per request (default 64). */
      batchSize?: number;
      /** Requests in flight (default 4). */
      concurrency?: number;
      /** The dimension the server must return. */
      dimension?: number;
    };

/** Bootstrap intervals, as `sweep --bootstrap N --confidence C --seed S --interval M`. */
export interface BootstrapConfig {
  resamples: number;
  confidence?: number;
  seed?: number;
  method?: IntervalMethod;
}

/** What every job config may set besides its splits. */
export interface JobSettingsConfig {
  /** The output folder (default `out/job`, relative to the config file). */
  out?: string;
  /** Default `builtin`; `pretrained` needs its weights packages installed (the error names them). */
  embedder?: EmbedderConfig;
  /** CLUB's preset (default `small`) and settings overriding it. */
  club?: JobClubSettings;
  /** Default `sample-weighted`. */
  mixture?: MixtureWeighting;
  /** Ĥ for the full bound (adds EMID_UB_FULL). */
  entropyScale?: number;
  bootstrap?: BootstrapConfig;
}

/** A job on split files. */
export interface SplitsJobConfig extends JobSettingsConfig {
  /** The ID split's name. */
  id: string;
  splits: SplitConfig[];
}

/** A job on the project's own benchmark. */
export interface BenchmarkJobConfig extends JobSettingsConfig {
  benchmark: BenchmarkConfig;
}

/** A job config: split files, or the project's own benchmark. */
export type JobConfig = SplitsJobConfig | BenchmarkJobConfig;

const SETTINGS_KEYS = ['out', 'embedder', 'club', 'mixture', 'entropyScale', 'bootstrap'] as const;
const CLUB_KEYS = ['preset', 'epochs', 'batchSize', 'learningRate', 'hiddenDim', 'seed', 'validationFraction', 'patience'] as const;
const EMBEDDER_KEYS = {
  builtin: ['kind'],
  transformers: ['kind', 'textModel', 'imageModel', 'modelRoot', 'maxLength'],
  openai: ['kind', 'baseUrl', 'model', 'batchSize', 'concurrency', 'dimension'],
  pretrained: ['kind'],
} as const;
const EMBEDDER_KINDS = Object.keys(EMBEDDER_KEYS) as (keyof typeof EMBEDDER_KEYS)[];

type Json = Record<string, unknown>;

/** The checks of one config file: each failure is an InputError naming the file and the field. */
class ConfigChecker {
  constructor(readonly file: string | undefined) {}

  fail(field: string | undefined, message: string): never {
    throw new InputError(message, { ...(this.file !== undefined ? { file: this.file } : {}), ...(field !== undefined ? { field } : {}) });
  }

  object(value: unknown, field: string | undefined, expected = 'expected an object'): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, expected);
    return value as Json;
  }

  keys(value: Json, allowed: readonly string[], prefix: string): void {
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      this.fail(`${prefix}${key}`, `unknown key${didYouMean(key, allowed)}; expected ${allowed.join(', ')}`);
    }
  }

  string(value: unknown, field: string, what = 'a string'): void {
    if (value !== undefined && (typeof value !== 'string' || value === '')) this.fail(field, `expected ${what}, got ${JSON.stringify(value)}`);
  }

  number(value: unknown, field: string, check: (n: number) => boolean, expected: string): void {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || !check(value))) this.fail(field, `expected ${expected}, got ${JSON.stringify(value)}`);
  }

  choice(value: unknown, field: string, choices: readonly string[], joiner = ', '): void {
    if (value !== undefined && !(typeof value === 'string' && choices.includes(value))) this.fail(field, `expected ${choices.join(joiner)}, got '${String(value)}'`);
  }
}

const isPositiveInteger = (n: number) => Number.isInteger(n) && n >= 1;
const isSeed = (n: number) => Number.isInteger(n) && n >= 0;

function checkClub(check: ConfigChecker, value: unknown): void {
  const club = check.object(value, 'club', 'expected an object such as { "preset": "small" }');
  if (club.preset !== undefined && !(typeof club.preset === 'string' && isClubPresetName(club.preset))) {
    check.fail('club.preset', `expected ${CLUB_PRESET_NAMES.join(' or ')}, got '${String(club.preset)}'`);
  }
  check.keys(club, CLUB_KEYS, 'club.');
  for (const key of ['epochs', 'batchSize', 'hiddenDim'] as const) check.number(club[key], `club.${key}`, isPositiveInteger, 'a positive integer');
  check.number(club.learningRate, 'club.learningRate', (n) => n > 0, 'a positive number');
  check.number(club.seed, 'club.seed', isSeed, 'an integer ≥ 0');
  check.number(club.validationFraction, 'club.validationFraction', (n) => n >= 0 && n < 1, 'a number in [0, 1)');
  check.number(club.patience, 'club.patience', (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
}

function checkEmbedder(check: ConfigChecker, value: unknown): void {
  if (typeof value === 'string') {
    check.choice(value, 'embedder', EMBEDDER_KINDS);
    return;
  }
  const embedder = check.object(value, 'embedder', `expected ${EMBEDDER_KINDS.join(', ')} or an object { "kind", … } with its settings`);
  check.choice(embedder.kind, 'embedder.kind', EMBEDDER_KINDS);
  if (embedder.kind === undefined) check.fail('embedder.kind', `expected ${EMBEDDER_KINDS.join(', ')}`);
  const kind = embedder.kind as keyof typeof EMBEDDER_KEYS;
  if (kind === 'openai' && embedder.apiKey !== undefined) {
    check.fail('embedder.apiKey', 'keep API keys out of config files (the results record the config): set EMISHIFT_EMBEDDINGS_API_KEY or OPENAI_API_KEY');
  }
  check.keys(embedder, EMBEDDER_KEYS[kind], 'embedder.');
  for (const key of ['textModel', 'imageModel', 'modelRoot', 'baseUrl', 'model'] as const) check.string(embedder[key], `embedder.${key}`);
  for (const key of ['maxLength', 'batchSize', 'concurrency', 'dimension'] as const) check.number(embedder[key], `embedder.${key}`, isPositiveInteger, 'a positive integer');
}

function checkBootstrap(check: ConfigChecker, value: unknown): void {
  const bootstrap = check.object(value, 'bootstrap', 'expected an object such as { "resamples": 1000 }');
  check.keys(bootstrap, ['resamples', 'confidence', 'seed', 'method'], 'bootstrap.');
  if (bootstrap.resamples === undefined) check.fail('bootstrap.resamples', 'expected the number of resamples (a positive integer)');
  check.number(bootstrap.resamples, 'bootstrap.resamples', isPositiveInteger, 'a positive number of resamples');
  check.number(bootstrap.confidence, 'bootstrap.confidence', (n) => n > 0 && n < 1, 'a number strictly between 0 and 1');
  check.number(bootstrap.seed, 'bootstrap.seed', isSeed, 'an integer ≥ 0');
  check.choice(bootstrap.method, 'bootstrap.method', INTERVAL_METHODS);
}

function checkBenchmark(check: ConfigChecker, value: unknown): void {
  const benchmark = check.object(value, 'benchmark');
  check.keys(benchmark, ['data', 'seed', 'trainQueries', 'splitQueries', 'modelEpochs', 'splits'], 'benchmark.');
  check.string(benchmark.data, 'benchmark.data', 'a folder');
  check.number(benchmark.seed, 'benchmark.seed', isSeed, 'an integer ≥ 0');
  for (const key of ['trainQueries', 'splitQueries', 'modelEpochs'] as const) check.number(benchmark[key], `benchmark.${key}`, isPositiveInteger, 'a positive integer');
  if (benchmark.splits !== undefined) {
    if (!Array.isArray(benchmark.splits) || benchmark.splits.length === 0) check.fail('benchmark.splits', 'expected a non-empty list of split names of the default grid, such as ["shift_frost_3"]');
    const names = defaultShiftGrid().map((spec) => spec.name);
    (benchmark.splits as unknown[]).forEach((name, i) => {
      if (typeof name !== 'string' || !names.includes(name)) check.fail(`benchmark.splits[${i}]`, `not a split of the default grid${typeof name === 'string' ? didYouMean(name, names) : ''}: got ${JSON.stringify(name)}`);
    });
  }
}

function checkSplits(check: ConfigChecker, config: Json): void {
  if (typeof config.id !== 'string') check.fail('id', 'expected "id": the ID split\'s name');
  if (!Array.isArray(config.splits) || config.splits.length < 2) check.fail('splits', 'expected "splits": at least two { "file", "responses"?, "name"?, "format"? }');
  (config.splits as unknown[]).forEach((split, i) => {
    const field = `splits[${i}]`;
    if (typeof (split as Json | null)?.file !== 'string') check.fail(field, 'expected a "file"');
    const entry = split as Json;
    check.keys(entry, ['file', 'responses', 'name', 'format', 'imageRoot'], `${field}.`);
    check.string(entry.file, `${field}.file`, 'a file, hf:<dataset>/<split> or a URL');
    check.string(entry.responses, `${field}.responses`, 'an answer file');
    check.string(entry.name, `${field}.name`, 'a split name');
    check.choice(entry.format, `${field}.format`, SPLIT_REFERENCE_FORMATS);
    check.string(entry.imageRoot, `${field}.imageRoot`, 'a folder of images');
  });
}

/**
 * Checks a parsed config (see the module comment) and returns it typed. `file` is named in
 * every message.
 */
export function parseJobConfig(value: unknown, file?: string): JobConfig {
  const check: ConfigChecker = new ConfigChecker(file);
  const config = check.object(value, undefined, 'expected a JSON object');
  if (config.club !== undefined) checkClub(check, config.club);
  const isBenchmark = config.benchmark !== undefined;
  if (isBenchmark && (config.id !== undefined || config.splits !== undefined)) {
    check.fail('benchmark', 'expected either "benchmark" (the project\'s own benchmark) or "id" and "splits" (split files), not both');
  }
  check.keys(config, [...(isBenchmark ? ['benchmark'] : ['id', 'splits']), ...SETTINGS_KEYS], '');
  if (isBenchmark) checkBenchmark(check, config.benchmark);
  else checkSplits(check, config);
  check.string(config.out, 'out', 'an output folder');
  if (config.embedder !== undefined) checkEmbedder(check, config.embedder);
  check.choice(config.mixture, 'mixture', MIXTURE_WEIGHTINGS, ' or ');
  check.number(config.entropyScale, 'entropyScale', (n) => n >= 0, 'a number ≥ 0');
  if (config.bootstrap !== undefined) checkBootstrap(check, config.bootstrap);
  return config as unknown as JobConfig;
}

/** Reads and checks a job config file (JSON); every problem is an InputError naming the file. */
export function readJobConfig(file: string): JobConfig {
  let value: unknown;
  try {
    value = JSON.parse(readInputFile(file).toString('utf8'));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`not valid JSON (${(error as Error).message})`, { file });
  }
  return parseJobConfig(value, file);
}
