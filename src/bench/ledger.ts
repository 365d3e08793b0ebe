/**
 * The soak's ledger, message by message, from sources that survive any
 * crash of a node: what the embedded SQS accepted (recorded on its side of
 * the edge: sqs/embedded.ts), the receivers' seen journals (a key kept once
 * per handled message), and what is still in the queues at the end.
 *
 * Every message SQS accepted for a node's queue was handled exactly once
 * (its key kept once in the receiver's journal), or is still queued;
 * anything else is lost. Copies of one message (a reply replayed byte for
 * byte after a crash, a send retried after an outage cut its answer) carry
 * the same msg_id and count as that one message. A message whose sender
 * died before SQS accepted it was never sent, and is not in the ledger.
 *
 * Answers: every handled PING has exactly one PONG accepted by SQS, counted
 * by seq on SQS's side alone (the PING's sender, receiver and seq against
 * the PONG's); every handled HELLO exactly one PEER_LIST among the replies
 * its journal line names, accepted by SQS for the HELLO's sender.
 */
import { dedupeKey } from "../core/dedupe.ts";
import type { SqsRecorder } from "../sqs/embedded.ts";
import type { KeptLine } from "../runtime/seen-journal.ts";

/** A body that is not a protocol message (no type, sender and msg_id): the soak's nodes never send one. */
export const NOT_PROTOCOL = "(not a protocol message)";

/** One message as SQS accepted it, however many times. */
export interface AcceptedMessage {
  /** The queue's name. */
  queue: string;
  type: string;
  sender: string;
  msgId: string;
  /** PING and PONG. */
  seq?: number;
  /** Times SQS accepted this msg_id for this queue: more than once after a replay or a retried send. */
  accepted: number;
  /** Deletes SQS answered for receipts of it. */
  deleted: number;
}

export interface RecordBounds {
  /** Distinct messages kept; past it the ledger cannot close and says so. Default 2 000 000. */
  messagesMax?: number;
  /** Receipts remembered until their delete (the oldest go first). Default 200 000. */
  receiptsMax?: number;
}

/** What SQS accepted and deleted, kept by queue and key; the recorder the embedded SQS calls. */
export interface AcceptedRecord extends SqsRecorder {
  messages(): AcceptedMessage[];
  /** Messages not kept because the table was full. */
  overflow(): number;
  /** Deletes whose receipt was no longer remembered. */
  deletesUnmatched(): number;
}

interface Summary {
  type: string;
  sender: string;
  msgId: string;
  seq?: number;
}

/** Type, sender, msg_id (and seq) of a body; null for one that is not a protocol message. */
export function summarize(body: string): Summary | null {
  let m: unknown;
  try {
    m = JSON.parse(body);
  } catch {
    return null;
  }
  if (m === null || typeof m !== "object") return null;
  const { type, sender, msg_id, seq } = m as Record<string, unknown>;
  if (typeof type !== "string" || typeof sender !== "string" || typeof msg_id !== "string") return null;
  return { type, sender, msgId: msg_id, ...(typeof seq === "number" ? { seq } : {}) };
}

export function createAcceptedRecord(bounds: RecordBounds = {}): AcceptedRecord {
  const messagesMax = bounds.messagesMax ?? 2_000_000;
  const receiptsMax = bounds.receiptsMax ?? 200_000;
  const byKey = new Map<string, AcceptedMessage>();
  const receipts = new Map<string, AcceptedMessage>();
  let overflow = 0;
  let unmatched = 0;
  let unparsed = 0;
  const keyOf = (queue: string, s: Summary | null, body: string) =>
    s ? `${queue}\u0000${s.sender}\u0000${s.msgId}` : `${queue}\u0000${NOT_PROTOCOL}\u0000${body}`;

  return {
    accepted(queue, body) {
      const s = summarize(body);
      const key = keyOf(queue, s, body);
      const had = byKey.get(key);
      if (had) {
        had.accepted++;
        return;
      }
      if (byKey.size >= messagesMax) {
        overflow++;
        return;
      }
      if (!s) unparsed++;
      byKey.set(key, {
        queue,
        type: s?.type ?? NOT_PROTOCOL,
        sender: s?.sender ?? "?",
        msgId: s?.msgId ?? `#${unparsed}`,
        ...(s?.seq === undefined ? {} : { seq: s.seq }),
        accepted: 1,
        deleted: 0,
      });
    },
    received(queue, receipt, body) {
      const m = byKey.get(keyOf(queue, summarize(body), body));
      if (!m) return;
      receipts.set(receipt, m);
      // Insertion order is age: the oldest receipt goes first.
      if (receipts.size > receiptsMax) receipts.delete(receipts.keys().next().value!);
    },
    deleted(_queue, receipt) {
      const m = receipts.get(receipt);
      if (!m) {
        unmatched++;
        return;
      }
      m.deleted++;
      receipts.delete(receipt);
    },
    messages: () => [...byKey.values()],
    overflow: () => overflow,
    deletesUnmatched: () => unmatched,
  };
}

