import type { NodeSnapshot } from "../../core/types.ts";
import type { CheckFigures } from "./figures.ts";
import type { Tables } from "./tables.ts";

/**
 * Events agree with state: the peer table kept from a node's events alone
 * must be its snapshot's, peer for peer (status, flagged, choked), so a core
 * whose events disagree with its state is caught.
 */
export function compareSnapshot(t: Tables, fig: CheckFigures, ix: number, snap: NodeSnapshot): void {
  const known = t.known[ix]!;
  const id = t.idOf(ix);
  const seen = new Set<number>();
  const mismatch = (text: string) => {
    fig.anomalies.snapshotMismatches++;
    t.anomaly(`${id}: ${text}`);
  };
  for (const peer of snap.peers) {
    const p = t.ixOf.get(peer.id);
    if (p === undefined) {
      mismatch(`snapshot lists unknown peer ${peer.id}`);
      continue;
    }
    seen.add(p);
    const status = known.get(p);
    if (status === undefined) mismatch(`snapshot has ${peer.id}, events never added it`);
    else if (status !== peer.status) mismatch(`${peer.id} is ${peer.status}, events say ${status}`);
    if (peer.flagged !== t.flagged[ix]!.has(p)) mismatch(`${peer.id} flagged=${peer.flagged}, events say ${!peer.flagged}`);
    if (peer.choked !== t.choking[ix]!.has(p)) mismatch(`${peer.id} choked=${peer.choked}, events say ${!peer.choked}`);
  }
  for (const p of known.keys()) if (!seen.has(p)) mismatch(`events added ${t.idOf(p)}, snapshot lacks it`);
}
