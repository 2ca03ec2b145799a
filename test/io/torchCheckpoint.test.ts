import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors';
import { decodeTorchStateDict, TorchTensor } from '../../src/io/torch/stateDict';
import {
  CheckpointOptions,
  float32Bytes,
  float64Bytes,
  int64Bytes,
  PickleWriter,
  TensorSpec,
  uint16Bytes,
  writeCheckpoint,
  writeStateDictPickle,
  writeZip,
} from './torchFixtureWriter';

const FILE = 'synthetic.pt';

// Storage '0': 12 float32 values, exactly representable, all distinct.
const A = Array.from({ length: 12 }, (_, i) => i * 0.5 - 2.75);
// Storage '1': float64 values that float32 could not hold exactly.
const B = [1 / 3, -2 / 7, Math.PI, 1e-300, -0.0000001, 12345.678901234567];
const BATCHES = 12345678901234n;

const TENSORS: TensorSpec[] = [
  { name: 'layer.weight', storageKey: '0', storageClass: 'FloatStorage', storageNumel: 12, offset: 0, shape: [3, 4], stride: [4, 1] },
  // Transposed view of the same storage: non-contiguous, and shares bytes with layer.weight.
  { name: 'layer.weight_t', storageKey: '0', storageClass: 'FloatStorage', storageNumel: 12, offset: 0, shape: [4, 3], stride: [1, 4] },
  { name: 'layer.tail', storageKey: '0', storageClass: 'FloatStorage', storageNumel: 12, offset: 7, shape: [5], stride: [1] },
  { name: 'head.weight', storageKey: '1', storageClass: 'DoubleStorage', storageNumel: 6, offset: 0, shape: [2, 3], stride: [3, 1] },
  // Column 1 of head.weight: offset and a stride that skips elements.
  { name: 'head.column', storageKey: '1', storageClass: 'DoubleStorage', storageNumel: 6, offset: 1, shape: [2], stride: [3] },
  { name: 'bn.num_batches_tracked', storageKey: '2', storageClass: 'LongStorage', storageNumel: 1, offset: 0, shape: [], stride: [] },
];

function syntheticCheckpoint(options: CheckpointOptions & { protocol?: 2 | 4; tensors?: TensorSpec[] } = {}): Uint8Array {
  const littleEndian = options.byteorder !== 'big';
  const pickle = writeStateDictPickle(options.tensors ?? TENSORS, options.protocol ?? 2);
  return writeCheckpoint(
    pickle,
    [
      { key: '0', bytes: float32Bytes(A, littleEndian) },
      { key: '1', bytes: float64Bytes(B, littleEndian) },
      { key: '2', bytes: littleEndian ? int64Bytes([BATCHES]) : Uint8Array.from(int64Bytes([BATCHES])).reverse() },
    ],
    options,
  );
}

function tensor(dict: Map<string, TorchTensor>, key: string): TorchTensor {
  const found = dict.get(key);
  assert.ok(found, `missing key ${key}`);
  return found;
}

function checkSyntheticValues(dict: Map<string, TorchTensor>): void {
  assert.deepEqual([...dict.keys()], TENSORS.map((t) => t.name));

  const weight = tensor(dict, 'layer.weight');
  assert.deepEqual(weight.shape, [3, 4]);
  assert.equal(weight.dtype, 'float32');
  assert.ok(weight.data instanceof Float32Array);
  assert.deepEqual([...weight.data], A);

  const transposed = tensor(dict, 'layer.weight_t');
  assert.deepEqual(transposed.shape, [4, 3]);
  assert.equal(transposed.dtype, 'float32');
  // Row i of the transpose is column i of the 3 × 4 matrix.
  assert.deepEqual(
    [...transposed.data],
    [A[0], A[4], A[8], A[1], A[5], A[9], A[2], A[6], A[10], A[3], A[7], A[11]],
  );

  const tail = tensor(dict, 'layer.tail');
  assert.deepEqual(tail.shape, [5]);
  assert.deepEqual([...tail.data], [A[7], A[8], A[9], A[10], A[11]]);

  const head = tensor(dict, 'head.weight');
  assert.deepEqual(head.shape, [2, 3]);
  assert.equal(head.dtype, 'float64');
  assert.ok(head.data instanceof Float64Array);
  assert.deepEqual([...head.data], B);

  const column = tensor(dict, 'head.column');
  assert.deepEqual(column.shape, [2]);
  assert.deepEqual([...column.data], [B[1], B[4]]);

  const batches = tensor(dict, 'bn.num_batches_tracked');
  assert.deepEqual(batches.shape, []);
  assert.equal(batches.dtype, 'int64');
  assert.ok(batches.data instanceof BigInt64Array);
  assert.deepEqual([...batches.data], [BATCHES]);

  // Shared storage must not leak: each tensor owns its copy.
  weight.data[0] = 99;
  assert.equal(transposed.data[0], A[0]);
}