export interface TypeLedger {
  /** Distinct messages SQS accepted. */
  accepted: number;
  handledOnce: number;
  stillQueued: number;
  lost: number;
  /** Of the lost: deleted without a journal line (dropped as poison, or a bug). */
  lostDeleted: number;
  handledTwice: number;
  /** Extra acceptances of a msg_id already accepted (replays, retried sends): the receiver drops them. */
  acceptedAgain: number;
}

export interface AnswerLedger {
  /** Handled requests (once or more). */
  handled: number;
  answeredOnce: number;
  unanswered: number;
  answeredTwice: number;
  /** Answers accepted for a request still in its queue (its node died after its reply left, before its line): it will be replayed, the same reply. */
  answeredStillQueued: number;
}

export interface Ledger {
  /** False when a bound was reached and the ledger cannot be trusted to close; `incomplete` says why. */
  complete: boolean;
  incomplete: string[];
  byType: Record<string, TypeLedger>;
  total: TypeLedger;
  answers: { PING: AnswerLedger; HELLO: AnswerLedger };
  /** Replies a journal line names that SQS never accepted. */
  repliesNotAccepted: number;
  votesCountedTwice: number;
  deletesUnmatched: number;
  /** A few of each failure (`lost`, `handled_twice`, `ping_unanswered`...), to look for: at most EXAMPLES_MAX each. */
  examples: Record<string, string[]>;
}

/** Examples kept per kind of failure. */
const EXAMPLES_MAX = 5;

export interface LedgerInput {
  accepted: readonly AcceptedMessage[];
  overflow: number;
  deletesUnmatched: number;
  /** Node id of a queue name; null for a queue of no party. */
  nodeOfQueue: (queueName: string) => string | null;
  /** Each node's seen journal as written, every line. */
  journals: ReadonlyMap<string, readonly KeptLine[]>;
  /** Parties that keep no journal (the soak's driver): the keys they handled, each once. They answer nothing: their PINGs and HELLOs are not held to answers. */
  handledElsewhere: ReadonlyMap<string, ReadonlySet<string>>;
  /** Keys (sender NUL msg_id) still in each party's queue. */
  stillQueued: ReadonlyMap<string, ReadonlySet<string>>;
  /** Why the other sources cannot be trusted to be whole (a journal that forgot keys), said by the caller. */
  incomplete?: readonly string[];
}

const emptyType = (): TypeLedger => ({ accepted: 0, handledOnce: 0, stillQueued: 0, lost: 0, lostDeleted: 0, handledTwice: 0, acceptedAgain: 0 });
const emptyAnswer = (): AnswerLedger => ({ handled: 0, answeredOnce: 0, unanswered: 0, answeredTwice: 0, answeredStillQueued: 0 });

