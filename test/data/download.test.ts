import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  ChecksumMismatchError,
  DownloadUnavailableError,
  cacheDirectory,
  fetchToCache,
  huggingFaceParquetUrl,
  resolveSplitFile,
  urlCacheName,
  type DownloadProgress,
} from '../../src/data/download';
import { InputError } from '../../src/errors';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** ~1 MB of deterministic pseudo-random bytes, with an odd tail so sizes are not round. */
function makePayload(length = 1_048_576 + 4_321): Buffer {
  const bytes = Buffer.alloc(length);
  let state = 0x2545f491;
  for (let i = 0; i < length; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

const PAYLOAD = makePayload();
const PAYLOAD_SHA = sha256(PAYLOAD);
const CORRUPTED = Buffer.from(PAYLOAD);
CORRUPTED[CORRUPTED.length >> 1] ^= 0xff;
const ETAG = `"${PAYLOAD_SHA}"`;

interface SeenRequest {
  method: string;
  path: string;
  range?: string;
  ifRange?: string;
}

/** A local file server whose misbehaviour each test switches on. */
interface TestServer {
  base: string;
  requests: SeenRequest[];
  /** Drop the connection after this many body bytes, on the next response only. */
  cutAfter?: number;
  /** Answer this many requests with 500 first. */
  failures: number;
  ignoreRange: boolean;
  corrupt: boolean;
  /** Send headers, then nothing. */
  stall: boolean;
  close(): Promise<void>;
}

async function startServer(): Promise<TestServer> {
  const state: Omit<TestServer, 'base' | 'close'> = { requests: [], failures: 0, ignoreRange: false, corrupt: false, stall: false };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
    });
    if (state.failures > 0) {
      state.failures -= 1;
      res.writeHead(500).end('try later');
      return;
    }
    if ((req.url ?? '').startsWith('/missing')) {
      res.writeHead(404).end('no such file');
      return;
    }
    const body = state.corrupt ? CORRUPTED : PAYLOAD;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !state.ignoreRange) {
      start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
    }
    const slice = body.subarray(start);
    const headers: Record<string, string | number> = { 'content-length': slice.length, etag: ETAG, 'accept-ranges': 'bytes' };
    if (start > 0) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(start > 0 ? 206 : 200, headers);
    if (state.stall) {
      res.flushHeaders();
      return;
    }
    if (state.cutAfter !== undefined) {
      const cut = state.cutAfter;
      state.cutAfter = undefined;
      res.write(slice.subarray(0, cut), () => res.destroy());
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

async function withServer(run: (server: TestServer, cacheDir: string) => Promise<void>): Promise<void> {
  const server = await startServer();
  const cacheDir = mkdtempSync(join(tmpdir(), 'emishift-cache-'));
  try {
    await run(server, cacheDir);
  } finally {
    await server.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

const FAST = { retryDelayMs: 5, timeoutMs: 5_000 };

test('a fresh download is byte-identical, records its digest, and is served from cache afterwards', async () => {
  await withServer(async (server, cacheDir) => {
    const url = `${server.base}/files/llava_bench_coco_frost_5.parquet`;
    const events: DownloadProgress[] = [];
    const path = await fetchToCache(url, { ...FAST, cacheDir, onProgress: (event) => events.push(event) });
    assert.equal(path, join(cacheDir, urlCacheName(url)));
    assert.ok(readFileSync(path).equals(PAYLOAD));
    assert.equal(readFileSync(`${path}.sha256`, 'utf8'), `${PAYLOAD_SHA}  ${path.split('/').pop()}\n`);
    assert.equal(existsSync(`${path}.part`), false);
    assert.equal(existsSync(`${path}.part.json`), false);
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.range, undefined);

    const last = events.at(-1);
    assert.deepEqual(last, { url, bytesDone: PAYLOAD.length, totalBytes: PAYLOAD.length });
    for (let i = 1; i < events.length; i += 1) assert.ok((events[i]?.bytesDone ?? 0) >= (events[i - 1]?.bytesDone ?? 0));

    assert.equal(await fetchToCache(url, { ...FAST, cacheDir }), path);
    assert.equal(await fetchToCache(url, { ...FAST, cacheDir, sha256: PAYLOAD_SHA.toUpperCase() }), path);
    assert.equal(await fetchToCache(url, { ...FAST, cacheDir, verify: true }), path);
    assert.equal(server.requests.length, 1, 'cached reads make no requests');
  });
});

test('a cached file that no longer matches its sidecar is re-downloaded when verified', async () => {
  await withServer(async (server, cacheDir) => {
    const url = `${server.base}/files/a.parquet`;
    const path = await fetchToCache(url, { ...FAST, cacheDir });
    writeFileSync(path, CORRUPTED);
    assert.equal(await fetchToCache(url, { ...FAST, cacheDir }), path, 'without verify the sidecar is trusted');
    assert.equal(server.requests.length, 1);
    await fetchToCache(url, { ...FAST, cacheDir, verify: true });
    assert.equal(server.requests.length, 2);
    assert.ok(readFileSync(path).equals(PAYLOAD));
  });
});

test('an interrupted transfer keeps .part and the next call resumes it with a Range request', async () => {
  await withServer(async (server, cacheDir) => {
    const url = `${server.base}/files/b.parquet`;
    const path = join(cacheDir, urlCacheName(url));
    server.cutAfter = 300_000;
    await assert.rejects(fetchToCache(url, { ...FAST, cacheDir, retries: 0 }), (error: unknown) => {
      assert.ok(error instanceof DownloadUnavailableError);
      assert.match(error.message, /connection lost after \d+ of \d+ bytes/);
      assert.match(error.message, /partial download is kept/);
      return true;
    });
    assert.equal(existsSync(path), false);
    const partSize = statSync(`${path}.part`).size;
    assert.ok(partSize > 0 && partSize < PAYLOAD.length, `partial size ${partSize}`);

    const events: DownloadProgress[] = [];
    await fetchToCache(url, { ...FAST, cacheDir, retries: 0, onProgress: (event) => events.push(event) });
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[1]?.range, `bytes=${partSize}-`);
    assert.equal(server.requests[1]?.ifRange, ETAG);
    assert.equal(events[0]?.bytesDone, partSize, 'progress counts the resumed prefix');
    assert.ok(readFileSync(path).equals(PAYLOAD));
    assert.equal(existsSync(`${path}.part`), false);
    assert.equal(readFileSync(`${path}.sha256`, 'utf8').split(' ')[0], PAYLOAD_SHA);
  });
});

test('a transfer dropped mid-body is resumed within the same call when retries allow', async () => {
  await withServer(async (server, cacheDir) => {
    const url = `${server.base}/files/c.parquet`;
    server.cutAfter = 100_000;
    const path = await fetchToCache(url, { ...FAST, cacheDir, retries: 2, sha256: PAYLOAD_SHA });
    assert.equal(server.requests.length, 2);
    assert.match(server.requests[1]?.range ?? '', /^bytes=\d+-$/);
    assert.ok(readFileSync(path).equals(PAYLOAD));
  });
});

test('a server that ignores Range and answers 200 makes the download start over', async () => {
  await withServer(async (server, cacheDir) => {
    const url = `${server.base}/files/d.parquet`;
    const path = join(cacheDir, urlCacheName(url));
    mkdirSync(dirname(path), { recursive: true });
    // Wrong bytes on purpose: appending the full body after them would be caught below.
    writeFileSync(`${path}.part`, Buffer.alloc(5_000, 0xee));
    server.ignoreRange = true;
    await fetchToCache(url, { ...FAST, cacheDir, sha256: PAYLOAD_SHA });
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.range, 'bytes=5000-');
    assert.ok(readFileSync(path).equals(PAYLOAD));
  });
});

