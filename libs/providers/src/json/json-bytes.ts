/** Bytes of JSON's structural characters, for the byte-level scanners (json.scan, the streamed-array decoder). */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LBRACK = 0x5b;
export const RBRACK = 0x5d;
export const COMMA = 0x2c;
export const COLON = 0x3a;

/** JSON whitespace: space, line feed, carriage return, tab. */
export function isWs(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}
