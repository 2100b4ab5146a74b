/**
 * The few pieces of the protocol buffers wire format an ONNX model file needs: a reader of
 * one message's fields (varint, 64-bit, length-delimited and 32-bit), with packed and unpacked
 * repeated numbers. No schema: pipeline/onnx/onnx-model.ts names the ONNX fields it reads.
 */
import { ArtifactError } from "../errors.ts";

export interface Field {
  number: number;
  /** 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit. */
  wire: number;
  /** Varint value (as a signed 64-bit integer), or the raw bytes of the other wire types. */
  int: bigint;
  bytes: Uint8Array;
}

/** Every field of one message, in file order. */
export function readFields(buf: Uint8Array, source: string): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw truncated(source);
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asIntN(64, result);
      shift += 7n;
      if (shift > 63n)
        throw new ArtifactError(`${source} is not a protobuf message (varint too long)`);
    }
  };
  const take = (n: number): Uint8Array => {
    if (n < 0 || pos + n > buf.length) throw truncated(source);
    const out = buf.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ number, wire, int: varint(), bytes: new Uint8Array(0) });
    else if (wire === 1) fields.push({ number, wire, int: 0n, bytes: take(8) });
    else if (wire === 2) fields.push({ number, wire, int: 0n, bytes: take(Number(varint())) });
    else if (wire === 5) fields.push({ number, wire, int: 0n, bytes: take(4) });
    else throw new ArtifactError(`${source} is not a protobuf message (wire type ${wire})`);
  }
  return fields;
}

function truncated(source: string): ArtifactError {
  return new ArtifactError(`${source} is truncated or not a protobuf message; re-export the model`);
}

export function text(field: Field): string {
  return new TextDecoder().decode(field.bytes);
}

/** A repeated float field (`repeated float`), packed or not. */
export function floats(fields: Field[]): number[] {
  const out: number[] = [];
  for (const f of fields) {
    const view = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
    for (let i = 0; i + 4 <= f.bytes.length; i += 4) out.push(view.getFloat32(i, true));
  }
  return out;
}

/** A repeated int64 field, packed or not. */
export function ints(fields: Field[], source: string): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.wire === 0) {
      out.push(Number(f.int));
      continue;
    }
    // Packed: the bytes are consecutive varints.
    let pos = 0;
    while (pos < f.bytes.length) {
      let result = 0n;
      let shift = 0n;
      for (;;) {
        if (pos >= f.bytes.length) throw truncated(source);
        const b = f.bytes[pos++];
        result |= BigInt(b & 0x7f) << shift;
        if ((b & 0x80) === 0) break;
        shift += 7n;
      }
      out.push(Number(BigInt.asIntN(64, result)));
    }
  }
  return out;
}