function expectInputError(run: () => unknown, pattern: RegExp, fileName = FILE): InputError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof InputError, `expected an InputError, got ${String(caught)}`);
  assert.ok(caught.message.startsWith(`${fileName}: `), `message should name the file: ${caught.message}`);
  assert.match(caught.message, pattern);
  assert.ok(!caught.message.includes('\n'), 'message should be one line');
  return caught;
}

test('reads float32/float64/int64 tensors with offsets, transposed strides and shared storage', () => {
  checkSyntheticValues(decodeTorchStateDict(syntheticCheckpoint(), FILE));
});

test('reads DEFLATE entries and ZIP64 records', () => {
  const bytes = syntheticCheckpoint({ method: 8, zip64: true });
  checkSyntheticValues(decodeTorchStateDict(bytes, FILE));
});

test('reads protocol-4 pickles (FRAME, STACK_GLOBAL, MEMOIZE, SHORT_BINUNICODE) and _rebuild_parameter', () => {
  const tensors = TENSORS.map((t) => ({ ...t, parameter: t.name.endsWith('weight') }));
  checkSyntheticValues(decodeTorchStateDict(syntheticCheckpoint({ protocol: 4, tensors }), FILE));
});

test('byte-swaps big-endian archives and assumes little-endian without a byteorder record', () => {
  checkSyntheticValues(decodeTorchStateDict(syntheticCheckpoint({ byteorder: 'big' }), FILE));
  checkSyntheticValues(decodeTorchStateDict(syntheticCheckpoint({ byteorder: null }), FILE));
  expectInputError(() => decodeTorchStateDict(syntheticCheckpoint({ byteorder: 'middle' }), FILE), /byteorder record is 'middle'/);
});

test('widens float16 and bfloat16 storages to float32', () => {
  const pickle = writeStateDictPickle([
    { name: 'half', storageKey: 'h', storageClass: 'HalfStorage', storageNumel: 7, offset: 0, shape: [7], stride: [1] },
    { name: 'brain', storageKey: 'b', storageClass: 'BFloat16Storage', storageNumel: 2, offset: 0, shape: [2], stride: [1] },
  ]);
  const bytes = writeCheckpoint(pickle, [
    // 1, -2, 0.5, 65504 (max half), 2^-24 (smallest subnormal), +inf, 0x7e00 (NaN)
    { key: 'h', bytes: uint16Bytes([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00, 0x7e00]) },
    // 1.5 and -3.25: the upper halves of their float32 bit patterns
    { key: 'b', bytes: uint16Bytes([0x3fc0, 0xc050]) },
  ]);
  const dict = decodeTorchStateDict(bytes, FILE);
  const half = tensor(dict, 'half');
  assert.equal(half.dtype, 'float16');
  assert.ok(half.data instanceof Float32Array);
  const values = [...half.data];
  assert.deepEqual(values.slice(0, 6), [1, -2, 0.5, 65504, 2 ** -24, Infinity]);
  assert.ok(Number.isNaN(values[6]));
  assert.deepEqual([...tensor(dict, 'brain').data], [1.5, -3.25]);
});

test('refuses bytes that are not a ZIP archive', () => {
  let seed = 12345;
  const random = Uint8Array.from({ length: 4096 }, () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 24;
  });
  const error = expectInputError(() => decodeTorchStateDict(random, FILE), /no ZIP end-of-central-directory record/);
  assert.equal(error.message, `${FILE}: not a PyTorch checkpoint (no ZIP end-of-central-directory record)`);
  expectInputError(() => decodeTorchStateDict(new Uint8Array(0), FILE), /not a PyTorch checkpoint/);
  // A pre-1.6 torch.save file starts with PROTO 2 and torch's LONG1 magic number.
  const legacy = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
  expectInputError(() => decodeTorchStateDict(legacy, FILE), /legacy \(pre-1\.6, non-ZIP\) torch\.save format/);
});

