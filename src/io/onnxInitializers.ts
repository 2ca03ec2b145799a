/**
 * The weights inside an ONNX model, indexed without loading the model: each initializer's name,
 * dtype, shape and the byte range of its data (in the model file, or in the external-data file
 * next to it). Read with the protobuf file reader, so a 1 GB model costs little memory.
 */
import { closeSync, fstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError, isInputError } from '../errors';
import { ProtoFileReader } from './protobuf';
import { openForReading, STORED_DTYPE_BYTES, type StoredDtype, type StoredTensorIndex } from './storedTensor';

const ONNX_DTYPES: Record<number, StoredDtype> = { 1: 'float32', 10: 'float16', 16: 'bfloat16' };

/**
 * The initializers of an ONNX model (ModelProto.graph.initializer), with the file range of each
 * one's data: `raw_data`, packed `float_data`, or external data next to the model.
 * Field numbers from onnx.proto: ModelProto.graph = 7; GraphProto.initializer = 5; TensorProto
 * dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9, external_data = 13,
 * data_location = 14.
 */
export function scanOnnxInitializers(file: string): StoredTensorIndex {
  const fd = openForReading(file);
  const tensors: StoredTensorIndex = new Map();
  try {
    const cursor = new ProtoFileReader(fd, fstatSync(fd).size);
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
          byteLength: Number(externalEntries.length ?? count * STORED_DTYPE_BYTES[dtype]),
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
    if (isInputError(error)) throw error;
    throw new InputError(`could not read ONNX initializers: ${error instanceof Error ? error.message : String(error)}`, { file });
  } finally {
    closeSync(fd);
  }
  return tensors;
}
