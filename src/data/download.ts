/**
 * Fetches benchmark parquet files once into the local cache (see ./cache.ts for the layout).
 *
 * Hugging Face URL convention. The Hub's dataset viewer converts every public dataset to
 * parquet and publishes the result on the `refs/convert/parquet` branch as
 * `<config>/<split>/<NNNN>.parquet`; its `/parquet` API lists URLs of the form
 *   https://huggingface.co/datasets/<dataset>/resolve/refs%2Fconvert%2Fparquet/<config>/<split>/0000.parquet
 * (Hugging Face dataset viewer docs, "List Parquet files",
 * https://huggingface.co/docs/datasets-server/parquet). That branch is the default here because
 * its file names follow from the dataset, config and split alone, whereas files pushed to `main`
 * are named by whoever uploaded them (`push_to_hub` names have varied across versions, some
 * carrying a fingerprint). A file on `main` (or any revision) is still reachable with
 * `pathInRepo`, through the Hub's `<endpoint>/datasets/<dataset>/resolve/<revision>/<path>` route.
 * Large splits are converted into several shards (`shard`), and very large datasets may only
 * be partly converted, under a `partial-<split>` folder (pass that as the split).
 *
 * The endpoint follows the `HF_ENDPOINT` convention of the Hugging Face client libraries, so a
 * mirror (or a test server) can stand in for huggingface.co.
 */
import { createHash } from 'node:crypto';
import { open, rename, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../errors';
import {
  cacheDirectory,
  cachePaths,
  ensureParentDirectory,
  fileSize,
  normalizeSha256,
  readPartialMeta,
  readSidecar,
  removeIfPresent,
  sha256OfFile,
  writePartialMeta,
  writeSidecar,
  type CachePaths,
} from './cache';
import { describeReadFailure } from '../io/inputFile';

export { cacheDirectory } from './cache';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
/** The branch the Hub's dataset viewer publishes its parquet conversion on. */
export const HF_PARQUET_REVISION = 'refs/convert/parquet';

export interface HuggingFaceFileOptions {
  /** Hub base URL; default `HF_ENDPOINT`, else https://huggingface.co. */
  endpoint?: string | undefined;
  /** Dataset configuration (subset); the converter names a dataset without one `default`. */
  config?: string | undefined;
  /** Which parquet shard of the split; 0 for all but large splits. */
  shard?: number | undefined;
  /** A file in the dataset repo instead of the converted branch; `{split}` is replaced by the split. */
  pathInRepo?: string | undefined;
  /** Revision for `pathInRepo`; default `main`. */
  revision?: string | undefined;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
const PATH_SEGMENT = /^(?!\.\.?$)[^/\\]+$/;

function hubEndpoint(endpoint: string | undefined): string {
  const raw = endpoint ?? (process.env.HF_ENDPOINT || DEFAULT_HF_ENDPOINT);
  parseHttpUrl(raw, 'endpoint');
  return raw.replace(/\/+$/, '');
}

function checkSegment(value: string, field: string): void {
  if (!PATH_SEGMENT.test(value)) throw new InputError(`not a valid name: ${JSON.stringify(value)}`, { field });
}

interface HubFile {
  dataset: string;
  revision: string;
  segments: string[];
}

function hubFile(dataset: string, split: string, options: HuggingFaceFileOptions): HubFile {
  if (!REPO_ID.test(dataset)) {
    throw new InputError(`expected a Hugging Face dataset id like "owner/name", got ${JSON.stringify(dataset)}`, { field: 'dataset' });
  }
  checkSegment(split, 'split');
  if (options.pathInRepo !== undefined) {
    const segments = options.pathInRepo.replaceAll('{split}', split).split('/');
    for (const segment of segments) checkSegment(segment, 'pathInRepo');
    return { dataset, revision: options.revision ?? 'main', segments };
  }
  const config = options.config ?? 'default';
  checkSegment(config, 'config');
  const shard = options.shard ?? 0;
  if (!Number.isInteger(shard) || shard < 0 || shard > 9999) {
    throw new InputError(`shard must be an integer from 0 to 9999, got ${shard}`, { field: 'shard' });
  }
  return { dataset, revision: HF_PARQUET_REVISION, segments: [config, split, `${String(shard).padStart(4, '0')}.parquet`] };
}

/**
 * URL of a split's parquet file on the Hub (or `endpoint`): by default shard `shard` of the
 * dataset viewer's conversion on `refs/convert/parquet`; with `pathInRepo`, that file at `revision`.
 */
export function huggingFaceParquetUrl(dataset: string, split: string, options: HuggingFaceFileOptions = {}): string {
  const endpoint = hubEndpoint(options.endpoint);
  const file = hubFile(dataset, split, options);
  const repo = file.dataset.split('/').map(encodeURIComponent).join('/');
  const path = file.segments.map(encodeURIComponent).join('/');
  // The revision is one path segment, so its slashes are escaped (refs%2Fconvert%2Fparquet), as
  // in the URLs the dataset viewer itself lists.
  return `${endpoint}/datasets/${repo}/resolve/${encodeURIComponent(file.revision)}/${path}`;
}

/**
 * Cache-relative name for a split's file. It leaves out the endpoint on purpose: a mirror serves
 * the same bytes, so switching endpoints must not download again.
 */
export function huggingFaceCacheName(dataset: string, split: string, options: HuggingFaceFileOptions = {}): string {
  const file = hubFile(dataset, split, options);
  const repo = `datasets--${file.dataset.replace('/', '--')}`;
  const revision = file.revision === HF_PARQUET_REVISION ? 'parquet' : file.revision.replaceAll('/', '--');
  return ['huggingface', repo, revision, ...file.segments].join('/');
}

function parseHttpUrl(value: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`expected an http(s) URL, got ${JSON.stringify(value)}`, { field });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`expected an http(s) URL, got ${JSON.stringify(value)}`, { field });
  }
  return url;
}