export function closeLedger(input: LedgerInput): Ledger {
  const incomplete: string[] = [...(input.incomplete ?? [])];
  const examples: Record<string, string[]> = {};
  const example = (kind: string, text: string) => {
    const list = (examples[kind] ??= []);
    if (list.length < EXAMPLES_MAX) list.push(text);
  };
  const show = (m: AcceptedMessage) => `${m.type} ${m.sender} -> ${m.queue} msg_id ${m.msgId}${m.seq === undefined ? "" : ` seq ${m.seq}`}`;
  if (input.overflow > 0) incomplete.push(`${input.overflow} accepted messages past the record's bound`);

  // Keys kept per node, with the replies each line names.
  const kept = new Map<string, Map<string, string[][]>>();
  let votesCountedTwice = 0;
  for (const [node, lines] of input.journals) {
    const messages = new Map<string, string[][]>();
    const votes = new Map<string, number>();
    for (const l of lines) {
      if (l.table === "event") votes.set(l.key, (votes.get(l.key) ?? 0) + 1);
      else messages.set(l.key, [...(messages.get(l.key) ?? []), l.replies ?? []]);
    }
    for (const n of votes.values()) votesCountedTwice += n - 1;
    kept.set(node, messages);
  }
  const timesHandled = (node: string, key: string) => {
    const elsewhere = input.handledElsewhere.get(node);
    if (elsewhere) return elsewhere.has(key) ? 1 : 0;
    return kept.get(node)?.get(key)?.length ?? 0;
  };

  const byType: Record<string, TypeLedger> = {};
  const total = emptyType();
  /** sender NUL msg_id -> the accepted message, for the replies journal lines name. */
  const bySenderId = new Map<string, AcceptedMessage[]>();
  /** PING sender|receiver|seq -> [handled, still queued and not handled]; PONG receiver|sender|seq -> answers. */
  const pings = new Map<string, { handled: number; queued: number }>();
  const pongs = new Map<string, number>();
  const hellos: Array<{ node: string; from: string; key: string }> = [];
  for (const m of input.accepted) {
    const node = input.nodeOfQueue(m.queue);
    const key = dedupeKey(m.sender, m.msgId);
    bySenderId.set(key, [...(bySenderId.get(key) ?? []), m]);
    const t = (byType[m.type] ??= emptyType());
    const add = (f: keyof TypeLedger, n = 1) => {
      t[f] += n;
      total[f] += n;
    };
    add("accepted");
    add("acceptedAgain", m.accepted - 1);
    if (node === null) {
      // A queue of no party: nobody was meant to handle it; it can only still be there.
      add("lost");
      example("lost", `${show(m)} (a queue of no party)`);
      continue;
    }
    const h = timesHandled(node, key);
    const queued = input.stillQueued.get(node)?.has(key) ?? false;
    if (h === 1) add("handledOnce");
    else if (h > 1) {
      add("handledTwice");
      example("handled_twice", `${show(m)} kept ${h} times`);
    } else if (queued) add("stillQueued");
    else {
      add("lost");
      if (m.deleted > 0) add("lostDeleted");
      example("lost", `${show(m)}${m.deleted > 0 ? ", deleted" : ""}`);
    }
    const answers = !input.handledElsewhere.has(node);
    if (m.type === "PING" && m.seq !== undefined && answers) {
      const g = `${m.sender}|${node}|${m.seq}`;
      const p = pings.get(g) ?? { handled: 0, queued: 0 };
      if (h > 0) p.handled++;
      else if (queued) p.queued++;
      pings.set(g, p);
    }
    if (m.type === "PONG" && m.seq !== undefined) {
      const g = `${node}|${m.sender}|${m.seq}`;
      pongs.set(g, (pongs.get(g) ?? 0) + 1);
    }
    if (m.type === "HELLO" && h > 0 && answers) hellos.push({ node, from: m.sender, key });
  }

  // PING -> PONG, on SQS's side alone: answers per (pinger, pinged, seq) against the PINGs handled.
  // A pinger's seq restarts with its worker, so a group may hold several PINGs: counts, not pairs.
  const ping = emptyAnswer();
  for (const [g, p] of pings) {
    const answers = pongs.get(g) ?? 0;
    const once = Math.min(answers, p.handled);
    const extra = answers - once;
    const forQueued = Math.min(extra, p.queued);
    ping.handled += p.handled;
    ping.answeredOnce += once;
    ping.unanswered += p.handled - once;
    ping.answeredStillQueued += forQueued;
    ping.answeredTwice += extra - forQueued;
    if (p.handled > once) example("ping_unanswered", `PING ${g.replaceAll("|", " ")}: ${p.handled} handled, ${answers} PONGs`);
    if (extra > forQueued) example("ping_answered_twice", `PING ${g.replaceAll("|", " ")}: ${p.handled} handled, ${answers} PONGs`);
  }

  // HELLO -> PEER_LIST: the replies the journal line names, as SQS accepted them for the HELLO's sender.
  const hello = emptyAnswer();
  let repliesNotAccepted = 0;
  const acceptedReply = (node: string, msgId: string) => bySenderId.get(dedupeKey(node, msgId)) ?? [];
  for (const [node, messages] of kept) {
    for (const lines of messages.values()) {
      for (const replies of lines) {
        for (const id of replies) {
          if (acceptedReply(node, id).length > 0) continue;
          repliesNotAccepted++;
          example("reply_not_accepted", `${node} msg_id ${id}`);
        }
      }
    }
  }
  for (const { node, from, key } of hellos) {
    const lines = kept.get(node)?.get(key) ?? [];
    const answers = lines
      .flat()
      .flatMap((id) => acceptedReply(node, id))
      .filter((r) => r.type === "PEER_LIST" && input.nodeOfQueue(r.queue) === from).length;
    hello.handled++;
    if (answers === 1) hello.answeredOnce++;
    else if (answers === 0) {
      hello.unanswered++;
      example("hello_unanswered", `HELLO ${key.replace("\u0000", " msg_id ")} at ${node}`);
    } else {
      hello.answeredTwice++;
      example("hello_answered_twice", `HELLO ${key.replace("\u0000", " msg_id ")} at ${node}: ${answers} PEER_LISTs`);
    }
  }

  return {
    complete: incomplete.length === 0,
    incomplete,
    byType,
    total,
    answers: { PING: ping, HELLO: hello },
    repliesNotAccepted,
    votesCountedTwice,
    deletesUnmatched: input.deletesUnmatched,
    examples,
  };
}

/** Whether the ledger closes: complete, nothing lost, nothing handled, answered or counted twice, every request answered. */
export function ledgerCloses(l: Ledger): boolean {
  const answersOk = (a: AnswerLedger) => a.unanswered === 0 && a.answeredTwice === 0;
  return (
    l.complete &&
    l.total.accepted > 0 &&
    l.total.lost === 0 &&
    l.total.handledTwice === 0 &&
    answersOk(l.answers.PING) &&
    answersOk(l.answers.HELLO) &&
    l.repliesNotAccepted === 0 &&
    l.votesCountedTwice === 0
  );
}
