import { createHash, type Hash } from "node:crypto";

/** Records buffered before they are fed to the hash: one update per batch is far cheaper than one per record. */
export const TRACE_BATCH_RECORDS = 4_096;

/**
 * A running sha256 over the run's deliveries and drops, in the order they
 * happen. Two runs with the same seed and options must end with the same
 * hex digest; any change in what a node sent, or when, changes it.
 */
export class Trace {
  private readonly hash: Hash = createHash("sha256");
  private batch: string[] = [];
  records = 0;

  add(record: string): void {
    this.batch.push(record);
    this.records++;
    if (this.batch.length >= TRACE_BATCH_RECORDS) this.flush();
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    this.hash.update(this.batch.join("\n") + "\n");
    this.batch = [];
  }

  digest(): string {
    this.flush();
    return this.hash.digest("hex");
  }
}