test('refuses truncated archives', () => {
  const bytes = syntheticCheckpoint();
  expectInputError(() => decodeTorchStateDict(bytes.subarray(0, bytes.length >> 1), FILE), /truncated ZIP archive/);
  expectInputError(() => decodeTorchStateDict(bytes.subarray(0, bytes.length - 5), FILE), /truncated ZIP archive/);
  // Drop bytes just before the central directory but keep it and the end record: the directory
  // offset recorded in the end record now points past the end of the file.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cdOffset = view.getUint32(bytes.length - 22 + 16, true);
  const cut = Buffer.concat([bytes.subarray(0, cdOffset - 100), bytes.subarray(cdOffset)]);
  expectInputError(() => decodeTorchStateDict(new Uint8Array(cut), FILE), /truncated archive: the central directory \(bytes \d+\.\.\d+\) runs past the end/);
});

test('refuses a corrupted storage byte (CRC-32)', () => {
  const bytes = Uint8Array.from(syntheticCheckpoint());
  const at = Buffer.from(bytes).indexOf(Buffer.from(float32Bytes(A)));
  assert.ok(at > 0);
  bytes[at + 5] ^= 0x10;
  expectInputError(() => decodeTorchStateDict(bytes, FILE), /archive\/data\/0: corrupt archive: CRC-32/);
});

test('refuses a ZIP archive without data.pkl', () => {
  const zip = writeZip([
    { name: 'archive/version', data: Buffer.from('3\n') },
    { name: 'archive/data/0', data: float32Bytes([1, 2]) },
  ]);
  expectInputError(() => decodeTorchStateDict(zip, FILE), /no <prefix>\/data\.pkl \(entries: archive\/version, archive\/data\/0\)/);
});

test('refuses forbidden globals before anything is called', () => {
  const viaGlobal = new PickleWriter().proto(2).global('os', 'system').unicode('echo pwned').raw([0x85]).op('REDUCE').op('STOP');
  const error = expectInputError(
    () => decodeTorchStateDict(writeCheckpoint(viaGlobal.toBytes(), []), FILE),
    /archive\/data\.pkl: refusing to load global os\.system/,
  );
  assert.match(error.message, /byte offset 2\)/);

  const viaStack = new PickleWriter().proto(4).shortUnicode('builtins').shortUnicode('eval').raw([0x93]).op('STOP');
  expectInputError(() => decodeTorchStateDict(writeCheckpoint(viaStack.toBytes(), []), FILE), /refusing to load global builtins\.eval/);

  // Other names inside allowed modules are still refused.
  const sneaky = new PickleWriter().proto(2).global('torch._utils', '_rebuild_from_type').op('STOP');
  expectInputError(() => decodeTorchStateDict(writeCheckpoint(sneaky.toBytes(), []), FILE), /torch\._utils\._rebuild_from_type/);
});

test('refuses a missing storage entry, naming it', () => {
  const pickle = writeStateDictPickle([
    { name: 'w', storageKey: '9', storageClass: 'FloatStorage', storageNumel: 2, offset: 0, shape: [2], stride: [1] },
  ]);
  expectInputError(() => decodeTorchStateDict(writeCheckpoint(pickle, []), FILE), /missing storage entry 'archive\/data\/9' \(referenced by tensor 'w'\)/);
});

test('refuses storages too short for the tensor', () => {
  const overrun = writeStateDictPickle([
    { name: 'w', storageKey: '0', storageClass: 'FloatStorage', storageNumel: 4, offset: 1, shape: [2, 2], stride: [2, 1] },
  ]);
  expectInputError(
    () => decodeTorchStateDict(writeCheckpoint(overrun, [{ key: '0', bytes: float32Bytes([1, 2, 3, 4]) }]), FILE),
    /w: storage '0' is too short: shape \[2, 2\] .* reaches element 4, but the storage holds 4/,
  );
  const shortFile = writeStateDictPickle([
    { name: 'w', storageKey: '0', storageClass: 'FloatStorage', storageNumel: 4, offset: 0, shape: [4], stride: [1] },
  ]);
  expectInputError(
    () => decodeTorchStateDict(writeCheckpoint(shortFile, [{ key: '0', bytes: float32Bytes([1, 2, 3]) }]), FILE),
    /storage 'archive\/data\/0' has 12 bytes but declares 4 float32 elements \(16 bytes\)/,
  );
});

test('refuses unsupported opcodes, naming them and their offset', () => {
  const w = new PickleWriter().proto(2).global('collections', 'OrderedDict').op('EMPTY_TUPLE');
  const offset = w.offset;
  assert.equal(offset, 28); // PROTO 2 (2 bytes) + GLOBAL line (25) + EMPTY_TUPLE (1)
  const pickle = w.raw([0x81]).op('STOP').toBytes();
  expectInputError(
    () => decodeTorchStateDict(writeCheckpoint(pickle, []), FILE),
    new RegExp(`unsupported pickle opcode NEWOBJ \\(0x81\\) at byte offset ${offset}`),
  );
  const unknown = new PickleWriter().proto(2).raw([0xff]).op('STOP').toBytes();
  expectInputError(() => decodeTorchStateDict(writeCheckpoint(unknown, []), FILE), /unsupported pickle opcode UNKNOWN \(0xff\) at byte offset 2/);
  const noStop = writeStateDictPickle(TENSORS).subarray(0, 40);
  expectInputError(() => decodeTorchStateDict(writeCheckpoint(noStop, []), FILE), /truncated pickle/);
});

