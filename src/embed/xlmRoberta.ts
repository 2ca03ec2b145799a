/**
 * XLM-RoBERTa-base's embedding layer, the paper's z_t, z_ŷ, z_y (`hidden_states[0]`), from a
 * local model folder (see modelDirectory.ts). ONNX exports of XLM-R (Optimum, Xenova) declare
 * only `last_hidden_state` as an output, ONNX Runtime cannot fetch intermediate values that are
 * not graph outputs, and transformers.js passes through only what the graph outputs, so
 * `output_hidden_states` is not available. The embedding layer, however, is only lookups, one
 * sum and a LayerNorm, with no interaction between tokens, so this module computes it exactly
 * from the model's own weights (see `pooling.ts`):
 * word_embeddings[ids] + token_type_embeddings[0] + position_embeddings[RoBERTa positions] →
 * LayerNorm(layer_norm_eps from config.json). The five tensors are read from the directory's
 * `model.safetensors` (sharded or not; the layout of `FacebookAI/xlm-roberta-base`) or, failing
 * that, from the initializers of its fp32/fp16 ONNX file (`onnx/model.onnx`, the layout of
 * `Xenova/xlm-roberta-base`), both indexed by io/ without loading them. Only the rows of tokens
 * actually seen are read from the 768 MB word table. transformers.js supplies the tokenizer
 * (`tokenizer.json`). Sequences longer than 512 tokens are cut as the reference's
 * `truncation=True, max_length=512` does: the first 511 tokens and the closing `</s>`
 * (transformers.js's own truncation would drop the `</s>`).
 */
import { closeSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type * as TransformersModule from '@huggingface/transformers';
import { InputError, isInputError } from '../errors';
import type { EncoderDescription, Matrix } from '../interface';
import { PAPER_TEXT_POOLING } from '../data/embeddingSpace';
import { scanOnnxInitializers } from '../io/onnxInitializers';
import { scanSafetensors } from '../io/safetensors';
import { openForReading, readStoredElements, readStoredTensor, type StoredTensor, type StoredTensorIndex, type UnsupportedTensor } from '../io/storedTensor';
import type { Embedder } from './embedder';
import { describeModelDirectory, loadTransformers, readModelJson, resolveModelDirectory, type ModelLocationOptions } from './modelDirectory';
import { poolXlmRobertaEmbeddingLayer, type EmbeddingLayerTables } from './pooling';

/** The XLM-R embedding tensors under their usual names (with or without a `roberta.` prefix). */
const EMBEDDING_TENSOR_NAMES = {
  word: ['embeddings.word_embeddings.weight'],
  position: ['embeddings.position_embeddings.weight'],
  tokenType: ['embeddings.token_type_embeddings.weight'],
  layerNormWeight: ['embeddings.LayerNorm.weight', 'embeddings.LayerNorm.gamma'],
  layerNormBias: ['embeddings.LayerNorm.bias', 'embeddings.LayerNorm.beta'],
} as const;

type EmbeddingTensorKey = keyof typeof EMBEDDING_TENSOR_NAMES;

function findTensor(tensors: StoredTensorIndex, key: EmbeddingTensorKey): StoredTensor | UnsupportedTensor | undefined {
  let best: StoredTensor | UnsupportedTensor | undefined;
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
    const map = (readModelJson(index).weight_map ?? {}) as Record<string, string>;
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
    this.positions = readStoredTensor(position);
    this.tokenType = readStoredTensor(tokenType).subarray(0, this.dim);
    this.layerNormWeight = readStoredTensor(layerNormWeight);
    this.layerNormBias = readStoredTensor(layerNormBias);
    this.wordFd = openForReading(word.file);
  }

  wordRow(id: number): Float32Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabulary) throw new RangeError(`token id ${id} outside the vocabulary of ${this.vocabulary}`);
    const cached = this.wordCache.get(id);
    if (cached) return cached;
    const row = readStoredElements(this.wordFd, this.word, id * this.dim, this.dim);
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
    const tensors: StoredTensorIndex = new Map();
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
    this.config = readModelJson(join(this.directory, 'config.json'));
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
