/** A seeded generator (LCG) in [0, 1): the same splits on every run, so a failing seed can be replayed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** `bytes` cut into pieces of 1..maxPiece bytes at seeded random boundaries (for stream parser tests). */
export function splitAtRandom(bytes: Uint8Array, seed: number, maxPiece = 17): Uint8Array[] {
  const next = rng(seed);
  const pieces: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const len = 1 + Math.floor(next() * maxPiece);
    pieces.push(bytes.subarray(at, at + len));
    at += len;
  }
  return pieces;
}
