import { headers, type MsgHdrs } from '@nats-io/transport-node';

/** Builds NATS headers from a plain record, skipping undefined values. */
export function natsHeaders(values: Record<string, string | undefined>): MsgHdrs {
  const h = headers();
  for (const [k, v] of Object.entries(values)) if (v !== undefined) h.set(k, v);
  return h;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
export const utf8 = {
  decode: (b: Uint8Array): string => decoder.decode(b),
  encode: (s: string): Uint8Array => encoder.encode(s),
};
