import { ISO_TIMESTAMP_RE, PeerEntry, SCHEMA_BY_TYPE, checkQueueUrl, queueUrlOf } from "../../protocol/index.ts";
import { info } from "./util.ts";
import type { Seen } from "../observer.ts";
import { defineCases, type CaseDef, type CheckSession } from "../session.ts";
import type { Outcome } from "../types.ts";

/**
 * Everything the node sent during the check, judged at the end: what the
 * probes (and, with --run, the bots) received from it.
 */

function fromTarget(s: CheckSession): Seen[] {
  // One message, however often SQS delivered it.
  const keys = new Set<string>();
  return s.observer.bodiesFrom(s.target).filter((x) => {
    const key = `${x.rec.to}\u0000${x.rec.msgId}\u0000${x.fullBody.length}`;
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  });
}

const nothingSent = (what: string): Outcome => ({ verdict: "skip", expected: what, observed: "nothing received from the node", reason: "the node sent no message to any party of the check" });

function judge(all: Seen[], bad: Array<{ x: Seen; why: string }>, expected: string, okText: string): Outcome {
  if (bad.length === 0) return { verdict: "pass", expected, observed: okText, evidence: all.slice(0, 3).map((x) => x.rec) };
  const listed = bad.slice(0, 5).map((b) => `${b.x.rec.type} to ${b.x.rec.to}: ${b.why}`);
  return {
    verdict: "fail",
    expected,
    observed: `${bad.length} of ${all.length}: ${listed.join("; ")}${bad.length > 5 ? "; …" : ""}`,
    evidence: bad.slice(0, 10).map((b) => b.x.rec),
  };
}