/**
 * Default cache name for a bare URL. The digest keeps two URLs ending in the same file name
 * (every converted split is `0000.parquet`) from sharing an entry; the name keeps it readable.
 */
export function urlCacheName(url: string): string {
  const parsed = parseHttpUrl(url, 'url');
  const last = decodeURIComponent(parsed.pathname.split('/').filter(Boolean).pop() ?? '');
  const readable = last.replace(/[^\w.-]/g, '_').replace(/^\.+/, '').slice(-100) || 'download';
  const tag = createHash('sha256').update(parsed.href).digest('hex').slice(0, 16);
  return `downloads/${tag}-${readable}`;
}

/** Download failed and nothing usable is cached; says where a hand-fetched copy must go. */
export class DownloadUnavailableError extends InputError {
  readonly url: string;
  readonly cachePath: string;

  constructor(url: string, cachePath: string, reason: string, partialKept: boolean) {
    const partial = partialKept ? '; the partial download is kept and the next run resumes it' : '';
    super(`not cached, and downloading ${url} failed (${reason})${partial}; to supply it by hand, save the file at exactly this path`, { file: cachePath });
    this.name = 'DownloadUnavailableError';
    this.url = url;
    this.cachePath = cachePath;
  }
}

export class ChecksumMismatchError extends InputError {
  readonly url: string;
  readonly expected: string;
  readonly actual: string;

  constructor(url: string, expected: string, actual: string, consequence: string) {
    super(`SHA-256 mismatch for ${url}: expected ${expected}, got ${actual}; ${consequence}`);
    this.name = 'ChecksumMismatchError';
    this.url = url;
    this.expected = expected;
    this.actual = actual;
  }
}

export interface DownloadProgress {
  url: string;
  /** Bytes of the file on disk so far, including any resumed prefix. */
  bytesDone: number;
  /** Full file size when the server announced it. */
  totalBytes: number | undefined;
}

/** Where `fetchToCache` keeps a download, how it checks it, and how it retries a failed transfer. */
export interface FetchToCacheOptions {
  /** Default `cacheDirectory()`. */
  cacheDir?: string | undefined;
  /** Path inside the cache folder; default derived from the URL (see `urlCacheName`). */
  fileName?: string | undefined;
  /** Expected SHA-256 (hex); a download that does not match is deleted and rejected. */
  sha256?: string | undefined;
  /** Re-hash a cached file against its sidecar before trusting it, rather than trusting the sidecar. */
  verify?: boolean | undefined;
  /** Called as bytes arrive. */
  onProgress?: ((progress: DownloadProgress) => void) | undefined;
  /** Replaces the global `fetch` (tests, proxies). */
  fetchImpl?: typeof fetch | undefined;
  /** Give up on a connection after this long without receiving a byte; default 30 s, 0 for never. */
  timeoutMs?: number | undefined;
  /** Further attempts after a connection error, a dropped transfer or a 5xx; default 3. */
  retries?: number | undefined;
  /** First backoff delay; it doubles per retry. Default 500 ms. */
  retryDelayMs?: number | undefined;
  /** Extra request headers, e.g. `authorization` for gated datasets. */
  headers?: Record<string, string> | undefined;
}

