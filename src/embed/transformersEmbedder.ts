/**
 * The paper's reference encoders, run locally through transformers.js (`@huggingface/transformers`,
 * ONNX Runtime underneath), from model directories on disk only: nothing is ever downloaded
 * (`env.allowRemoteModels = false`, `local_files_only: true`).
 *
 * z_v — CLIP ViT-B/32 vision tower (e.g. a copy of `Xenova/clip-vit-base-patch32`, which ships
 * `onnx/vision_model.onnx` and `preprocessor_config.json`). The image is preprocessed by the
 * model's own CLIP image processor (resize, centre crop 224, normalise) and the ONNX vision model's
 * `last_hidden_state` (the encoder output, before the post-LayerNorm, as the reference's
 * `hidden_states[-1]`) is averaged over the 49 patch tokens, CLS excluded. transformers.js resizes
 * with sharp rather than PIL, so pixel values, and therefore embeddings, differ slightly from
 * the Python pipeline's.
 *
 * z_t, z_ŷ, z_y — XLM-RoBERTa-base's embedding-layer output, `hidden_states[0]`. ONNX exports of
 * XLM-R (Optimum, Xenova) declare only `last_hidden_state` as an output, ONNX Runtime cannot
 * fetch intermediate values that are not graph outputs, and transformers.js passes through only
 * what the graph outputs, so `output_hidden_states` is not available. The embedding layer,
 * however, is only lookups, one sum and a LayerNorm, with no interaction between tokens, so this
 * module computes it exactly from the model's own weights (see `pooling.ts`):
 * word_embeddings[ids] + token_type_embeddings[0] + position_embeddings[RoBERTa positions] →
 * LayerNorm(layer_norm_eps from config.json). The five tensors are read from the directory's
 * `model.safetensors` (sharded or not; the layout of `FacebookAI/xlm-roberta-base`) or, failing
 * that, from the initializers of its fp32/fp16 ONNX file (`onnx/model.onnx`, the layout of
 * `Xenova/xlm-roberta-base`). Only the rows of tokens actually seen are read from the 768 MB word
 * table. transformers.js supplies the tokenizer (`tokenizer.json`). Sequences longer than 512
 * tokens are cut as the reference's `truncation=True, max_length=512` does: the first 511 tokens
 * and the closing `</s>` (transformers.js's own truncation would drop the `</s>`).
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type * as TransformersModule from '@huggingface/transformers';
import { InputError, isInputError } from '../errors';
import type { EncoderDescription, Matrix } from '../interface';
import { PAPER_IMAGE_POOLING, PAPER_TEXT_POOLING } from '../data/embeddingSpace';
import type { Embedder } from './embedder';
import { decodeImage } from './imageDecode';
import { l2NormalizeRows, meanExcludingFirstToken, poolXlmRobertaEmbeddingLayer, type EmbeddingLayerTables } from './pooling';
import { float16ToNumber } from '../io/float16';
import { loadOptionalPeer } from '../optionalPeers';

type Transformers = typeof TransformersModule;

let transformers: Transformers | undefined;

/**
 * Loads transformers.js on first use and locks it to local files. Kept lazy so that importing
 * emishift (or using the built-in embedders) never maps ONNX Runtime or sharp; it is an optional
 * peer of emishift, and a project without it gets an OptionalPeerError naming what to install.
 */
export function loadTransformers(): Transformers {
  if (transformers) return transformers;
  transformers = loadOptionalPeer<Transformers>('@huggingface/transformers', 'the transformers embedder');
  transformers.env.allowRemoteModels = false;
  transformers.env.allowLocalModels = true;
  return transformers;
}

// ---------------------------------------------------------------------------------------------
// Finding model directories

export interface ModelLocationOptions {
  /** A folder holding model directories by name (`<modelRoot>/<name>`), tried before the HF cache. */
  modelRoot?: string | undefined;
  /**
   * The Hugging Face hub cache (`.../huggingface/hub`). Default: `$HF_HUB_CACHE`, else
   * `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
   */
  hfCacheDir?: string | undefined;
}