function rawObject(x: Seen): Record<string, unknown> | null {
  try {
    const v = JSON.parse(x.fullBody) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * A case judged at the end over every message the node sent (`all`, each
 * once), skipped when it sent none; `pick` narrows what it judges, and a
 * judged set that `pick` left empty skips with `none`.
 */
function sentCase(c: Pick<CaseDef, "id" | "title" | "requirement" | "observation"> & { what: string; judge: (s: CheckSession, all: Seen[]) => Outcome }): CaseDef {
  return {
    ...c,
    area: "sends",
    phase: "final",
    needsMs: () => 0,
    async run(s) {
      const all = fromTarget(s);
      return all.length === 0 ? nothingSent(c.what) : c.judge(s, all);
    },
  };
}

export const sendsCases = defineCases([
  sentCase({
    id: "send-01",
    title: "every message it sends validates against the protocol's schemas",
    requirement: "FIELD-1",
    what: "valid messages",
    judge(_s, all) {
      const bad = all.flatMap((x) => (x.parsed.ok ? [] : [{ x, why: x.parsed.detail }]));
      return judge(all, bad, "each body a JSON object of one of the 8 types with every field valid", `${all.length} messages, all valid`);
    },
  }),
  sentCase({
    id: "send-02",
    title: "timestamps are ISO 8601 with an offset",
    requirement: "FIELD-5",
    what: "timestamps with an offset",
    judge(_s, all) {
      const bad = all.flatMap((x) => {
        const ts = rawObject(x)?.timestamp;
        return typeof ts === "string" && ISO_TIMESTAMP_RE.test(ts) ? [] : [{ x, why: `timestamp ${JSON.stringify(ts)?.slice(0, 60) ?? "missing"}` }];
      });
      return judge(all, bad, "timestamp like 2026-11-24T14:03:08.124Z or …+00:00", `${all.length} timestamps, all ISO 8601 with an offset`);
    },
  }),
  sentCase({
    id: "send-03",
    title: "msg_ids are unique: no two messages to one receiver share one",
    requirement: "FIELD-6",
    what: "unique msg_ids",
    judge(_s, all) {
      const first = new Map<string, Seen>();
      const bad: Array<{ x: Seen; why: string }> = [];
      for (const x of all) {
        const id = rawObject(x)?.msg_id;
        if (typeof id !== "string") continue;
        const key = `${x.rec.to}\u0000${id}`;
        const prev = first.get(key);
        // The same body again is a redelivery by SQS, not a reuse.
        if (prev && prev.fullBody !== x.fullBody) bad.push({ x, why: `msg_id ${JSON.stringify(id)} also on a ${prev.rec.type}` });
        else first.set(key, x);
      }
      return judge(all, bad, "a fresh msg_id on every message (receivers drop a repeated one as a redelivery)", `${all.length} messages, no msg_id reused`);
    },
  }),
  sentCase({
    id: "send-04",
    title: "it announces its own queue by its naming-scheme URL",
    requirement: "URL-3",
    what: "its own queue URL",
    judge(s, sent) {
      const own = queueUrlOf(s.net, s.target);
      const all = sent.filter((x) => x.parsed.ok && (x.parsed.message.type === "HELLO" || x.parsed.message.type === "PEER_LIST"));
      if (all.length === 0) return { verdict: "skip", expected: own, observed: "no HELLO or PEER_LIST from the node", reason: "the node announced no queue URL" };
      const bad = all.flatMap((x) => {
        const m = x.parsed.ok ? x.parsed.message : null;
        const url = m?.type === "HELLO" ? m.queue_url : m?.type === "PEER_LIST" ? m.peers.find((e) => e.node_id === s.target)?.queue_url : undefined;
        return url === undefined || url === own ? [] : [{ x, why: `announced ${url.slice(0, 120)}` }];
      });
      return judge(all, bad, own, `${all.length} announcements, all ${own}`);
    },
  }),
  sentCase({
    id: "send-05",
    title: "the queue URLs it passes on are allowed URLs of the nodes they name",
    requirement: "URL-5",
    what: "allowed queue URLs",
    judge(s, sent) {
      const all = sent.filter((x) => x.parsed.ok && x.parsed.message.type === "PEER_LIST");
      if (all.length === 0) return { verdict: "skip", expected: "allowed queue URLs", observed: "no PEER_LIST from the node", reason: "the node passed on no queue URL" };
      const bad = all.flatMap((x) => {
        const m = x.parsed.ok && x.parsed.message.type === "PEER_LIST" ? x.parsed.message : null;
        return (m?.peers ?? []).flatMap((e) => {
          if (e.queue_url === undefined) return [];
          const v = checkQueueUrl(s.net, e.queue_url, e.node_id);
          return v.ok ? [] : [{ x, why: `${e.node_id}: ${e.queue_url.slice(0, 100)} (${v.reason})` }];
        });
      });
      return judge(all, bad, `https://sqs.${s.net.region}.amazonaws.com/${s.net.account}/${s.net.prefix}-node-<id>-p2p, or the embedded SQS's form of it`, `${all.length} PEER_LISTs, every URL allowed`);
    },
  }),  sentCase({
    id: "send-06",
    title: "which fields beyond the protocol's it sends (an observation)",
    requirement: "WIRE-5",
    observation: true,
    what: "its messages' fields",
    judge(_s, all) {
      // By type and field name, e.g. "PING.ttl" or "PEER_LIST.peers[].rtt": how many messages carry it.
      const extra = new Map<string, Seen[]>();
      const note = (field: string, x: Seen) => extra.set(field, [...(extra.get(field) ?? []), x]);
      for (const x of all) {
        if (!x.parsed.ok) continue;
        const type = x.parsed.message.type;
        const raw = rawObject(x) ?? {};
        for (const k of Object.keys(raw)) if (!(k in SCHEMA_BY_TYPE[type].shape)) note(`${type}.${k}`, x);
        if (type !== "PEER_LIST" || !Array.isArray(raw.peers)) continue;
        const fields = new Set(raw.peers.flatMap((e: unknown) => (e !== null && typeof e === "object" ? Object.keys(e) : [])));
        for (const k of fields) if (!(k in PeerEntry.shape)) note(`PEER_LIST.peers[].${k}`, x);
      }
      const valid = all.filter((x) => x.parsed.ok).length;
      const listed = [...extra].sort((a, b) => b[1].length - a[1].length);
      return info(
        "receivers ignore fields they do not know (WIRE-5): a node may send more than the protocol's, none rely on it",
        listed.length === 0 ? `${valid} valid messages, none with a field beyond the protocol's` : `of ${valid} valid messages: ${listed.slice(0, 8).map(([f, xs]) => `${f} on ${xs.length}`).join(", ")}${listed.length > 8 ? `, … (${listed.length} fields in all)` : ""}`,
        listed.slice(0, 4).map(([, xs]) => xs[0]!),
      );
    },
  }),
]);
