/**
 * Identical inputs embedded once. A job embeds the same image or text many times: a benchmark's
 * text-shifted splits share the ID split's images, its image-shifted splits share the ID
 * questions, answers repeat, and the answering model reads the very images and questions the
 * method then embeds. `EmbeddingCache.wrap` puts a content-addressed memo in front of an
 * embedder pair: each input is keyed by a SHA-256 of its content (a text's UTF-16 code units; an
 * image's decoded RGB pixels with their shape, or its encoded bytes as given), only inputs whose
 * key the cache lacks reach the embedder (each distinct one once per call, in first-seen order),
 * and every row returned is the row the embedder gave for that content. Since an embedder's id
 * names its model and settings (the Embedder contract), a vector is a function of (id, content):
 * the cache keeps one store per embedder id, and wrapped embedders keep the id, family, encoder,
 * dimension and language of the embedder they wrap, so split manifests, spaces and results are
 * what they would be without the cache.
 *
 * On disk (`EmbeddingCache.open(directory)`), each embedder id has one append-only file,
 * `<directory>/<first 16 hex of sha256(id)>.vectors`: a header line
 * `emishift-embedding-cache 1 <JSON { embedder, dimension }>\n`, then fixed-size records
 * (32-byte content key, `dimension` float32 little-endian, and the first 8 bytes of a SHA-256
 * over the two as a check). A record cut short or failing its check ends the file (it is cut
 * there at the next append); a header naming another embedder, or another dimension than the
 * embedder declares, starts the file afresh. A disk that refuses a write costs the persistence
 * (one warning), not the run. The file is a cache: deleting it costs only the embedding time.
 * Concurrent jobs on one folder are not coordinated.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors';
import type { EncoderDescription, Matrix } from '../interface';
import { isEncodedImage, type ImageInput } from '../io/image';
import type { Embedder, EmbedderPair, ImageEmbedder } from './embedder';

const HEADER_TAG = 'emishift-embedding-cache 1 ';
const KEY_BYTES = 32;
const CHECK_BYTES = 8;

/** How many inputs of one modality reached the embedder, and how many were served by the cache. */
export interface EmbeddingCounts {
  /** Distinct inputs handed to the wrapped embedder. */
  embedded: number;
  /** Inputs answered from the cache (earlier calls, the disk, or a duplicate within the call). */
  reused: number;
}

/** The counts of a cache since it was opened, by modality. */
export interface EmbeddingCacheCounts {
  texts: EmbeddingCounts;
  images: EmbeddingCounts;
}

/**
 * The content key of a text: SHA-256 of a tag and its UTF-16 code units (UTF-8 would map every
 * lone surrogate to U+FFFD, and two texts an embedder tells apart would share a key).
 */
export function textContentKey(text: string): Buffer {
  return createHash('sha256').update('emishift-text-utf16\n').update(Buffer.from(text, 'utf16le')).digest();
}

/**
 * The content key of an image: SHA-256 of its decoded RGB pixels after a line naming their shape
 * (so two shapes of the same bytes differ), or of its encoded bytes after another tag. An image
 * given once encoded and once decoded therefore has two keys (and is embedded twice, with
 * identical vectors): decoding every encoded image only to hash it would cost more than it saves.
 */
export function imageContentKey(image: ImageInput): Buffer {
  const hash = createHash('sha256');
  if (isEncodedImage(image)) hash.update('emishift-encoded-image\n').update(image);
  else hash.update(`emishift-rgb8 ${image.width}x${image.height}\n`).update(image.data);
  return hash.digest();
}

/** The vectors one embedder id has produced, by content key, and the file they persist to. */
class VectorStore {
  private readonly vectors = new Map<string, Float32Array>();
  private dimensionKnown: number | undefined;
  /** Bytes of the file that hold a valid header and whole, checked records. */
  private validLength = 0;
  private headerWritten = false;

  /** Set when a write failed: the vectors stay in memory, the file is left as it was. */
  private persistenceFailed = false;

  constructor(
    readonly embedderId: string,
    private readonly file: string | undefined,
    /** The dimension the embedder declares (0 when it learns it at the first call). */
    private readonly declaredDimension: number,
  ) {
    if (file !== undefined && existsSync(file)) this.load(file);
  }

  get dimension(): number | undefined {
    return this.dimensionKnown;
  }

  get(key: Buffer): Float32Array | undefined {
    return this.vectors.get(key.toString('hex'));
  }

  has(key: Buffer): boolean {
    return this.vectors.has(key.toString('hex'));
  }

