/**
 * docs/protocol.md §4, allowed queue URLs, against a running fleet. The embedded
 * SQS finds a queue by its name whatever host or account a URL names, so a
 * decoy queue is created under each refused URL's name: had a bot sent there,
 * the decoy would hold it. They must stay empty.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { botNodes, envelope, fleetFile, queueName, queueUrl, startFleetProc, until, type FleetProc } from "../support/fleet-proc.ts";

const BOT = "bot-alpha";
const PROBER = "url-prober";
const AWS = "https://sqs.us-east-1.amazonaws.com";

const FLEET = fleetFile(botNodes(["bot-alpha", "bot-bravo"]));

/** [what, URL given the decoy's node id, reason, the decoy queue's name (null: the URL names none)] */
const BAD_URLS: Array<[string, (d: string) => string, string, ((d: string) => string) | null]> = [
  ["another host", (d) => `https://evil.example.com/194722398367/${queueName(d)}`, "wrong_host", queueName],
  ["a look-alike host", (d) => `https://sqs.us-east-1.amazonaws.com.evil.example/194722398367/${queueName(d)}`, "wrong_host", queueName],
  // The embedded SQS keeps regions apart: no decoy in us-east-1 could catch this one.
  ["another region", (d) => `https://sqs.eu-west-1.amazonaws.com/194722398367/${queueName(d)}`, "wrong_host", null],
  ["another account", (d) => `${AWS}/999999999999/${queueName(d)}`, "wrong_account", queueName],
  ["another prefix", (d) => `${AWS}/194722398367/other-node-${d}-p2p`, "wrong_queue", (d) => `other-node-${d}-p2p`],
  ["a queue that is not a node's", (d) => `${AWS}/194722398367/ds2032-${d}-admin`, "wrong_queue", (d) => `ds2032-${d}-admin`],
  ["http on AWS", (d) => `http://sqs.us-east-1.amazonaws.com/194722398367/${queueName(d)}`, "wrong_scheme", queueName],
  ["credentials in the URL", (d) => `https://user:secret@sqs.us-east-1.amazonaws.com/194722398367/${queueName(d)}`, "credentials_in_url", queueName],
  ["an odd port on AWS", (d) => `https://sqs.us-east-1.amazonaws.com:8443/194722398367/${queueName(d)}`, "wrong_port", queueName],
  ["a local URL on another port", (d) => `http://127.0.0.1:1/000000000000/${queueName(d)}`, "wrong_port", queueName],
  ["a query string", (d) => `${AWS}/194722398367/${queueName(d)}?Action=DeleteQueue`, "wrong_queue", null],
  ["a path with more segments", (d) => `${AWS}/194722398367/x/${queueName(d)}`, "wrong_queue", queueName],
  ["a file URL", (d) => `file:///194722398367/${queueName(d)}`, "wrong_host", queueName],
  ["not a URL", () => "not a url at all", "not_a_url", null],
  // The parser would resolve these to the decoy's own URL: what was checked must be what is sent to.
  ["a dot-dot segment", (d) => `${AWS}/194722398367/x/../${queueName(d)}`, "not_canonical", queueName],
  ["a tab inside the name", (d) => `${AWS}/194722398367/${queueName(d).replace("-p2p", "\t-p2p")}`, "not_canonical", null],
];

/** A HELLO whose queue_url names the decoy of another node: `other_node`. */
const OTHER_NODE: [string, (d: string) => string, string, (d: string) => string] = [
  "another node's queue",
  (d) => `${AWS}/194722398367/${queueName(d)}`,
  "other_node",
  queueName,
];

let f: FleetProc;
const helloDecoy = (i: number) => `hdecoy-${i}`;
const listDecoy = (i: number) => `ldecoy-${i}`;
const sender = (i: number) => `mal-${i}`;
const listed = (i: number) => `listed-${i}`;
const HELLO_CASES = [...BAD_URLS, OTHER_NODE];
const reasonsOf = (cases: typeof BAD_URLS) =>
  cases.reduce<Record<string, number>>((acc, [, , r]) => ({ ...acc, [r]: (acc[r] ?? 0) + 1 }), {});

