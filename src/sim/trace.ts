import { createHash, type Hash } from "node:crypto";
import { fnv1a } from "../core/hash-index.ts";
import { msgIdNumber } from "../protocol/index.ts";

/** 32-bit words buffered before they are fed to the hash: one update per batch is far cheaper than one per record. */
export const TRACE_BATCH_WORDS = 1 << 16;

/** A text field as 32 bits: the notebook's 8-hex msg_id as its own value, anything else by FNV-1a. */
function textWord(s: string): number {
  const v = msgIdNumber(s);
  return v < 0 ? fnv1a(s) >>> 0 : v;
}

/**
 * A running sha256 over the run's deliveries, crashes and restarts, in the
 * order they happen, as fixed-width binary records. Two runs with the same
 * seed and options must end with the same hex digest; any change in what a
 * node sent, or when, changes it.
 */
export class Trace {
  private readonly hash: Hash = createHash("sha256");
  private readonly words = new Uint32Array(TRACE_BATCH_WORDS);
  private used = 0;
  records = 0;

  /** One record: time (ms, < 2^53), then small integers and one text field. */
  add(atMs: number, a: number, b: number, c: number, text: string): void {
    if (this.used + 6 > TRACE_BATCH_WORDS) this.flush();
    const w = this.words;
    let i = this.used;
    w[i++] = atMs % 0x1_0000_0000;
    w[i++] = Math.floor(atMs / 0x1_0000_0000);
    w[i++] = a;
    w[i++] = b;
    w[i++] = c;
    w[i++] = textWord(text);
    this.used = i;
    this.records++;
  }

  private flush(): void {
    if (this.used === 0) return;
    this.hash.update(new Uint8Array(this.words.buffer, 0, this.used * 4));
    this.used = 0;
  }

  digest(): string {
    this.flush();
    return this.hash.digest("hex");
  }
}