  private load(file: string): void {
    const bytes = readFileSync(file);
    const newline = bytes.indexOf(0x0a);
    if (newline < 0) return;
    const line = bytes.subarray(0, newline).toString('utf8');
    if (!line.startsWith(HEADER_TAG)) return;
    let header: { embedder?: unknown; dimension?: unknown };
    try {
      header = JSON.parse(line.slice(HEADER_TAG.length)) as typeof header;
    } catch {
      return;
    }
    const dimension = header.dimension;
    if (header.embedder !== this.embedderId || typeof dimension !== 'number' || !Number.isInteger(dimension) || dimension < 1) return;
    if (this.declaredDimension > 0 && dimension !== this.declaredDimension) return;
    this.dimensionKnown = dimension;
    this.headerWritten = true;
    const recordBytes = KEY_BYTES + dimension * 4 + CHECK_BYTES;
    let at = newline + 1;
    while (at + recordBytes <= bytes.length) {
      const body = bytes.subarray(at, at + KEY_BYTES + dimension * 4);
      const check = bytes.subarray(at + KEY_BYTES + dimension * 4, at + recordBytes);
      if (!recordCheck(body).equals(check)) break;
      const vector = new Float32Array(dimension);
      Buffer.from(vector.buffer).set(body.subarray(KEY_BYTES));
      this.vectors.set(body.subarray(0, KEY_BYTES).toString('hex'), vector);
      at += recordBytes;
    }
    this.validLength = at;
  }

  /** Adds vectors (rows of `matrix`, in the order of `keys`) and appends them to the file. */
  add(keys: readonly Buffer[], matrix: Matrix): void {
    const { cols, data } = matrix;
    if (this.dimensionKnown === undefined) this.dimensionKnown = cols;
    else if (cols !== this.dimensionKnown) {
      throw new Error(`embedder ${this.embedderId} returned ${cols}-dimensional rows; its cached rows are ${this.dimensionKnown}-dimensional${this.file ? ` (delete ${this.file} to start its cache afresh)` : ''}`);
    }
    const records: Buffer[] = [];
    keys.forEach((key, row) => {
      const vector = Float32Array.from(data.subarray(row * cols, (row + 1) * cols));
      this.vectors.set(key.toString('hex'), vector);
      if (this.file === undefined) return;
      const body = Buffer.concat([key, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength)]);
      records.push(body, recordCheck(body));
    });
    if (this.file === undefined || records.length === 0 || this.persistenceFailed) return;
    try {
      if (!this.headerWritten || !existsSync(this.file)) {
        mkdirSync(dirname(this.file), { recursive: true });
        const header = Buffer.from(`${HEADER_TAG}${JSON.stringify({ embedder: this.embedderId, dimension: cols })}\n`, 'utf8');
        writeFileSync(this.file, header);
        this.validLength = header.length;
        this.headerWritten = true;
      } else {
        // Drop a torn record left by an interrupted append before adding whole ones after it.
        truncateSync(this.file, this.validLength);
      }
      const appended = Buffer.concat(records);
      appendFileSync(this.file, appended);
      this.validLength += appended.length;
    } catch (error) {
      // The vectors are computed and kept in memory: a full or read-only disk costs the cache's
      // persistence, not the run. A later append would start from an unknown file state, so none follows.
      this.persistenceFailed = true;
      console.warn(`emishift: warning: cannot write the embedding cache ${this.file} (${(error as Error).message}); this run keeps its vectors in memory only`);
    }
  }
}

/** Whether an image input has what its content key reads: encoded bytes, or a shape and pixel bytes. */
function isHashableImage(image: unknown): image is ImageInput {
  if (image instanceof Uint8Array) return true;
  const candidate = image as { width?: unknown; height?: unknown; data?: unknown } | null;
  return typeof candidate === 'object' && candidate !== null && Number.isInteger(candidate.width) && Number.isInteger(candidate.height) && candidate.data instanceof Uint8Array;
}

function recordCheck(body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest().subarray(0, CHECK_BYTES);
}

/** One embedder behind the cache: the same identity, a memo in front of its calls. */
class CachedEmbedder implements ImageEmbedder {
  constructor(
    private readonly inner: Embedder,
    private readonly innerImages: ImageEmbedder | undefined,
    private readonly store: VectorStore,
    private readonly counts: EmbeddingCacheCounts,
  ) {}

  get id(): string {
    return this.inner.id;
  }

  get family(): string {
    return this.inner.family;
  }

  get encoder(): EncoderDescription {
    return this.inner.encoder;
  }