/** A failure worth retrying: the connection, a timeout, or a server-side error. */
class TransientFailure extends Error {
  constructor(readonly reason: string, readonly retryAfterMs?: number) {
    super(reason);
  }
}

/** The server answered, and asking again will not change the answer (404, 403, ...). */
class PermanentFailure extends Error {}

type TransferOutcome = { kind: 'complete'; resumed: boolean } | { kind: 'restart'; reason: string };

interface InFlight {
  promise: Promise<string>;
  listeners: Set<(progress: DownloadProgress) => void>;
}

const inFlight = new Map<string, InFlight>();
const MAX_RESTARTS = 3;
const MAX_DELAY_MS = 60_000;

/**
 * Returns the local path of `url`'s content in the cache, downloading it first when it is not
 * there. See the module comment and ./cache.ts for resume, verification and layout.
 */
export async function fetchToCache(url: string, options: FetchToCacheOptions = {}): Promise<string> {
  parseHttpUrl(url, 'url');
  const expected = options.sha256 === undefined ? undefined : normalizeSha256(options.sha256);
  const paths = cachePaths(options.cacheDir ?? cacheDirectory(), options.fileName ?? urlCacheName(url));

  // Looked up before the first await, so calls made in the same tick find each other.
  const running = inFlight.get(paths.file);
  if (running) {
    if (options.onProgress) running.listeners.add(options.onProgress);
    const digest = await running.promise;
    if (expected !== undefined && digest !== expected) {
      throw new ChecksumMismatchError(url, expected, digest, `a concurrent call cached ${paths.file} without that expectation`);
    }
    return paths.file;
  }
  const listeners = new Set<(progress: DownloadProgress) => void>();
  if (options.onProgress) listeners.add(options.onProgress);
  const promise = obtain(url, paths, expected, options, listeners).finally(() => inFlight.delete(paths.file));
  inFlight.set(paths.file, { promise, listeners });
  await promise;
  return paths.file;
}

async function obtain(
  url: string,
  paths: CachePaths,
  expected: string | undefined,
  options: FetchToCacheOptions,
  listeners: Set<(progress: DownloadProgress) => void>,
): Promise<string> {
  const cached = await cachedDigest(paths, expected, options.verify ?? false);
  if (cached !== undefined) return cached;
  return download(url, paths, expected, options, (bytesDone, totalBytes) => {
    for (const listener of listeners) listener({ url, bytesDone, totalBytes });
  });
}

/** Digest of a usable cached file, or undefined (after removing it) when there is none. */
async function cachedDigest(paths: CachePaths, expected: string | undefined, verify: boolean): Promise<string | undefined> {
  if ((await fileSize(paths.file)) === undefined) return undefined;
  const recorded = await readSidecar(paths);
  if (recorded !== undefined && !verify && (expected === undefined || recorded === expected)) return recorded;
  // No sidecar means the file was put there by hand; it is trusted once hashed.
  const actual = await sha256OfFile(paths.file);
  const wanted = expected ?? recorded;
  if (wanted === undefined || actual === wanted) {
    if (recorded !== actual) await writeSidecar(paths, actual);
    return actual;
  }
  // A different version than asked for, or bytes that rotted since the sidecar was written:
  // either way it must not be handed out, and a fresh download replaces it.
  await removeIfPresent(paths.file, paths.sidecar);
  return undefined;
}

type Emit = (bytesDone: number, totalBytes: number | undefined) => void;

