import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isInputError } from '../../src/errors';
import { scanOnnxInitializers } from '../../src/io/onnxInitializers';
import { ProtoFileReader, ProtoWriter } from '../../src/io/protobuf';
import { readStoredTensor, type StoredTensor } from '../../src/io/storedTensor';
import { GraphBuilder } from '../../src/backend/onnx/modelBuilder';

const dir = mkdtempSync(join(tmpdir(), 'emishift-onnx-'));

function reader(file: string, bytes: Uint8Array): { cursor: ProtoFileReader; close: () => void } {
  writeFileSync(file, bytes);
  const fd = openSync(file, 'r');
  return { cursor: new ProtoFileReader(fd, bytes.length), close: () => closeSync(fd) };
}

test('the file reader reads back what the writer wrote, across its 64 KB window, and skips every wire type', () => {
  const long = new Uint8Array(70_000).map((_, i) => i % 251);
  const bytes = new ProtoWriter()
    .varint(1, 150)
    .varint(2, 2 ** 40 + 3)
    .float(3, 0.5)
    .bytes(4, long)
    .string(5, 'naïve')
    .message(6, (body) => body.varint(1, 7))
    .varint(7, 1)
    .finish();
  const { cursor, close } = reader(join(dir, 'message.bin'), bytes);
  try {
    const tag = () => {
      const value = cursor.varint();
      return [value >>> 3, value & 7];
    };
    assert.deepEqual(tag(), [1, 0]);
    assert.equal(cursor.varint(), 150);
    assert.deepEqual(tag(), [2, 0]);
    assert.equal(cursor.varint(), 2 ** 40 + 3);
    assert.deepEqual(tag(), [3, 5]);
    cursor.skip(5);
    assert.deepEqual(tag(), [4, 2]);
    assert.deepEqual(new Uint8Array(cursor.bytes(cursor.varint())), long);
    assert.deepEqual(tag(), [5, 2]);
    assert.equal(cursor.bytes(cursor.varint()).toString('utf8'), 'naïve');
    assert.deepEqual(tag(), [6, 2]);
    cursor.skip(2);
    assert.deepEqual(tag(), [7, 0]);
    assert.equal(cursor.varint(), 1);
    assert.equal(cursor.position, bytes.length);
    assert.throws(() => cursor.varint(), /unexpected end of file/);
    assert.throws(() => cursor.skip(3), /unsupported protobuf wire type 3/);
  } finally {
    close();
  }
});

/** A TensorProto by hand (onnx.proto field numbers), for layouts the graph builder never writes. */
function tensorProto(body: ProtoWriter, tensor: { name: string; dims: number[]; dataType: number; raw?: Uint8Array; external?: Record<string, string> }): void {
  for (const dim of tensor.dims) body.varint(1, dim);
  body.varint(2, tensor.dataType);
  body.string(8, tensor.name);
  if (tensor.raw) body.bytes(9, tensor.raw);
  if (tensor.external) {
    for (const [key, value] of Object.entries(tensor.external)) body.message(13, (entry) => entry.string(1, key).string(2, value));
    body.varint(14, 1);
  }
}

test('initializers are found with their data ranges: raw data, external data, float16; integers are unsupported', () => {
  const graph = new GraphBuilder('g');
  const x = graph.input('x', 'float32', [2]);
  graph.initializer('weights', Float32Array.from([0.5, -1, 3]), [3]);
  graph.int64Initializer('shape', [2, 1], [2]);
  graph.output(graph.op('Add', [x, graph.initializer('bias', [1, 2], [2])]), 'float32', [2]);
  const built = join(dir, 'built.onnx');
  writeFileSync(built, graph.toModel());
  const index = scanOnnxInitializers(built);
  assert.deepEqual(Array.from(readStoredTensor(index.get('weights') as StoredTensor)), [0.5, -1, 3]);
  assert.deepEqual((index.get('weights') as StoredTensor).shape, [3]);
  assert.deepEqual(Array.from(readStoredTensor(index.get('bias') as StoredTensor)), [1, 2]);
  assert.match((index.get('shape') as { unsupported: string }).unsupported, /ONNX data type 7/);

  // External data (as large exports store it) and a float16 initializer, written by hand.
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat([Buffer.alloc(4), Buffer.from(Float32Array.from([7, 8]).buffer)]));
  const model = new ProtoWriter()
    .varint(1, 8)
    .message(7, (g) => {
      g.message(5, (t) => tensorProto(t, { name: 'outside', dims: [2], dataType: 1, external: { location: 'weights.bin', offset: '4', length: '8' } }));
      g.message(5, (t) => tensorProto(t, { name: 'half', dims: [2], dataType: 10, raw: new Uint8Array(Uint16Array.from([0x3c00, 0xc000]).buffer) }));
      g.message(5, (t) => tensorProto(t, { name: 'nowhere', dims: [1], dataType: 1, external: { offset: '0' } }));
    })
    .finish();
  const manual = join(dir, 'manual.onnx');
  writeFileSync(manual, model);
  const manualIndex = scanOnnxInitializers(manual);
  const outside = manualIndex.get('outside') as StoredTensor;
  assert.deepEqual([outside.file, outside.offset, outside.byteLength], [join(dir, 'weights.bin'), 4, 8]);
  assert.deepEqual(Array.from(readStoredTensor(outside)), [7, 8]);
  assert.deepEqual(Array.from(readStoredTensor(manualIndex.get('half') as StoredTensor)), [1, -2]);
  assert.deepEqual(manualIndex.get('nowhere'), { name: 'nowhere', unsupported: 'external data without a location' });
});

test('a file that is not an ONNX model is an InputError naming it', () => {
  const garbage = join(dir, 'garbage.onnx');
  writeFileSync(garbage, Buffer.from([0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
  assert.throws(() => scanOnnxInitializers(garbage), (error: unknown) => isInputError(error) && error.message.startsWith(`${garbage}: could not read ONNX initializers`));
  assert.throws(() => scanOnnxInitializers(join(dir, 'absent.onnx')), /absent\.onnx: cannot open/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