test('refuses unsupported storage dtypes', () => {
  const pickle = writeStateDictPickle([
    { name: 'z', storageKey: '0', storageClass: 'ComplexFloatStorage', storageNumel: 1, offset: 0, shape: [1], stride: [1] },
  ]);
  expectInputError(
    () => decodeTorchStateDict(writeCheckpoint(pickle, [{ key: '0', bytes: new Uint8Array(8) }]), FILE),
    /z: unsupported storage dtype torch\.ComplexFloatStorage/,
  );
});

// Ground truth read independently of this reader: Python's zipfile + struct.unpack('<f') over the
// raw bytes of CLUB_retraining_seed1_bs2048_best/data/<k>, no pickle involved. Every storage in
// this checkpoint is used contiguously from offset 0, so flat index = storage index. `sum` is a
// left-to-right double-precision sum of all values (`s += x` in a Python loop), which a JS loop
// reproduces bit for bit.
const OFFICIAL = [
  { key: 'p_mu.0.weight', shape: [250, 768], probes: [[0, 0.03087841160595417], [770, -0.026852792128920555], [191999, 0.0003239065990783274]], sum: -0.4437691569891058 },
  { key: 'p_mu.0.bias', shape: [250], probes: [[0, -0.004936875309795141], [5, -0.016710227355360985], [249, 0.0006443056627176702]], sum: 0.2326133530586958 },
  { key: 'p_mu.2.weight', shape: [768, 250], probes: [[0, 0.05770184099674225], [770, 0.11197974532842636], [191999, -0.015071751549839973]], sum: 0.061431370634522864 },
  { key: 'p_mu.2.bias', shape: [768], probes: [[0, -0.01762671396136284], [5, -0.013644821010529995], [767, 0.00017653101531323045]], sum: -0.7044647221246123 },
  { key: 'p_logvar.0.weight', shape: [250, 768], probes: [[0, -0.031529590487480164], [770, -0.032538868486881256], [191999, 0.037141937762498856]], sum: 14.826729205197466 },
  { key: 'p_logvar.0.bias', shape: [250], probes: [[0, -0.06112348660826683], [5, 0.05882389470934868], [249, 0.0622098445892334]], sum: -0.3919246755540371 },
  { key: 'p_logvar.2.weight', shape: [768, 250], probes: [[0, 0.11061742901802063], [770, 0.07103046774864197], [191999, -0.04283497482538223]], sum: 43.82588586001391 },
  { key: 'p_logvar.2.bias', shape: [768], probes: [[0, -0.02892441861331463], [5, -0.06251178681850433], [767, -0.07619809359312057]], sum: -27.357404449154274 },
] as const;

test('reads the authors\' CLUB_global.pt', (t) => {
  const root = process.env.EMISHIFT_FIXTURES;
  if (!root) {
    t.skip('EMISHIFT_FIXTURES not set: point it at the fixtures folder holding official/CLUB_global.pt');
    return;
  }
  const path = join(root, 'official', 'CLUB_global.pt');
  if (!existsSync(path)) {
    t.skip(`EMISHIFT_FIXTURES is set but ${path} does not exist`);
    return;
  }
  const dict = decodeTorchStateDict(readFileSync(path), 'CLUB_global.pt');
  assert.deepEqual([...dict.keys()], OFFICIAL.map((o) => o.key));
  for (const expected of OFFICIAL) {
    const found = tensor(dict, expected.key);
    assert.deepEqual(found.shape, expected.shape, expected.key);
    assert.equal(found.dtype, 'float32', expected.key);
    assert.ok(found.data instanceof Float32Array, expected.key);
    assert.equal(found.data.length, expected.shape.reduce((a: number, b: number) => a * b, 1), expected.key);
    let sum = 0;
    for (let i = 0; i < found.data.length; i++) {
      const v = found.data[i];
      assert.ok(Number.isFinite(v), `${expected.key}[${i}] is ${v}`);
      sum += v;
    }
    for (const [index, value] of expected.probes) assert.equal(found.data[index], value, `${expected.key}[${index}]`);
    assert.equal(sum, expected.sum, `${expected.key} sum`);
  }
});