function defaultHubCache(): string {
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE;
  const home = process.env.HF_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return join(home, 'hub');
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The absolute directory of a model given as a path, a name under `modelRoot`, or a hub id
 * (`org/name`) already present in the Hugging Face cache (`models--org--name/snapshots/<rev>`,
 * the revision `refs/main` points at, else the most recently modified snapshot).
 */
export function resolveModelDirectory(spec: string, options: ModelLocationOptions = {}): string {
  const tried: string[] = [];
  const candidate = (path: string): string | undefined => {
    tried.push(path);
    return isDirectory(path) ? resolve(path) : undefined;
  };
  const direct = candidate(spec);
  if (direct) return direct;
  if (options.modelRoot && !isAbsolute(spec)) {
    const underRoot = candidate(join(options.modelRoot, spec));
    if (underRoot) return underRoot;
  }
  if (/^[\w.-]+\/[\w.-]+$/.test(spec) || /^[\w.-]+$/.test(spec)) {
    const hub = options.hfCacheDir ?? defaultHubCache();
    const repo = join(hub, `models--${spec.replace('/', '--')}`);
    tried.push(repo);
    if (isDirectory(repo)) {
      const snapshots = join(repo, 'snapshots');
      let revision: string | undefined;
      try {
        revision = readFileSync(join(repo, 'refs', 'main'), 'utf8').trim();
      } catch {
        revision = undefined;
      }
      if (revision && isDirectory(join(snapshots, revision))) return resolve(join(snapshots, revision));
      const entries = isDirectory(snapshots) ? readdirSync(snapshots).filter((name) => isDirectory(join(snapshots, name))) : [];
      if (entries.length > 0) {
        entries.sort((a, b) => statSync(join(snapshots, b)).mtimeMs - statSync(join(snapshots, a)).mtimeMs);
        return resolve(join(snapshots, entries[0]));
      }
    }
  }
  throw new InputError(
    `model '${spec}' not found locally (tried ${tried.join(', ')}); emishift never downloads models: ` +
      'download it yourself (e.g. `huggingface-cli download <repo>`) and pass its directory',
    { field: 'model' },
  );
}

/** A short, stable name for a model directory, for embedder ids: `org/name@rev` for hub snapshots. */
export function describeModelDirectory(directory: string): string {
  const match = /models--([^/\\]+)[/\\]snapshots[/\\]([^/\\]+)/.exec(directory);
  if (match) return `${match[1].replace(/--/g, '/')}@${match[2].slice(0, 12)}`;
  return basename(directory);
}

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError('file not found (a model directory needs config.json)', { file });
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new InputError(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
}

// ---------------------------------------------------------------------------------------------
// Reading weight tensors without loading whole files

type StoredDtype = 'float32' | 'float16' | 'bfloat16';

/** Where a tensor's bytes are: a contiguous little-endian range of a file. */
export interface StoredTensor {
  readonly name: string;
  readonly dtype: StoredDtype;
  readonly shape: readonly number[];
  readonly file: string;
  readonly offset: number;
  readonly byteLength: number;
}

const BYTES: Record<StoredDtype, number> = { float32: 4, float16: 2, bfloat16: 2 };

/** Reads elements [start, start + count) of a stored tensor as float32. */
function readElements(fd: number, tensor: StoredTensor, start: number, count: number): Float32Array {
  const size = BYTES[tensor.dtype];
  const bytes = Buffer.allocUnsafe(count * size);
  const position = tensor.offset + start * size;
  let read = 0;
  while (read < bytes.length) {
    const n = readSync(fd, bytes, read, bytes.length - read, position + read);
    if (n === 0) throw new InputError(`truncated tensor data for ${tensor.name}`, { file: tensor.file });
    read += n;
  }
  const out = new Float32Array(count);
  if (tensor.dtype === 'float32') {
    for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(i * 4);
  } else if (tensor.dtype === 'float16') {
    for (let i = 0; i < count; i++) out[i] = float16ToNumber(bytes.readUInt16LE(i * 2));
  } else {
    const word = new Uint32Array(1);
    const asFloat = new Float32Array(word.buffer);
    for (let i = 0; i < count; i++) {
      word[0] = bytes.readUInt16LE(i * 2) << 16;
      out[i] = asFloat[0];
    }
  }
  return out;
}

function openForReading(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (error) {
    throw new InputError(`cannot open: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
}

const SAFETENSORS_DTYPES: Record<string, StoredDtype> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/** The tensors of one `.safetensors` file (header only; data stays on disk). */
export function scanSafetensors(file: string): Map<string, StoredTensor | { name: string; unsupported: string }> {
  const fd = openForReading(file);
  try {
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) !== 8) throw new InputError('truncated safetensors header', { file });
    const headerLength = Number(head.readBigUInt64LE(0));
    const fileSize = fstatSync(fd).size;
    if (headerLength > 100_000_000 || 8 + headerLength > fileSize) throw new InputError(`implausible safetensors header length ${headerLength}`, { file });
    const headerBytes = Buffer.alloc(headerLength);
    readSync(fd, headerBytes, 0, headerLength, 8);
    let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    try {
      header = JSON.parse(headerBytes.toString('utf8'));
    } catch {
      throw new InputError('unparseable safetensors header', { file });
    }
    const tensors = new Map<string, StoredTensor | { name: string; unsupported: string }>();
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const dtype = SAFETENSORS_DTYPES[entry.dtype];
      if (dtype === undefined) {
        tensors.set(name, { name, unsupported: `dtype ${entry.dtype}` });
        continue;
      }
      const [begin, end] = entry.data_offsets;
      tensors.set(name, { name, dtype, shape: entry.shape, file, offset: 8 + headerLength + begin, byteLength: end - begin });
    }
    return tensors;
  } finally {
    closeSync(fd);
  }
}

/**
 * A forward-only protobuf cursor over a file, reading through a window so a 1 GB ONNX model can
 * be indexed without holding it in memory: large fields (raw tensor data, node lists) are
 * skipped by their length prefix.
 */
class FileCursor {
  private window = Buffer.alloc(0);
  private windowStart = 0;
  position = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  private byte(): number {
    const offset = this.position - this.windowStart;
    if (offset < 0 || offset >= this.window.length) {
      this.windowStart = this.position;
      const length = Math.min(1 << 16, this.size - this.position);
      if (length <= 0) throw new Error('unexpected end of file');
      this.window = Buffer.alloc(length);
      readSync(this.fd, this.window, 0, length, this.position);
      return this.byte();
    }
    this.position++;
    return this.window[offset];
  }

  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return result;
      multiplier *= 128;
    }
    throw new Error('malformed varint');
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(this.fd, out, read, length - read, this.position + read);
      if (n === 0) throw new Error('unexpected end of file');
      read += n;
    }
    this.position += length;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.position += 8;
    else if (wireType === 2) {
      const length = this.varint();
      this.position += length;
    }
    else if (wireType === 5) this.position += 4;
    else throw new Error(`unsupported protobuf wire type ${wireType}`);
  }
}

const ONNX_DTYPES: Record<number, StoredDtype> = { 1: 'float32', 10: 'float16', 16: 'bfloat16' };

/**
 * The initializers of an ONNX model (ModelProto.graph.initializer), with the file range of each
 * one's data: `raw_data`, packed `float_data`, or external data next to the model.
 * Field numbers from onnx.proto: ModelProto.graph = 7; GraphProto.initializer = 5; TensorProto
 * dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9, external_data = 13,
 * data_location = 14.
 */
export function scanOnnxInitializers(file: string): Map<string, StoredTensor | { name: string; unsupported: string }> {
  const fd = openForReading(file);
  const tensors = new Map<string, StoredTensor | { name: string; unsupported: string }>();
  try {
    const cursor = new FileCursor(fd, fstatSync(fd).size);
    const readTensor = (end: number): void => {
      const dims: number[] = [];
      let dataType = 0;
      let name = '';
      let data: { offset: number; length: number } | undefined;
      let external = false;
      const externalEntries: Record<string, string> = {};
      while (cursor.position < end) {
        const tag = cursor.varint();
        const field = Math.floor(tag / 8);
        const wire = tag & 7;
        if (field === 1 && wire === 0) dims.push(cursor.varint());
        else if (field === 1 && wire === 2) {
          const length = cursor.varint();
          const stop = cursor.position + length;
          while (cursor.position < stop) dims.push(cursor.varint());
        } else if (field === 2 && wire === 0) dataType = cursor.varint();
        else if ((field === 4 || field === 9) && wire === 2) {
          const length = cursor.varint();
          data = { offset: cursor.position, length };
          cursor.position += length;
        } else if (field === 8 && wire === 2) name = cursor.bytes(cursor.varint()).toString('utf8');
        else if (field === 13 && wire === 2) {
          const length = cursor.varint();
          const stop = cursor.position + length;
          let key = '';
          let value = '';
          while (cursor.position < stop) {
            const entryTag = cursor.varint();
            if (entryTag === (1 << 3) + 2) key = cursor.bytes(cursor.varint()).toString('utf8');
            else if (entryTag === (2 << 3) + 2) value = cursor.bytes(cursor.varint()).toString('utf8');
            else cursor.skip(entryTag & 7);
          }
          externalEntries[key] = value;
        } else if (field === 14 && wire === 0) external = cursor.varint() === 1;
        else cursor.skip(wire);
      }
      cursor.position = end;
      const dtype = ONNX_DTYPES[dataType];
      if (dtype === undefined) {
        tensors.set(name, { name, unsupported: `ONNX data type ${dataType} (quantized or integer)` });
        return;
      }
      const count = dims.reduce((product, d) => product * d, 1);
      if (external) {
        const location = externalEntries.location;
        if (!location) {
          tensors.set(name, { name, unsupported: 'external data without a location' });
          return;
        }
        tensors.set(name, {
          name,
          dtype,
          shape: dims,
          file: join(dirname(file), location),
          offset: Number(externalEntries.offset ?? 0),
          byteLength: Number(externalEntries.length ?? count * BYTES[dtype]),
        });
      } else if (data) {
        tensors.set(name, { name, dtype, shape: dims, file, offset: data.offset, byteLength: data.length });
      } else {
        tensors.set(name, { name, unsupported: 'data stored in an unsupported field' });
      }
    };
    while (cursor.position < cursor.size) {
      const tag = cursor.varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (field === 7 && wire === 2) {
        // The length must be read before the position is taken: it advances the cursor.
        const graphLength = cursor.varint();
        const graphEnd = cursor.position + graphLength;
        while (cursor.position < graphEnd) {
          const graphTag = cursor.varint();
          if (graphTag === (5 << 3) + 2) {
            const length = cursor.varint();
            readTensor(cursor.position + length);
          } else {
            cursor.skip(graphTag & 7);
          }
        }
      } else {
        cursor.skip(wire);
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`could not read ONNX initializers: ${error instanceof Error ? error.message : String(error)}`, { file });
  } finally {
    closeSync(fd);
  }
  return tensors;
}

/** The XLM-R embedding tensors under their usual names (with or without a `roberta.` prefix). */
const EMBEDDING_TENSOR_NAMES = {
  word: ['embeddings.word_embeddings.weight'],
  position: ['embeddings.position_embeddings.weight'],
  tokenType: ['embeddings.token_type_embeddings.weight'],
  layerNormWeight: ['embeddings.LayerNorm.weight', 'embeddings.LayerNorm.gamma'],
  layerNormBias: ['embeddings.LayerNorm.bias', 'embeddings.LayerNorm.beta'],
} as const;

type EmbeddingTensorKey = keyof typeof EMBEDDING_TENSOR_NAMES;

function findTensor(
  tensors: Map<string, StoredTensor | { name: string; unsupported: string }>,
  key: EmbeddingTensorKey,
): StoredTensor | { name: string; unsupported: string } | undefined {
  let best: StoredTensor | { name: string; unsupported: string } | undefined;
  for (const suffix of EMBEDDING_TENSOR_NAMES[key]) {
    for (const [name, tensor] of tensors) {
      // The shortest matching name is the base model's own table ('embeddings.…' before
      // 'roberta.embeddings.…'), never a head's.
      if ((name === suffix || name.endsWith(`.${suffix}`)) && (best === undefined || name.length < best.name.length)) best = tensor;
    }
  }
  return best;
}

/** Candidate weight sources in a model directory, in order of preference. */
function weightSources(directory: string): { kind: 'safetensors' | 'onnx'; files: string[] }[] {
  const sources: { kind: 'safetensors' | 'onnx'; files: string[] }[] = [];
  const single = join(directory, 'model.safetensors');
  if (existsSync(single)) sources.push({ kind: 'safetensors', files: [single] });
  const index = join(directory, 'model.safetensors.index.json');
  if (existsSync(index)) {
    const map = (readJson(index).weight_map ?? {}) as Record<string, string>;
    sources.push({ kind: 'safetensors', files: [...new Set(Object.values(map))].map((name) => join(directory, name)) });
  }
  for (const name of ['onnx/model.onnx', 'model.onnx', 'onnx/model_fp16.onnx', 'model_fp16.onnx']) {
    const file = join(directory, name);
    if (existsSync(file)) sources.push({ kind: 'onnx', files: [file] });
  }
  return sources;
}

/** Embedding-layer tables backed by a model's weight files, reading word rows on demand. */
class StoredEmbeddingTables implements EmbeddingLayerTables {
  readonly dim: number;
  readonly tokenType: Float32Array;
  readonly layerNormWeight: Float32Array;
  readonly layerNormBias: Float32Array;
  private readonly positions: Float32Array;
  private readonly positionCount: number;
  private readonly vocabulary: number;
  private readonly wordFd: number;
  private readonly wordCache = new Map<number, Float32Array>();
  /** Bounds the row cache (~25 MB at 768-d), evicting the least recently inserted rows. */
  private static readonly CACHE_ROWS = 8192;

  constructor(
    private readonly word: StoredTensor,
    position: StoredTensor,
    tokenType: StoredTensor,
    layerNormWeight: StoredTensor,
    layerNormBias: StoredTensor,
    readonly paddingIdx: number,
    readonly layerNormEps: number,
  ) {
    this.dim = word.shape[1];
    this.vocabulary = word.shape[0];
    this.positionCount = position.shape[0];
    const readWhole = (tensor: StoredTensor): Float32Array => {
      const fd = openSync(tensor.file, 'r');
      try {
        return readElements(fd, tensor, 0, tensor.shape.reduce((p, d) => p * d, 1));
      } finally {
        closeSync(fd);
      }
    };
    this.positions = readWhole(position);
    this.tokenType = readWhole(tokenType).subarray(0, this.dim);
    this.layerNormWeight = readWhole(layerNormWeight);
    this.layerNormBias = readWhole(layerNormBias);
    this.wordFd = openSync(word.file, 'r');
  }

  wordRow(id: number): Float32Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabulary) throw new RangeError(`token id ${id} outside the vocabulary of ${this.vocabulary}`);
    const cached = this.wordCache.get(id);
    if (cached) return cached;
    const row = readElements(this.wordFd, this.word, id * this.dim, this.dim);
    if (this.wordCache.size >= StoredEmbeddingTables.CACHE_ROWS) this.wordCache.delete(this.wordCache.keys().next().value as number);
    this.wordCache.set(id, row);
    return row;
  }

  positionRow(position: number): Float32Array {
    if (position < 0 || position >= this.positionCount) throw new RangeError(`position ${position} beyond the ${this.positionCount} position embeddings`);
    return this.positions.subarray(position * this.dim, (position + 1) * this.dim);
  }

  close(): void {
    closeSync(this.wordFd);
  }
}

/** Locates and opens the five embedding tensors of an XLM-R directory; InputError if impossible. */
function openEmbeddingTables(directory: string, config: Record<string, unknown>): StoredEmbeddingTables {
  const sources = weightSources(directory);
  if (sources.length === 0) {
    throw new InputError(
      'no weights found: expected model.safetensors (as in FacebookAI/xlm-roberta-base) or onnx/model.onnx (as in Xenova/xlm-roberta-base)',
      { file: directory },
    );
  }
  const problems: string[] = [];
  for (const source of sources) {
    const tensors = new Map<string, StoredTensor | { name: string; unsupported: string }>();
    try {
      for (const file of source.files) {
        for (const [name, tensor] of source.kind === 'safetensors' ? scanSafetensors(file) : scanOnnxInitializers(file)) tensors.set(name, tensor);
      }
    } catch (error) {
      // An unreadable file (say, a Git LFS pointer never pulled) should not hide a usable one.
      if (!isInputError(error)) throw error;
      problems.push(error.message);
      continue;
    }
    const found: Partial<Record<EmbeddingTensorKey, StoredTensor>> = {};
    const missing: string[] = [];
    for (const key of Object.keys(EMBEDDING_TENSOR_NAMES) as EmbeddingTensorKey[]) {
      const tensor = findTensor(tensors, key);
      if (tensor === undefined) missing.push(EMBEDDING_TENSOR_NAMES[key][0]);
      else if ('unsupported' in tensor) missing.push(`${tensor.name} (${tensor.unsupported})`);
      else found[key] = tensor;
    }
    if (missing.length > 0) {
      problems.push(`${source.files.map((f) => basename(f)).join(', ')}: missing or unreadable ${missing.join(', ')}`);
      continue;
    }
    const { word, position, tokenType, layerNormWeight, layerNormBias } = found as Record<EmbeddingTensorKey, StoredTensor>;
    const dim = word.shape[1];
    const hidden = typeof config.hidden_size === 'number' ? config.hidden_size : dim;
    const shapesOk =
      word.shape.length === 2 &&
      dim === hidden &&
      position.shape.length === 2 &&
      position.shape[1] === dim &&
      tokenType.shape.length === 2 &&
      tokenType.shape[1] === dim &&
      layerNormWeight.shape.length === 1 &&
      layerNormWeight.shape[0] === dim &&
      layerNormBias.shape.length === 1 &&
      layerNormBias.shape[0] === dim;
    if (!shapesOk) {
      problems.push(
        `${basename(source.files[0])}: unexpected shapes word [${word.shape}], position [${position.shape}], token type [${tokenType.shape}], ` +
          `LayerNorm [${layerNormWeight.shape}] / [${layerNormBias.shape}] for hidden size ${hidden}`,
      );
      continue;
    }
    const paddingIdx = typeof config.pad_token_id === 'number' ? config.pad_token_id : 1;
    const eps = typeof config.layer_norm_eps === 'number' ? config.layer_norm_eps : 1e-5;
    return new StoredEmbeddingTables(word, position, tokenType, layerNormWeight, layerNormBias, paddingIdx, eps);
  }
  throw new InputError(`cannot compute XLM-R's embedding layer: ${problems.join('; ')}`, { file: directory });
}

// ---------------------------------------------------------------------------------------------
// The embedders

export interface TransformersTextEmbedderOptions extends ModelLocationOptions {
  /** Longest token sequence, special tokens included (the reference truncates at 512). */
  maxLength?: number | undefined;
}

/**
 * XLM-RoBERTa embedding-layer embeddings (the paper's z_t, z_ŷ, z_y). `model` is a directory,
 * a name under `modelRoot` or a hub id in the local HF cache; it needs `config.json`,
 * `tokenizer.json` (+ `tokenizer_config.json`) and the weights (see the module comment).
 */
export class XlmRobertaEmbeddingLayerEmbedder implements Embedder {
  readonly id: string;
  readonly family = 'transformers';
  readonly encoder: EncoderDescription;
  readonly dimension: number;
  readonly directory: string;
  private readonly config: Record<string, unknown>;
  private readonly maxLength: number;
  private loading?: Promise<{ tokenizer: TransformersModule.PreTrainedTokenizer; tables: StoredEmbeddingTables }>;

  constructor(model: string, options: TransformersTextEmbedderOptions = {}) {
    this.directory = resolveModelDirectory(model, options);
    this.config = readJson(join(this.directory, 'config.json'));
    const hidden = this.config.hidden_size;
    if (typeof hidden !== 'number') throw new InputError('config.json has no numeric hidden_size', { file: join(this.directory, 'config.json') });
    this.dimension = hidden;
    const paddingIdx = typeof this.config.pad_token_id === 'number' ? this.config.pad_token_id : 1;
    const positions = typeof this.config.max_position_embeddings === 'number' ? this.config.max_position_embeddings : 514;
    this.maxLength = Math.min(options.maxLength ?? 512, positions - paddingIdx - 1);
    if (!(this.maxLength >= 2)) throw new InputError(`maxLength must allow at least <s> and </s>, got ${this.maxLength}`, { field: 'maxLength' });
    this.id = `transformers:xlm-roberta-embedding-layer-mean(max ${this.maxLength}):${describeModelDirectory(this.directory)}`;
    this.encoder = { model: describeModelDirectory(this.directory), pooling: PAPER_TEXT_POOLING };
  }

  /** Loads the tokenizer and indexes the weights; called by the first embedding otherwise. */
  ready(): Promise<void> {
    return this.load().then(() => undefined);
  }

  private load(): Promise<{ tokenizer: TransformersModule.PreTrainedTokenizer; tables: StoredEmbeddingTables }> {
    this.loading ??= (async () => {
      const { AutoTokenizer } = loadTransformers();
      let tokenizer: TransformersModule.PreTrainedTokenizer;
      try {
        tokenizer = await AutoTokenizer.from_pretrained(this.directory, { local_files_only: true });
      } catch (error) {
        throw new InputError(`could not load the tokenizer: ${error instanceof Error ? error.message : String(error)}`, { file: this.directory });
      }
      const tables = openEmbeddingTables(this.directory, this.config);
      return { tokenizer, tables };
    })();
    this.loading.catch(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** Token ids of each text with `<s>`/`</s>`, truncated as the reference does. */
  async tokenize(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const { tokenizer } = await this.load();
    const encoded = tokenizer([...texts], { add_special_tokens: true, padding: false, truncation: false, return_tensor: false }) as unknown as {
      input_ids: number[][];
    };
    return encoded.input_ids.map((ids) => (ids.length > this.maxLength ? [...ids.slice(0, this.maxLength - 1), ids[ids.length - 1]] : ids));
  }

  async embedTexts(texts: readonly string[]): Promise<Matrix> {
    if (texts.length === 0) return { rows: 0, cols: this.dimension, data: new Float32Array(0) };
    const { tables } = await this.load();
    const sequences = await this.tokenize(texts);
    return { rows: texts.length, cols: this.dimension, data: poolXlmRobertaEmbeddingLayer(sequences, tables) };
  }

  async dispose(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    if (loading) (await loading).tables.close();
  }
}

export interface TransformersImageEmbedderOptions extends ModelLocationOptions {
  /** Images per forward pass. Default 8. */
  batchSize?: number | undefined;
  /** ONNX weights variant (transformers.js dtype): 'fp32' (default, `onnx/vision_model.onnx`), 'fp16', 'q8', ... */
  dtype?: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'bnb4' | 'q4f16' | undefined;
  /** ONNX file base name under `onnx/`. Default 'vision_model'. */
  modelFileName?: string | undefined;
  /** ONNX Runtime intra-op threads. Default: ONNX Runtime's choice. */
  threads?: number | undefined;
}

/**
 * CLIP vision-tower embeddings (the paper's z_v): mean of the last hidden state over patch
 * tokens, CLS excluded, L2-normalised. `model` needs `config.json`, `preprocessor_config.json`
 * and `onnx/<modelFileName>.onnx` whose outputs include `last_hidden_state` (or
 * `hidden_states.<n>`, the last of which is then used).
 */
export class ClipVisionEmbedder implements Embedder {
  readonly id: string;
  readonly family = 'transformers';
  readonly encoder: EncoderDescription;
  readonly dimension: number;
  readonly directory: string;
  private readonly options: TransformersImageEmbedderOptions;
  private loading?: Promise<{ processor: TransformersModule.ImageProcessor; model: TransformersModule.PreTrainedModel }>;

  constructor(model: string, options: TransformersImageEmbedderOptions = {}) {
    this.directory = resolveModelDirectory(model, options);
    this.options = options;
    const config = readJson(join(this.directory, 'config.json'));
    const vision = (config.vision_config ?? config) as Record<string, unknown>;
    if (typeof vision.hidden_size !== 'number') {
      throw new InputError('config.json has no vision_config.hidden_size (is this a CLIP model?)', { file: join(this.directory, 'config.json') });
    }
    this.dimension = vision.hidden_size;
    const fileName = options.modelFileName ?? 'vision_model';
    const dtype = options.dtype ?? 'fp32';
    if (dtype === 'fp32' && !existsSync(join(this.directory, 'onnx', `${fileName}.onnx`))) {
      throw new InputError(
        `no onnx/${fileName}.onnx: the CLIP vision tower must be an ONNX export (e.g. Xenova/clip-vit-base-patch32)`,
        { file: this.directory },
      );
    }
    if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize >= 1)) {
      throw new InputError(`batchSize must be a positive integer, got ${options.batchSize}`, { field: 'batchSize' });
    }
    this.id = `transformers:clip-vision-patch-mean(${dtype}):${describeModelDirectory(this.directory)}`;
    this.encoder = { model: describeModelDirectory(this.directory), pooling: PAPER_IMAGE_POOLING };
  }

  ready(): Promise<void> {
    return this.load().then(() => undefined);
  }

  private load(): Promise<{ processor: TransformersModule.ImageProcessor; model: TransformersModule.PreTrainedModel }> {
    this.loading ??= (async () => {
      const { AutoImageProcessor, CLIPVisionModel, env, LogLevel } = loadTransformers();
      // transformers.js warns "Model type for 'clip' not found, assuming encoder-only" when the
      // vision tower is loaded from a full CLIP config; encoder-only is exactly right here, so
      // the warning would only alarm users. Errors still surface.
      const logLevel = env.logLevel;
      env.logLevel = Math.max(logLevel, LogLevel.ERROR);
      try {
        const processor = await AutoImageProcessor.from_pretrained(this.directory, { local_files_only: true });
        const model = await CLIPVisionModel.from_pretrained(this.directory, {
          local_files_only: true,
          device: 'cpu',
          dtype: this.options.dtype ?? 'fp32',
          model_file_name: this.options.modelFileName ?? 'vision_model',
          session_options: this.options.threads ? { intraOpNumThreads: this.options.threads, interOpNumThreads: 1 } : {},
        });
        return { processor, model };
      } catch (error) {
        throw new InputError(`could not load the CLIP vision model: ${error instanceof Error ? error.message : String(error)}`, { file: this.directory });
      } finally {
        env.logLevel = logLevel;
      }
    })();
    this.loading.catch(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  async embedTexts(): Promise<Matrix> {
    throw new InputError('the CLIP vision embedder embeds images only; use the XLM-R embedder for text');
  }

  async embedImages(images: readonly Uint8Array[]): Promise<Matrix> {
    const { processor, model } = await this.load();
    const { RawImage } = loadTransformers();
    const batchSize = this.options.batchSize ?? 8;
    const out = new Float32Array(images.length * this.dimension);
    for (let start = 0; start < images.length; start += batchSize) {
      const batch = images.slice(start, start + batchSize).map((bytes, i) => {
        const decoded = decodeImage(bytes, { where: `image ${start + i}` });
        return new RawImage(new Uint8ClampedArray(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength), decoded.width, decoded.height, 3);
      });
      const inputs = (await processor(batch)) as { pixel_values: TransformersModule.Tensor };
      const outputs = (await model({ pixel_values: inputs.pixel_values })) as Record<string, TransformersModule.Tensor>;
      const raw = lastHiddenState(outputs);
      const hidden = raw.type === 'float32' ? raw : raw.to('float32');
      const [batchCount, tokens, dim] = hidden.dims;
      if (batchCount !== batch.length || dim !== this.dimension) {
        throw new Error(`CLIP vision model returned shape [${hidden.dims}] for ${batch.length} images of dimension ${this.dimension}`);
      }
      const pooled = meanExcludingFirstToken({ data: hidden.data as Float32Array, batch: batchCount, tokens, dim });
      out.set(l2NormalizeRows(pooled, batchCount, dim), start * dim);
    }
    return { rows: images.length, cols: this.dimension, data: out };
  }

  async dispose(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    if (loading) await (await loading).model.dispose();
  }
}

/** `last_hidden_state`, or the highest-numbered `hidden_states.<n>` of a custom export. */
function lastHiddenState(outputs: Record<string, TransformersModule.Tensor>): TransformersModule.Tensor {
  if (outputs.last_hidden_state) return outputs.last_hidden_state;
  const numbered = Object.keys(outputs)
    .map((name) => /^hidden_states\.(\d+)$/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]));
  if (numbered.length > 0) return outputs[numbered[0][0]];
  throw new Error(`the vision model outputs ${Object.keys(outputs).join(', ')}, but no last_hidden_state`);
}