async function download(url: string, paths: CachePaths, expected: string | undefined, options: FetchToCacheOptions, emit: Emit): Promise<string> {
  const retries = Math.max(0, options.retries ?? 3);
  const baseDelay = Math.max(0, options.retryDelayMs ?? 500);
  await ensureParentDirectory(paths.file);
  let failures = 0;
  let restarts = 0;
  let resumed = false;
  let redownloadedAfterMismatch = false;
  for (;;) {
    let outcome: TransferOutcome;
    try {
      outcome = await transfer(url, paths, options, emit);
    } catch (error) {
      if (error instanceof PermanentFailure) {
        throw new DownloadUnavailableError(url, paths.file, error.message, ((await fileSize(paths.part)) ?? 0) > 0);
      }
      if (!(error instanceof TransientFailure)) throw error;
      failures += 1;
      if (failures > retries) {
        const attempts = `${failures} attempt${failures === 1 ? '' : 's'}`;
        throw new DownloadUnavailableError(url, paths.file, `${error.reason}; ${attempts}`, ((await fileSize(paths.part)) ?? 0) > 0);
      }
      await sleep(backoffMs(baseDelay, failures, error.retryAfterMs));
      continue;
    }
    if (outcome.kind === 'restart') {
      restarts += 1;
      if (restarts > MAX_RESTARTS) throw new Error(`${url}: ${outcome.reason}, still after ${MAX_RESTARTS} fresh starts`);
      await removeIfPresent(paths.part, paths.partMeta);
      continue;
    }
    resumed ||= outcome.resumed;
    const actual = await sha256OfFile(paths.part);
    if (expected !== undefined && actual !== expected) {
      await removeIfPresent(paths.part, paths.partMeta);
      // A resumed prefix may come from an older version of the file; one clean download
      // tells that apart from a server that really serves other bytes.
      if (resumed && !redownloadedAfterMismatch) {
        redownloadedAfterMismatch = true;
        resumed = false;
        continue;
      }
      throw new ChecksumMismatchError(url, expected, actual, 'the downloaded bytes were deleted');
    }
    // Sidecar before rename: a crash in between leaves a sidecar without a file, which the
    // next download simply overwrites, never a final file with a wrong digest beside it.
    await writeSidecar(paths, actual);
    await rename(paths.part, paths.file);
    await removeIfPresent(paths.partMeta);
    return actual;
  }
}

function backoffMs(base: number, failures: number, retryAfterMs: number | undefined): number {
  const exponential = base * 2 ** (failures - 1);
  // Jitter spreads out clients that all failed at the same moment (a server restart).
  const jittered = exponential * (0.75 + Math.random() / 2);
  return Math.min(MAX_DELAY_MS, Math.max(jittered, retryAfterMs ?? 0));
}

function retryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

interface ContentRange {
  start?: number;
  total?: number;
}

function parseContentRange(header: string | null): ContentRange | undefined {
  const match = header === null ? null : /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(header.trim());
  if (!match) return undefined;
  return {
    start: match[1] === undefined ? undefined : Number(match[1]),
    total: match[3] === '*' ? undefined : Number(match[3]),
  };
}

function statusHint(status: number): string {
  if (status === 404 || status === 410) return ': check the dataset, config and split names, or the URL';
  if (status === 401 || status === 403) return ': the file may be private or gated; pass an authorization header';
  return '';
}

/** The cause text undici hides behind "fetch failed" / "terminated". */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof AggregateError && cause.errors.length > 0) return describeNetworkError({ cause: cause.errors[0] });
  if (cause instanceof Error && cause.message) return cause.message;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}

/** Aborts a request that has gone `ms` without a response or a body chunk. */
class IdleWatchdog {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private fired = false;

