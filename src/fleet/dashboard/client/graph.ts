/**
 * The peer graph with cytoscape: a node per fleet member (and per outside
 * peer someone knows), a directed edge from each node to each peer it knows,
 * colored by the status that node sees; dashed with a bar end where it chokes
 * the peer; a thick magenta ring around a peer somebody flags. Nodes sit on a
 * circle in id order, laid out again only when the set of nodes changes, so
 * the picture does not jump every second.
 */
import cytoscape from "cytoscape";
import { PEER_CHOKED, PEER_FLAGGED, type View } from "../view-types.ts";

const STATUS = ["alive", "suspect", "dead"] as const;
const COLOR = { alive: "#1a9850", suspect: "#f59e0b", dead: "#c62828", flag: "#b3127a", choked: "#6b7280" };
/** Above this many nodes, straight "haystack" edges: cheaper to draw and less noise than curved ones. */
const CURVES_NODES_MAX = 12;

export interface Graph {
  update(view: View): void;
}

export function createGraph(container: HTMLElement): Graph {
  const cy = cytoscape({
    container,
    wheelSensitivity: 0.3,
    minZoom: 0.2,
    maxZoom: 3,
    style: [
      {
        selector: "node",
        style: {
          label: "data(id)",
          "font-size": 11,
          "text-valign": "bottom",
          "text-margin-y": 3,
          width: 22,
          height: 22,
          "background-color": COLOR.alive,
          "border-width": 0,
        },
      },
      { selector: "node[status = 'suspect']", style: { "background-color": COLOR.suspect } },
      { selector: "node[status = 'dead']", style: { "background-color": COLOR.dead } },
      { selector: "node[?outside]", style: { shape: "diamond" } },
      { selector: "node[?flagged]", style: { "border-width": 5, "border-color": COLOR.flag, color: COLOR.flag, "font-weight": "bold" } },
      {
        selector: "edge",
        style: {
          width: 1.5,
          "curve-style": "bezier",
          "target-arrow-shape": "triangle",
          "arrow-scale": 0.8,
          "line-color": COLOR.alive,
          "target-arrow-color": COLOR.alive,
          opacity: 0.8,
        },
      },
      { selector: "edge[status = 'suspect']", style: { "line-color": COLOR.suspect, "target-arrow-color": COLOR.suspect } },
      { selector: "edge[status = 'dead']", style: { "line-color": COLOR.dead, "target-arrow-color": COLOR.dead } },
      { selector: "edge[?choked]", style: { "line-style": "dashed", "target-arrow-shape": "tee", width: 2 } },
      { selector: "edge[?flagged]", style: { "line-color": COLOR.flag, "target-arrow-color": COLOR.flag } },
      { selector: "node.many", style: { width: 14, height: 14, "font-size": 9 } },
      { selector: "edge.many", style: { "curve-style": "haystack", "haystack-radius": 0.3, width: 0.6, opacity: 0.35 } },
    ],
  });
  let layoutKey = "";
  let wasMany = false;

  return {
    update(view) {
      const fleetIds = new Set(view.nodes.map((n) => n.id));
      const flagged = new Set(Object.entries(view.flagged).filter(([, by]) => by.length > 0).map(([id]) => id));
      const seen = new Map<string, number[]>(); // peer -> status codes observers report
      const edges = new Map<string, { source: string; target: string; status: string; choked: boolean; flagged: boolean }>();
      for (const n of view.nodes) {
        for (const [peer, status, , bits] of n.peers) {
          const list = seen.get(peer) ?? [];
          list.push(status);
          seen.set(peer, list);
          if ((bits & PEER_FLAGGED) !== 0) flagged.add(peer);
          edges.set(`${n.id}->${peer}`, {
            source: n.id,
            target: peer,
            status: STATUS[status],
            choked: (bits & PEER_CHOKED) !== 0,
            flagged: (bits & PEER_FLAGGED) !== 0,
          });
        }
      }
      const nodeStatus = new Map<string, string>();
      for (const n of view.nodes) {
        const down = n.state === "failed" || n.state === "stopped";
        nodeStatus.set(n.id, down ? "dead" : majority(seen.get(n.id)));
      }
      for (const peer of seen.keys()) if (!nodeStatus.has(peer)) nodeStatus.set(peer, majority(seen.get(peer)));
      const many = nodeStatus.size > CURVES_NODES_MAX;

      // Nodes first, then the layout, then edges: laid out with 2450 edges attached, the circle takes a second.
      cy.batch(() => {
        for (const ele of cy.elements()) {
          const id = ele.id();
          if (ele.isNode() ? !nodeStatus.has(id) : !edges.has(id)) cy.remove(ele);
        }
        const added: cytoscape.ElementDefinition[] = [];
        for (const [id, status] of nodeStatus) {
          const data = { id, status, flagged: flagged.has(id), outside: !fleetIds.has(id) };
          const node = cy.getElementById(id);
          if (node.empty()) added.push({ group: "nodes", data });
          else setChanged(node, data);
        }
        if (added.length > 0) cy.add(added);
        if (many !== wasMany) cy.elements().toggleClass("many", many);
        wasMany = many;
      });

      const key = [...nodeStatus.keys()].sort().join(",");
      if (key !== layoutKey) {
        layoutKey = key;
        cy.nodes().toggleClass("many", many);
        cy.layout({ name: "circle", sort: (a, b) => String(a.id()).localeCompare(String(b.id())), padding: 30, animate: false }).run();
        cy.fit(undefined, 30);
      }

      cy.batch(() => {
        // new edges go in with one add(): one by one, 2450 of them take seconds on the first view
        const added: cytoscape.ElementDefinition[] = [];
        for (const [id, e] of edges) {
          const edge = cy.getElementById(id);
          if (edge.empty()) added.push({ group: "edges", data: { id, ...e }, classes: many ? "many" : "" });
          else setChanged(edge, e);
        }
        if (added.length > 0) cy.add(added);
      });
      container.dataset.nodeCount = String(cy.nodes().length);
      container.dataset.edgeCount = String(cy.edges().length);
      container.dataset.flagged = cy.nodes("[?flagged]").map((n) => n.id()).sort().join(",");
    },
  };
}

/** Sets only the fields that changed: any data() write restyles the element, and 2450 edges a second add up. */
function setChanged(ele: cytoscape.SingularElementReturnValue, data: Record<string, string | boolean>): void {
  for (const [k, v] of Object.entries(data)) if (ele.data(k) !== v) ele.data(k, v);
}

/** The status most observers report; ties lean to the worse one, since a doubt is worth showing. */
function majority(codes: number[] | undefined): string {
  if (!codes || codes.length === 0) return "alive";
  const counts = [0, 0, 0];
  for (const c of codes) counts[c]! += 1;
  let best = 0;
  for (let i = 1; i < 3; i += 1) if (counts[i]! >= counts[best]!) best = i;
  return STATUS[best as 0 | 1 | 2];
}
