import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeClubFile, loadClub, saveClub } from '../../../src/estimators/club/clubFile';
import { initClubParameters } from '../../../src/estimators/club/clubModel';
import { CLUB_TENSORS, type ClubParameters } from '../../../src/estimators/club/clubParameters';
import { InputError } from '../../../src/errors';
import { fixturePath } from '../../support/fixtures';
import { float32Bytes, writeCheckpoint, writeStateDictPickle, type TensorSpec } from '../../io/torchFixtureWriter';

const dir = mkdtempSync(join(tmpdir(), 'emishift-club-'));

/** A torch.save archive of `params`, optionally with one key renamed or one tensor reshaped. */
function torchArchive(params: ClubParameters, mutate: { rename?: [string, string]; shape?: [string, number[]] } = {}): Uint8Array {
  const specs: TensorSpec[] = [];
  const storages = CLUB_TENSORS.map((tensor, index) => {
    const shape = mutate.shape?.[0] === tensor.key ? mutate.shape[1] : tensor.shape(params);
    const stride = shape.length === 2 ? [shape[1], 1] : [1];
    const name = mutate.rename?.[0] === tensor.key ? mutate.rename[1] : tensor.key;
    const values = Array.from(params[tensor.field]);
    specs.push({ name, storageKey: String(index), storageClass: 'FloatStorage', storageNumel: values.length, offset: 0, shape, stride });
    return { key: String(index), bytes: float32Bytes(values) };
  });
  return writeCheckpoint(writeStateDictPickle(specs), storages);
}

test('safetensors save/load round-trips every weight bit for bit and leaves no temporary file', () => {
  const params = initClubParameters({ xDim: 6, yDim: 5, hiddenDim: 4 }, 11);
  const file = join(dir, 'club.safetensors');
  saveClub(file, params, { note: 'test' });
  const loaded = loadClub(file);
  assert.deepEqual([loaded.xDim, loaded.yDim, loaded.hiddenDim], [6, 5, 4]);
  for (const tensor of CLUB_TENSORS) assert.deepEqual(loaded[tensor.field], params[tensor.field]);
  assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
  // The header is plain JSON after an 8-byte length, readable by any safetensors reader.
  const bytes = encodeClubFile(params);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString());
  assert.deepEqual(header['p_mu.0.weight'], { dtype: 'F32', shape: [4, 6], data_offsets: [0, 96] });
  assert.equal((8 + headerLength) % 8, 0);
});

test('a torch.save archive loads key for key', () => {
  const params = initClubParameters({ xDim: 3, yDim: 2, hiddenDim: 4 }, 2);
  const file = join(dir, 'small.pt');
  writeFileSync(file, torchArchive(params));
  const loaded = loadClub(file);
  for (const tensor of CLUB_TENSORS) assert.deepEqual(loaded[tensor.field], params[tensor.field]);
});

test('checkpoints whose keys or shapes do not fit are refused, naming them', () => {
  const params = initClubParameters({ xDim: 3, yDim: 2, hiddenDim: 4 }, 2);
  const renamed = join(dir, 'renamed.pt');
  writeFileSync(renamed, torchArchive(params, { rename: ['p_logvar.2.bias', 'p_logvar.3.bias'] }));
  assert.throws(() => loadClub(renamed), (e: unknown) => e instanceof InputError && /missing p_logvar\.2\.bias; unexpected p_logvar\.3\.bias/.test(e.message));
  const reshaped = join(dir, 'reshaped.pt');
  writeFileSync(reshaped, torchArchive(params, { shape: ['p_logvar.0.weight', [3, 4]] }));
  assert.throws(() => loadClub(reshaped), /p_logvar\.0\.weight is \[3, 4\], expected \[4, 3\]/);
});

test('truncated and foreign files are refused with the file named', () => {
  const params = initClubParameters({ xDim: 3, yDim: 2, hiddenDim: 4 }, 2);
  const good = torchArchive(params);
  const truncated = join(dir, 'truncated.pt');
  writeFileSync(truncated, good.subarray(0, good.length - 40));
  assert.throws(() => loadClub(truncated), (e: unknown) => e instanceof InputError && e.message.startsWith(truncated));
  const foreign = join(dir, 'foreign.bin');
  writeFileSync(foreign, 'this is not a checkpoint at all');
  assert.throws(() => loadClub(foreign), /foreign\.bin: not a CLUB file/);
  const cut = join(dir, 'cut.safetensors');
  writeFileSync(cut, encodeClubFile(params).subarray(0, 200));
  assert.throws(() => loadClub(cut), /cut\.safetensors: .*truncated/);
  assert.throws(() => loadClub(join(dir, 'absent.pt')), /absent\.pt: file not found/);
});

test("the authors' CLUB_global.pt loads as a 768 → 250 → 768 network", (t) => {
  const { path, skipReason } = fixturePath('official', 'CLUB_global.pt');
  if (!path) return t.skip(skipReason);
  const params = loadClub(path);
  assert.deepEqual([params.xDim, params.hiddenDim, params.yDim], [768, 250, 768]);
  assert.equal(params.muW1.length, 250 * 768);
});