describe("queue URLs outside the network are refused and never sent to", () => {
  let before: Record<string, number> = {};

  beforeAll(async () => {
    f = await startFleetProc(FLEET);
    await f.createQueue(queueName(PROBER));
    for (let i = 0; i < HELLO_CASES.length; i++) {
      await f.createQueue(queueName(sender(i)));
      const d = HELLO_CASES[i]![3];
      if (d) await f.createQueue(d(helloDecoy(i)));
    }
    for (let i = 0; i < BAD_URLS.length; i++) {
      await f.createQueue(queueName(listed(i)));
      const d = BAD_URLS[i]![3];
      if (d) await f.createQueue(d(listDecoy(i)));
    }
    await until("the bot is running", 15_000, async () => (await f.node(BOT)).state === "running");
    before = { ...((await f.node(BOT)).counters.url_rejected ?? {}) };
    for (let i = 0; i < HELLO_CASES.length; i++) {
      await f.send(BOT, { ...envelope("HELLO", sender(i), `hello-${i}`), queue_url: HELLO_CASES[i]![1](helloDecoy(i)) });
    }
    await f.send(BOT, {
      ...envelope("PEER_LIST", PROBER, "list-1"),
      peers: [{ node_id: PROBER, queue_url: queueUrl(PROBER) }, ...BAD_URLS.map(([, url], i) => ({ node_id: listed(i), queue_url: url(listDecoy(i)) }))],
    });
  }, 40_000);

  afterAll(() => f?.kill());

  test.each(BAD_URLS.filter(([, , , d]) => d !== null).map(([name], i) => [name, i] as const))(
    "a decoy catches what the SDK sends to %s (so an empty decoy means nothing was sent)",
    async (_name, i) => {
      const [, url, , decoy] = BAD_URLS.filter(([, , , d]) => d !== null)[i]!;
      const probe = `probe-${i}`;
      await f.createQueue(decoy!(probe));
      await f.send(url(probe), "probe");
      expect(await f.depth(decoy!(probe))).toBe(1);
    },
  );

  test("every refusal is counted by its reason", async () => {
    const want: Record<string, number> = {};
    for (const [r, n] of Object.entries(reasonsOf(HELLO_CASES))) want[r] = (want[r] ?? 0) + n;
    for (const [r, n] of Object.entries(reasonsOf(BAD_URLS))) want[r] = (want[r] ?? 0) + n;
    const got = await until("all refusals counted", 10_000, async () => {
      const now = (await f.node(BOT)).counters.url_rejected ?? {};
      const delta = Object.fromEntries(Object.keys({ ...now, ...want }).map((r) => [r, (now[r] ?? 0) - (before[r] ?? 0)]));
      return Object.entries(want).every(([r, n]) => delta[r] === n) && delta;
    });
    expect(got).toEqual(want);
  }, 15_000);

  test.each(HELLO_CASES.map(([name], i) => [name, i] as const))("HELLO with %s: answered at the naming-scheme queue only", async (_name, i) => {
    const answered = await until("the PEER_LIST at the sender's own queue", 10_000, async () =>
      (await f.drain(sender(i), 0)).find((m) => m.type === "PEER_LIST" && m.sender === BOT),
    );
    expect(answered.peers![0]!.node_id).toBe(BOT);
    const decoy = HELLO_CASES[i]![3];
    if (decoy) expect(await f.depth(decoy(helloDecoy(i)))).toBe(0);
  }, 15_000);

  test("PEER_LIST entries with such URLs are dropped: never added, never said HELLO to", async () => {
    // The list was handled: its one good entry is a peer now.
    await until("the PEER_LIST handled", 10_000, async () => (await f.node(BOT)).peers.some((p) => p.id === PROBER));
    // Two PINGs to that peer since: a heartbeat round went out after the list, and any PING or HELLO to
    // an entry added by mistake would have left with it.
    const pings = new Set<number>();
    await until("two heartbeats' PINGs to the prober", 15_000, async () => {
      for (const m of await f.drain(PROBER, 0)) if (m.type === "PING" && m.sender === BOT) pings.add(m.seq!);
      return pings.size >= 2;
    });
    const alpha = await f.node(BOT);
    const known = new Set(alpha.peers.map((p) => p.id));
    for (let i = 0; i < BAD_URLS.length; i++) {
      expect([listed(i), known.has(listed(i))]).toEqual([listed(i), false]);
      expect([listed(i), await f.depth(queueName(listed(i)))]).toEqual([listed(i), 0]);
      const decoy = BAD_URLS[i]![3];
      if (decoy) expect([decoy(listDecoy(i)), await f.depth(decoy(listDecoy(i)))]).toEqual([decoy(listDecoy(i)), 0]);
    }
    // Nor did any other bot hear of them through gossip and write to a decoy.
    for (let i = 0; i < HELLO_CASES.length; i++) {
      const decoy = HELLO_CASES[i]![3];
      if (decoy) expect([decoy(helloDecoy(i)), await f.depth(decoy(helloDecoy(i)))]).toEqual([decoy(helloDecoy(i)), 0]);
    }
    // The URL with credentials never reaches the log whole.
    expect(f.lines.some((l) => l.includes("user:secret@") || l.includes(":secret@"))).toBe(false);
  }, 20_000);
});