  constructor(private readonly ms: number) {
    if (ms > 0 && Number.isFinite(ms)) {
      this.timer = setTimeout(() => {
        this.fired = true;
        this.controller.abort();
      }, ms);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  poke(): void {
    this.timer?.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  describe(error: unknown): string {
    return this.fired ? `no data for ${this.ms} ms` : describeNetworkError(error);
  }
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** One HTTP request: appends to (or restarts) the `.part` file until the body ends. */
async function transfer(url: string, paths: CachePaths, options: FetchToCacheOptions, emit: Emit): Promise<TransferOutcome> {
  const offset = (await fileSize(paths.part)) ?? 0;
  const meta = offset > 0 ? await readPartialMeta(paths) : undefined;
  // identity: a transparently decompressed body would not match Content-Length or byte ranges.
  const headers: Record<string, string> = { ...options.headers, 'accept-encoding': 'identity' };
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    // If-Range makes a server whose file changed send the new one whole (200) instead of
    // a tail that would be spliced onto the old prefix. Weak validators are not allowed there.
    if (meta?.url === url && meta.etag !== undefined && !meta.etag.startsWith('W/')) headers['if-range'] = meta.etag;
  }
  const watchdog = new IdleWatchdog(options.timeoutMs ?? 30_000);
  try {
    let response: Response;
    try {
      response = await (options.fetchImpl ?? fetch)(url, { headers, signal: watchdog.signal, redirect: 'follow' });
    } catch (error) {
      throw new TransientFailure(watchdog.describe(error));
    }
    watchdog.poke();
    const status = response.status;
    const statusText = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}`;

    if (status === 416) {
      await discard(response);
      // The range starts at or past the end: either the .part is already whole (the previous
      // run died before the rename) or it is longer than the file now is.
      const total = parseContentRange(response.headers.get('content-range'))?.total;
      if (offset > 0 && total === offset) {
        emit(offset, total);
        return { kind: 'complete', resumed: true };
      }
      return { kind: 'restart', reason: 'the server refused to resume the partial download' };
    }
    if (status === 408 || status === 429 || status >= 500) {
      await discard(response);
      throw new TransientFailure(statusText, retryAfter(response.headers.get('retry-after')));
    }
    if (status !== 200 && status !== 206) {
      await discard(response);
      throw new PermanentFailure(`${statusText}${statusHint(status)}`);
    }

    let start = 0;
    let total: number | undefined;
    if (status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (range?.start !== offset) {
        await discard(response);
        return { kind: 'restart', reason: `the server answered a resume from byte ${offset} with Content-Range ${response.headers.get('content-range')}` };
      }
      if (meta?.totalBytes !== undefined && range.total !== undefined && meta.totalBytes !== range.total) {
        await discard(response);
        return { kind: 'restart', reason: 'the file on the server changed size since the partial download' };
      }
      start = offset;
      total = range.total;
    } else {
      // A 200 to a range request means the server sends the whole file: start over.
      const encoded = (response.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
      const length = response.headers.get('content-length');
      total = !encoded && length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
    }
    if (start === 0) await writePartialMeta(paths, { url, etag: response.headers.get('etag') ?? undefined, totalBytes: total });

    let done = start;
    const handle = await open(paths.part, start === 0 ? 'w' : 'a');
    try {
      emit(done, total);
      const reader = response.body?.getReader();
      while (reader) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw new TransientFailure(`connection lost after ${done}${total === undefined ? '' : ` of ${total}`} bytes: ${watchdog.describe(error)}`);
        }
        if (chunk.done) break;
        watchdog.poke();
        try {
          await handle.write(chunk.value);
          done += chunk.value.byteLength;
          emit(done, total);
        } catch (error) {
          await reader.cancel().catch(() => undefined);
          throw error;
        }
      }
    } finally {
      await handle.close();
    }
    if (total !== undefined && done < total) throw new TransientFailure(`connection closed after ${done} of ${total} bytes`);
    if (total !== undefined && done > total) return { kind: 'restart', reason: `the server sent ${done} bytes but announced ${total}` };
    return { kind: 'complete', resumed: start > 0 };
  } finally {
    watchdog.stop();
  }
}

/** Where a split's parquet comes from: a Hub dataset split, a URL, or a file already on disk. */
export type SplitFileSource = ({ dataset: string; split: string } & HuggingFaceFileOptions) | { url: string } | { file: string };

/**
 * A local path for a split's parquet file: a local file is checked and returned as given;
 * a URL or a Hub dataset split is fetched into the cache (or found there).
 */
export async function resolveSplitFile(source: SplitFileSource, options: FetchToCacheOptions = {}): Promise<string> {
  if ('file' in source) {
    let isFile: boolean;
    try {
      isFile = (await stat(source.file)).isFile();
    } catch (error) {
      throw new InputError(describeReadFailure(error), { file: source.file });
    }
    if (!isFile) throw new InputError('is not a regular file, expected a parquet file', { file: source.file });
    return source.file;
  }
  if ('url' in source) return fetchToCache(source.url, options);
  const { dataset, split, ...hub } = source;
  return fetchToCache(huggingFaceParquetUrl(dataset, split, hub), {
    ...options,
    fileName: options.fileName ?? huggingFaceCacheName(dataset, split, hub),
  });
}
