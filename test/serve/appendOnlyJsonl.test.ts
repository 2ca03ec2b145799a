import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppendOnlyJsonl, parseJsonlBytes, readJsonl } from '../../src/serve/appendOnlyJsonl';
import { mapBounded, runBounded } from '../../src/serve/concurrency';
import { InputError } from '../../src/errors';

const tempDirs: string[] = [];
const tmp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-jsonl-'));
  tempDirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function linesOf(path: string): unknown[] {
  const text = readFileSync(path, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'file ends with a complete line');
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as unknown);
}

test('creates the file and appends one line per record', () => {
  const path = join(tmp(), 'out.jsonl');
  const file = AppendOnlyJsonl.open<{ id: number; text: string }>(path);
  assert.deepEqual(file.existing, []);
  file.append({ id: 1, text: 'a' });
  file.append({ id: 2, text: 'line\nbreak and ünïcödé' });
  file.close();
  assert.deepEqual(linesOf(path), [{ id: 1, text: 'a' }, { id: 2, text: 'line\nbreak and ünïcödé' }]);
  assert.throws(() => file.append({ id: 3, text: 'x' }), /after close/);
});

test('a torn final line is ignored, cut away before appending, and never parsed', () => {
  for (const torn of ['{"id":3,"te', '{"id":3', '{', '  ', '{"id":3,"text":"caf\u00e9', '{"id":3,"text":"x"} trailing']) {
    const path = join(tmp(), 'out.jsonl');
    writeFileSync(path, `{"id":1}\n{"id":2}\n${torn}`);
    assert.deepEqual(readJsonl(path).records, [{ id: 1 }, { id: 2 }], `read-only view of ${JSON.stringify(torn)}`);
    const file = AppendOnlyJsonl.open<{ id: number }>(path);
    assert.deepEqual(file.existing, [{ id: 1 }, { id: 2 }]);
    assert.ok(file.repaired?.tornBytes !== undefined && file.repaired.tornBytes > 0);
    file.append({ id: 3 });
    file.close();
    assert.deepEqual(linesOf(path), [{ id: 1 }, { id: 2 }, { id: 3 }]);
  }
});

test('a write cut inside a multi-byte character is a torn line, not a mangled record', () => {
  const path = join(tmp(), 'out.jsonl');
  const whole = Buffer.from('{"id":1}\n{"id":2,"text":"日本"}\n', 'utf8');
  writeFileSync(path, whole.subarray(0, whole.length - 5));
  const file = AppendOnlyJsonl.open<{ id: number }>(path);
  assert.deepEqual(file.existing, [{ id: 1 }]);
  file.close();
  assert.equal(readFileSync(path, 'utf8'), '{"id":1}\n');
});

test('a complete final object lacking only its newline is kept and the newline added', () => {
  const path = join(tmp(), 'out.jsonl');
  writeFileSync(path, '{"id":1}\n{"id":2}');
  const file = AppendOnlyJsonl.open<{ id: number }>(path);
  assert.deepEqual(file.existing, [{ id: 1 }, { id: 2 }]);
  assert.equal(file.repaired?.addedNewline, true);
  file.append({ id: 3 });
  file.close();
  assert.deepEqual(linesOf(path), [{ id: 1 }, { id: 2 }, { id: 3 }]);
});

test('a damaged line before the last is an InputError naming file and line, and the file is untouched', () => {
  const path = join(tmp(), 'out.jsonl');
  const original = '{"id":1}\n\n{"id":2,"te\n{"id":3}\n';
  writeFileSync(path, original);
  assert.throws(
    () => AppendOnlyJsonl.open(path),
    (error: unknown) => error instanceof InputError && error.message.startsWith(`${path}: line 3: `) && !error.message.includes('\n'),
  );
  assert.equal(readFileSync(path, 'utf8'), original);
  writeFileSync(path, Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n{"id":2}\n')]));
  assert.throws(() => readJsonl(path), /line 1: is not valid UTF-8/);
  writeFileSync(path, '{"id":1}\n[1,2]\n');
  assert.throws(() => readJsonl(path), /line 2: is not a JSON object/);
});

test('the validator rejects a record with the line named', () => {
  const validate = (value: unknown): { id: number } => {
    if (typeof (value as { id?: unknown }).id !== 'number') throw new InputError('has no numeric id');
    return value as { id: number };
  };
  assert.throws(() => parseJsonlBytes(Buffer.from('{"id":1}\n{"id":"x"}\n{"id":3}\n'), 'f.jsonl', { validate }), /^InputError: f\.jsonl: line 2: has no numeric id$/);
  assert.equal(readJsonl(join(tmp(), 'absent.jsonl')).records.length, 0);
  assert.equal(existsSync(join(tmp(), 'absent.jsonl')), false);
});

test('every fsync policy writes the same bytes; an unknown policy is refused', () => {
  for (const fsync of ['record', 'close', 'none'] as const) {
    const path = join(tmp(), 'out.jsonl');
    const file = AppendOnlyJsonl.open(path, { fsync });
    file.append({ fsync });
    file.close();
    assert.deepEqual(linesOf(path), [{ fsync }]);
  }
  assert.throws(() => AppendOnlyJsonl.open(join(tmp(), 'x.jsonl'), { fsync: 'sometimes' as 'none' }), InputError);
});

test('runBounded never exceeds its limit, and visits every item once', async () => {
  let active = 0;
  let peak = 0;
  const seen: number[] = [];
  await runBounded(Array.from({ length: 25 }, (_, i) => i), 3, async (item) => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((resolve) => setTimeout(resolve, 1 + (item % 4)));
    seen.push(item);
    active--;
  });
  assert.equal(peak, 3);
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i));
  assert.deepEqual(await mapBounded([1, 2, 3], 2, async (x) => x * 10), [10, 20, 30]);
  await assert.rejects(runBounded([1], 0, async () => undefined), InputError);
});

test('runBounded stops starting items after an error or an abort, and waits for running ones', async () => {
  const started: number[] = [];
  let running = 0;
  await assert.rejects(
    runBounded(Array.from({ length: 20 }, (_, i) => i), 2, async (item) => {
      started.push(item);
      running++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      if (item === 3) throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(running, 0, 'no worker still running when the pool rejects');
  assert.ok(started.length <= 6, `stopped early (started ${started.length})`);

  const controller = new AbortController();
  let count = 0;
  await assert.rejects(
    runBounded(Array.from({ length: 20 }, (_, i) => i), 2, async () => {
      if (++count === 4) controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 2));
    }, { signal: controller.signal }),
    (error: unknown) => (error as Error).name === 'AbortError',
  );
  assert.ok(count <= 5);
});

test('an absent file (and its folder) is created by the first append, not by opening', () => {
  const path = join(tmp(), 'nested', 'folder', 'out.jsonl');
  const unused = AppendOnlyJsonl.open<{ id: number }>(path);
  unused.close();
  assert.equal(existsSync(join(path, '..', '..')), false, 'opening and closing leaves nothing behind');
  const file = AppendOnlyJsonl.open<{ id: number }>(path);
  file.append({ id: 1 });
  file.close();
  assert.deepEqual(linesOf(path), [{ id: 1 }]);
  // A folder where the file should be is a one-line InputError naming it.
  assert.throws(() => AppendOnlyJsonl.open(join(path, '..')), (error: unknown) => error instanceof InputError && /folder: is a directory, expected a file$/.test(error.message));
});