test('a resumed download that fails its checksum is fetched once more from scratch', async () => {
  await withServer(async (server, cacheDir) => {
    const url = `${server.base}/files/stale.parquet`;
    const path = join(cacheDir, urlCacheName(url));
    mkdirSync(dirname(path), { recursive: true });
    // A prefix from some other version of the file: resuming onto it gives wrong bytes.
    writeFileSync(`${path}.part`, Buffer.alloc(5_000, 0xee));
    await fetchToCache(url, { ...FAST, cacheDir, sha256: PAYLOAD_SHA });
    assert.deepEqual(
      server.requests.map((request) => request.range),
      ['bytes=5000-', undefined],
    );
    assert.ok(readFileSync(path).equals(PAYLOAD));
  });
});

test('a .part that is already whole is finished off when the server answers 416', async () => {
  await withServer(async (server, cacheDir) => {
    const url = `${server.base}/files/e.parquet`;
    const path = join(cacheDir, urlCacheName(url));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.part`, PAYLOAD);
    await fetchToCache(url, { ...FAST, cacheDir, sha256: PAYLOAD_SHA });
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.range, `bytes=${PAYLOAD.length}-`);
    assert.ok(readFileSync(path).equals(PAYLOAD));
  });
});

test('a checksum mismatch names URL, expected and actual digests, and leaves nothing behind', async () => {
  await withServer(async (server, cacheDir) => {
    const url = `${server.base}/files/f.parquet`;
    const path = join(cacheDir, urlCacheName(url));
    server.corrupt = true;
    await assert.rejects(fetchToCache(url, { ...FAST, cacheDir, sha256: PAYLOAD_SHA }), (error: unknown) => {
      assert.ok(error instanceof ChecksumMismatchError);
      assert.ok(error instanceof InputError);
      assert.ok(error.message.includes(url));
      assert.ok(error.message.includes(`expected ${PAYLOAD_SHA}`));
      assert.ok(error.message.includes(`got ${sha256(CORRUPTED)}`));
      assert.equal(error.actual, sha256(CORRUPTED));
      return true;
    });
    assert.equal(existsSync(path), false);
    assert.equal(existsSync(`${path}.part`), false);
    assert.equal(existsSync(`${path}.sha256`), false);
    assert.equal(server.requests.length, 1, 'a fresh (not resumed) download is not retried on mismatch');
  });
});

test('a 500 is retried with backoff; persistent 500s and 404s give up with the cache path', async () => {
  await withServer(async (server, cacheDir) => {
    server.failures = 1;
    const path = await fetchToCache(`${server.base}/files/g.parquet`, { ...FAST, cacheDir });
    assert.equal(server.requests.length, 2);
    assert.ok(readFileSync(path).equals(PAYLOAD));

    server.failures = 10;
    const busy = `${server.base}/files/h.parquet`;
    await assert.rejects(fetchToCache(busy, { ...FAST, cacheDir, retries: 2 }), /HTTP 500.*3 attempts/);
    assert.equal(server.requests.length, 5);

    server.failures = 0;
    const missing = `${server.base}/missing/i.parquet`;
    await assert.rejects(fetchToCache(missing, { ...FAST, cacheDir }), (error: unknown) => {
      assert.ok(error instanceof DownloadUnavailableError);
      assert.match(error.message, /HTTP 404/);
      assert.equal(error.cachePath, join(cacheDir, urlCacheName(missing)));
      return true;
    });
    assert.equal(server.requests.length, 6, '404 is not retried');
  });
});

test('a stalled response times out and reports it', async () => {
  await withServer(async (server, cacheDir) => {
    server.stall = true;
    await assert.rejects(fetchToCache(`${server.base}/files/j.parquet`, { cacheDir, retries: 0, timeoutMs: 150 }), /no data for 150 ms/);
    assert.equal(server.requests.length, 1);
  });
});

test('no server and no cache: an InputError says which file, from where, and where to put it', async () => {
  const probe = await startServer();
  const url = `${probe.base}/files/llava_bench_coco_frost_5.parquet`;
  await probe.close(); // the port is now closed
  const cacheDir = mkdtempSync(join(tmpdir(), 'emishift-cache-'));
  try {
    const expectedPath = join(cacheDir, urlCacheName(url));
    let cachePath = '';
    await assert.rejects(fetchToCache(url, { cacheDir, retries: 1, retryDelayMs: 5 }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.ok(error instanceof DownloadUnavailableError);
      assert.ok(error.message.startsWith(`${expectedPath}: `), error.message);
      assert.ok(error.message.includes(url));
      assert.match(error.message, /ECONNREFUSED/);
      assert.match(error.message, /save the file at exactly this path/);
      assert.equal(error.message.includes('\n'), false);
      cachePath = error.cachePath;
      return true;
    });
    // Following the message's advice works offline.
    writeFileSync(cachePath, PAYLOAD);
    assert.equal(await fetchToCache(url, { cacheDir, sha256: PAYLOAD_SHA }), expectedPath);
    assert.equal(readFileSync(`${expectedPath}.sha256`, 'utf8').split(' ')[0], PAYLOAD_SHA);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('concurrent calls for one file share a single download', async () => {
  await withServer(async (server, cacheDir) => {
    const url = `${server.base}/files/k.parquet`;
    const seen = [0, 0];
    const paths = await Promise.all([
      fetchToCache(url, { ...FAST, cacheDir, onProgress: (event) => (seen[0] = event.bytesDone) }),
      fetchToCache(url, { ...FAST, cacheDir, onProgress: (event) => (seen[1] = event.bytesDone) }),
      fetchToCache(url, { ...FAST, cacheDir, sha256: PAYLOAD_SHA }),
    ]);
    assert.equal(new Set(paths).size, 1);
    assert.equal(server.requests.filter((request) => request.method === 'GET').length, 1);
    assert.deepEqual(seen, [PAYLOAD.length, PAYLOAD.length]);
    assert.ok(readFileSync(paths[0] as string).equals(PAYLOAD));
  });
});

test('huggingFaceParquetUrl points at the converted parquet branch, with endpoint overrides', () => {
  const saved = process.env.HF_ENDPOINT;
  try {
    delete process.env.HF_ENDPOINT;
    const dataset = 'changdae/llavabench-shift-synthetic-v1';
    const split = 'llava_bench_coco_frost_5';
    assert.equal(
      huggingFaceParquetUrl(dataset, split),
      'https://huggingface.co/datasets/changdae/llavabench-shift-synthetic-v1/resolve/refs%2Fconvert%2Fparquet/default/llava_bench_coco_frost_5/0000.parquet',
    );
    assert.equal(
      huggingFaceParquetUrl(dataset, split, { endpoint: 'http://127.0.0.1:8080/mirror/', config: 'cfg', shard: 12 }),
      'http://127.0.0.1:8080/mirror/datasets/changdae/llavabench-shift-synthetic-v1/resolve/refs%2Fconvert%2Fparquet/cfg/llava_bench_coco_frost_5/0012.parquet',
    );
    process.env.HF_ENDPOINT = 'https://hf-mirror.example';
    assert.equal(
      huggingFaceParquetUrl(dataset, split, { pathInRepo: 'data/{split}-00000-of-00001.parquet' }),
      'https://hf-mirror.example/datasets/changdae/llavabench-shift-synthetic-v1/resolve/main/data/llava_bench_coco_frost_5-00000-of-00001.parquet',
    );
    assert.throws(() => huggingFaceParquetUrl('not a dataset', split), InputError);
    assert.throws(() => huggingFaceParquetUrl(dataset, '../etc'), InputError);
    assert.throws(() => huggingFaceParquetUrl(dataset, split, { endpoint: 'ftp://x' }), InputError);
  } finally {
    if (saved === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = saved;
  }
});

test('resolveSplitFile fetches a Hub split through the endpoint, and checks local files', async () => {
  await withServer(async (server, cacheDir) => {
    const source = { dataset: 'changdae/llavabench-shift-synthetic-v1', split: 'llava_bench_coco_frost_5', endpoint: server.base };
    const path = await resolveSplitFile(source, { ...FAST, cacheDir });
    assert.equal(server.requests[0]?.path, '/datasets/changdae/llavabench-shift-synthetic-v1/resolve/refs%2Fconvert%2Fparquet/default/llava_bench_coco_frost_5/0000.parquet');
    assert.equal(path, join(cacheDir, 'huggingface/datasets--changdae--llavabench-shift-synthetic-v1/parquet/default/llava_bench_coco_frost_5/0000.parquet'));
    assert.ok(readFileSync(path).equals(PAYLOAD));
    // Another endpoint serving the same split reuses the cached copy.
    assert.equal(await resolveSplitFile({ ...source, endpoint: 'http://127.0.0.1:9' }, { ...FAST, cacheDir }), path);
    assert.equal(server.requests.length, 1);

    const viaUrl = await resolveSplitFile({ url: `${server.base}/files/l.parquet` }, { ...FAST, cacheDir });
    assert.ok(readFileSync(viaUrl).equals(PAYLOAD));

    assert.equal(await resolveSplitFile({ file: path }), path);
    const missing = join(cacheDir, 'nope.parquet');
    await assert.rejects(resolveSplitFile({ file: missing }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.file, missing);
      assert.match(error.message, /file not found/);
      return true;
    });
    await assert.rejects(resolveSplitFile({ file: cacheDir }), InputError);
  });
});

test('cacheDirectory: EMISHIFT_CACHE, then an absolute XDG_CACHE_HOME, then ~/.cache', () => {
  assert.equal(cacheDirectory({ EMISHIFT_CACHE: '/data/cache', XDG_CACHE_HOME: '/xdg' }), '/data/cache');
  assert.equal(cacheDirectory({ XDG_CACHE_HOME: '/xdg' }), join('/xdg', 'emishift'));
  assert.ok(cacheDirectory({ XDG_CACHE_HOME: 'relative' }).endsWith(join('.cache', 'emishift')));
  assert.ok(cacheDirectory({ EMISHIFT_CACHE: '' }).endsWith(join('.cache', 'emishift')));
});

test('file names that would escape the cache folder are refused', async () => {
  await assert.rejects(fetchToCache('http://127.0.0.1:9/x', { cacheDir: tmpdir(), fileName: '../outside' }), InputError);
  await assert.rejects(fetchToCache('file:///etc/passwd', { cacheDir: tmpdir() }), InputError);
});
