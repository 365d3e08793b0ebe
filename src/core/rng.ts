/**
 * A seeded random source (sfc32). The core never asks the platform for
 * randomness: every choice comes from one of these, so a run replays exactly
 * from its seed.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** `n` lowercase hex characters (msg_id uses 8). */
  hex(n: number): string;
  /** An independent stream derived from this seed and a label. */
  fork(label: string): Rng;
}

/** 128 bits of state from a string (cyrb128). */
function hashSeed(seed: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < seed.length; i++) {
    const k = seed.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export function createRng(seed: string | number): Rng {
  const seedText = String(seed);
  let [a, b, c, d] = hashSeed(seedText);
  const nextU32 = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs: sfc32 mixes poorly right after seeding.
  for (let i = 0; i < 12; i++) nextU32();
  const rng: Rng = {
    float: () => nextU32() / 4294967296,
    int: (n) => Math.floor((nextU32() / 4294967296) * n),
    hex: (n) => {
      if (n === 8) return hex8(nextU32());
      let s = "";
      while (s.length < n) s += nextU32().toString(16).padStart(8, "0");
      return s.slice(0, n);
    },
    fork: (label) => createRng(`${seedText}/${label}`),
  };
  return rng;
}

/** A 32-bit value as 8 lowercase hex digits: one string made at once (msg_ids are drawn for every message sent). */
function hex8(v: number): string {
  return String.fromCharCode(
    HEX_CODES[v >>> 28]!,
    HEX_CODES[(v >>> 24) & 15]!,
    HEX_CODES[(v >>> 20) & 15]!,
    HEX_CODES[(v >>> 16) & 15]!,
    HEX_CODES[(v >>> 12) & 15]!,
    HEX_CODES[(v >>> 8) & 15]!,
    HEX_CODES[(v >>> 4) & 15]!,
    HEX_CODES[v & 15]!,
  );
}

const HEX_CODES = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
