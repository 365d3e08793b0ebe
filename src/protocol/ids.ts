import { z } from "zod";

/** docs/protocol.md §2 (ID-1): lowercase letters, digits and `-`, 1 to 40 characters. */
export const NODE_ID_RE = /^[a-z0-9-]{1,40}$/;

export const NodeId = z.string().regex(NODE_ID_RE, "a node id is 1-40 lowercase letters, digits or '-'");
export type NodeId = z.infer<typeof NodeId>;

export function isNodeId(s: unknown): s is string {
  return typeof s === "string" && NODE_ID_RE.test(s);
}

/**
 * A msg_id as the notebook makes it (8 lowercase hex digits, docs/protocol.md §2) read as its
 * number, or -1 for any other text. By hand: a regex test and parseInt for each of millions of
 * deliveries cost more than the work they feed (the dedupe's key, the simulator's trace).
 */
export function msgIdNumber(s: string): number {
  if (s.length !== 8) return -1;
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}
