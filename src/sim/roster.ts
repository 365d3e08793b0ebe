import type { Persona } from "../core/types.ts";
import type { SimOptions } from "./options.ts";

export interface Member {
  /** Index in the fleet; every per-node table of the simulator is an array by this. */
  ix: number;
  id: string;
  persona: Persona;
  /** Reports the truth every time; the liars are the only dishonest members. */
  honest: boolean;
}

/**
 * Who is in the fleet: the bootstrap bots first, then the liars, then honest
 * `node`s. Ids follow the fleet's naming so that logs read the same.
 */
export function roster(o: Pick<SimOptions, "nodes" | "liars" | "bootstraps">): Member[] {
  const members: Member[] = [];
  const width = String(o.nodes).length;
  for (let i = 0; i < o.bootstraps; i++) {
    members.push({ ix: members.length, id: i === 0 ? "bot-alpha" : `bot-alpha-${i + 1}`, persona: "bot-alpha", honest: true });
  }
  for (let i = 0; i < o.liars; i++) {
    members.push({ ix: members.length, id: i === 0 ? "bot-charlie" : `bot-charlie-${i + 1}`, persona: "bot-charlie", honest: false });
  }
  for (let i = 0; members.length < o.nodes; i++) {
    members.push({ ix: members.length, id: `node-${String(i + 1).padStart(width, "0")}`, persona: "node", honest: true });
  }
  return members;
}
