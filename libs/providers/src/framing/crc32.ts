import * as zlib from 'node:zlib';

let table: Uint32Array | undefined;

function crc32Table(): Uint32Array {
  if (table !== undefined) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 (ISO-HDLC, the zlib one) by table: the fallback for Node versions before 20.15. */
export function crc32Portable(bytes: Uint8Array, previous = 0): number {
  const t = crc32Table();
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

type Crc32 = (bytes: Uint8Array, previous?: number) => number;

// `zlib.crc32` exists since Node 20.15 and is native; the engines field allows nothing older, but a
// runtime that lacks it still works.
const native = (zlib as { crc32?: Crc32 }).crc32;

/** CRC-32 of `bytes`, continuing from `previous` (the CRC of the bytes before them). */
export const crc32: Crc32 = typeof native === 'function' ? (b, p = 0) => native(b, p) >>> 0 : crc32Portable;
