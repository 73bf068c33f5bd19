/**
 * Reading protobuf wire format without decoding everything: iterate the fields of a message as byte ranges,
 * so that a 440 MB ModelProto can be searched and spliced while its initializer payloads are only skipped over.
 */

export interface WireField {
  field: number;
  wireType: number;
  /** Offset of the tag. */
  start: number;
  /** Offset of the payload (after the length prefix for length-delimited fields). */
  dataStart: number;
  /** Offset just past the field. */
  end: number;
  /** The value of a varint field. */
  value?: number;
}

export class WireFormatError extends Error {}

export function readVarint(buf: Uint8Array, pos: number): { value: number; next: number } {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) throw new WireFormatError('truncated varint');
    const b = buf[pos + i];
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return { value, next: pos + i + 1 };
    mul *= 128;
  }
  throw new WireFormatError('varint longer than 10 bytes');
}

/** The fields of the message in buf[start, end), in order. */
export function* wireFields(buf: Uint8Array, start = 0, end = buf.length): Generator<WireField> {
  let pos = start;
  while (pos < end) {
    const tag = readVarint(buf, pos);
    const field = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (field === 0) throw new WireFormatError(`field number 0 at offset ${pos}`);
    let dataStart = tag.next;
    let fieldEnd: number;
    let value: number | undefined;
    switch (wireType) {
      case 0: {
        const v = readVarint(buf, tag.next);
        value = v.value;
        fieldEnd = v.next;
        break;
      }
      case 1:
        fieldEnd = tag.next + 8;
        break;
      case 2: {
        const len = readVarint(buf, tag.next);
        dataStart = len.next;
        fieldEnd = len.next + len.value;
        break;
      }
      case 5:
        fieldEnd = tag.next + 4;
        break;
      default:
        throw new WireFormatError(`unsupported wire type ${wireType} at offset ${pos}`);
    }
    if (fieldEnd > end) throw new WireFormatError(`field ${field} at offset ${pos} runs past the end of its message`);
    yield { field, wireType, start: pos, dataStart, end: fieldEnd, value };
    pos = fieldEnd;
  }
}

/** Protobuf varint of a non-negative integer. */
export function encodeVarint(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Uint8Array.from(bytes);
}

/** Tag + length prefix + payload of a length-delimited field. */
export function lengthDelimited(field: number, payload: Uint8Array): Uint8Array[] {
  return [encodeVarint(field * 8 + 2), encodeVarint(payload.length), payload];
}
