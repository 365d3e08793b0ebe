import { z } from "zod";

/** docs/protocol.md §2 (ID-1): lowercase letters, digits and `-`, 1 to 40 characters. */
export const NODE_ID_RE = /^[a-z0-9-]{1,40}$/;

export const NodeId = z.string().regex(NODE_ID_RE, "a node id is 1-40 lowercase letters, digits or '-'");
export type NodeId = z.infer<typeof NodeId>;

export function isNodeId(s: unknown): s is string {
  return typeof s === "string" && NODE_ID_RE.test(s);
}