  get dimension(): number {
    return this.inner.dimension || (this.store.dimension ?? 0);
  }

  get language(): string | undefined {
    return this.inner.language;
  }

  /** Nothing: the wrapped model loads at the first input the cache lacks, so a job whose inputs are all cached never loads it. */
  async ready(): Promise<void> {}

  async embedTexts(texts: readonly string[]): Promise<Matrix> {
    // Checked here, before hashing, so bad input gets the message the embedder itself would give.
    texts.forEach((text, i) => {
      if (typeof text !== 'string') throw new InputError(`expected a string, got ${text === null ? 'null' : typeof text}`, { field: `texts[${i}]` });
    });
    return this.lookup(texts, textContentKey, (missing) => this.inner.embedTexts(missing), this.counts.texts);
  }

  async embedImages(images: readonly ImageInput[]): Promise<Matrix> {
    const images_ = this.innerImages;
    if (!images_) throw new Error(`embedder ${this.inner.id} embeds no images`);
    images.forEach((image, i) => {
      if (!isHashableImage(image)) throw new InputError('expected encoded image bytes (PNG or JPEG) or an RGB image { width, height, data }', { field: `images[${i}]` });
    });
    return this.lookup(images, imageContentKey, (missing) => images_.embedImages(missing), this.counts.images);
  }

  private async lookup<T>(inputs: readonly T[], keyOf: (input: T) => Buffer, embedMissing: (missing: T[]) => Promise<Matrix>, counts: EmbeddingCounts): Promise<Matrix> {
    const keys = inputs.map(keyOf);
    const firstOfMissing = new Map<string, number>();
    keys.forEach((key, i) => {
      if (!this.store.has(key) && !firstOfMissing.has(key.toString('hex'))) firstOfMissing.set(key.toString('hex'), i);
    });
    if (firstOfMissing.size > 0) {
      const rows = [...firstOfMissing.values()];
      const matrix = await embedMissing(rows.map((i) => inputs[i]));
      if (matrix.rows !== rows.length) throw new Error(`embedder ${this.inner.id} returned ${matrix.rows} rows for ${rows.length} inputs`);
      this.store.add(
        rows.map((i) => keys[i]),
        matrix,
      );
    }
    counts.embedded += firstOfMissing.size;
    counts.reused += inputs.length - firstOfMissing.size;
    const dimension = this.store.dimension ?? this.inner.dimension;
    const data = new Float32Array(inputs.length * dimension);
    keys.forEach((key, i) => data.set(this.store.get(key) as Float32Array, i * dimension));
    return { rows: inputs.length, cols: dimension, data };
  }
}

/**
 * A content-addressed cache of embeddings, in memory or backed by a folder (see the module
 * comment). One cache may wrap several embedder pairs; embedders with one id share one store.
 */
export class EmbeddingCache {
  private readonly stores = new Map<string, VectorStore>();
  /** What reached the embedders and what the cache answered, since the cache was created. */
  readonly counts: EmbeddingCacheCounts = { texts: { embedded: 0, reused: 0 }, images: { embedded: 0, reused: 0 } };

  private constructor(readonly directory: string | undefined) {}

  /** A cache that lives as long as the object. */
  static inMemory(): EmbeddingCache {
    return new EmbeddingCache(undefined);
  }

  /** A cache persisted in `directory` (created at the first vector written); vectors already there are used. */
  static open(directory: string): EmbeddingCache {
    return new EmbeddingCache(directory);
  }

  private store(embedder: Embedder): VectorStore {
    let store = this.stores.get(embedder.id);
    if (!store) {
      const file = this.directory === undefined ? undefined : join(this.directory, `${createHash('sha256').update(embedder.id).digest('hex').slice(0, 16)}.vectors`);
      store = new VectorStore(embedder.id, file, embedder.dimension || 0);
      this.stores.set(embedder.id, store);
    }
    return store;
  }

  /** The text embedder behind the cache. */
  wrapText(embedder: Embedder): Embedder {
    return new CachedEmbedder(embedder, undefined, this.store(embedder), this.counts);
  }

  /** The image embedder behind the cache (its text calls are cached too). */
  wrapImage(embedder: ImageEmbedder): ImageEmbedder {
    return new CachedEmbedder(embedder, embedder, this.store(embedder), this.counts);
  }

  /** Both embedders of a pair behind the cache. */
  wrap(pair: EmbedderPair): EmbedderPair {
    return { text: this.wrapText(pair.text), ...(pair.image ? { image: this.wrapImage(pair.image) } : {}) };
  }
}
