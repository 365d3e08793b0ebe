/**
 * A running node's seen journal (src/runtime/seen-journal.ts) over the
 * embedded SQS: each handled message's line names the replies it caused,
 * the outbox reaches the disk before its batch leaves, and a journal that
 * cannot be written is counted and logged by reason while the node goes on.
 */
import { describe, expect, test } from "bun:test";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LIMITS } from "../../src/core/config.ts";
import { dedupeKey } from "../../src/core/dedupe.ts";
import { build, encode } from "../../src/protocol/index.ts";
import { createSqsClient } from "../../src/sqs/client.ts";
import type { NodeRunner } from "../../src/runtime/node-runner.ts";
import { createSeenJournal, readSeenLines, type SeenJournal } from "../../src/runtime/seen-journal.ts";
import { drainBodies, perTest } from "../sqs/helpers.ts";
import { until } from "../support/until.ts";
import { config, memoryLogger, runner } from "./helpers.ts";

const { cleanups, env } = perTest();

function track(r: NodeRunner): NodeRunner {
  cleanups.push(() => r.stop(2000));
  return r;
}

const ping = (sender: string, seq: number, msgId: string) => encode(build("PING", { sender, nowMs: Date.now(), msgId }, { seq }));
const journalAt = (path: string) => createSeenJournal({ path, windowMs: LIMITS.dedupeWindowMs, perTableMax: LIMITS.dedupeMax });
const PINGS = 3;

describe("seen journal of a running node", () => {
  test("each PING's line names its PONG's msg_id; the batch with the PONG leaves only once the outbox reached the disk", async () => {
    const l = await env();
    const port = l.sqs.port;
    const path = join(mkdtempSync(join(tmpdir(), "seen-")), "bot-bravo.seen");
    const inner = journalAt(path);
    // What happened, in order: notes, flushes, and (from the SDK below) each batch as it leaves.
    const order: string[] = [];
    const journal: SeenJournal = {
      path,
      load: (now) => inner.load(now),
      pending: (p) => {
        order.push("pending");
        inner.pending(p);
      },
      append: (e, now, r) => inner.append(e, now, r),
      flush: async () => {
        const before = inner.syncStats().syncs;
        const err = await inner.flush();
        if (inner.syncStats().syncs > before) order.push("flushed");
        return err;
      },
      syncStats: () => inner.syncStats(),
    };
    const client = createSqsClient(l.opts);
    cleanups.push(async () => client.destroy());
    client.middlewareStack.add(
      (next, ctx) => async (args) => {
        if (ctx.commandName === "SendMessageBatchCommand") {
          const bodies = ((args.input as { Entries?: Array<{ MessageBody?: string }> }).Entries ?? []).map((e) => e.MessageBody ?? "");
          if (bodies.some((b) => b.includes('"PONG"'))) order.push("send PONG");
        }
        return next(args);
      },
      { step: "initialize", name: "recordSends" },
    );
    const zedQueue = await l.queue("zed");
    const b = track(runner(config("bot-bravo", port, []), port, { client, seenJournal: journal }));
    await b.start();
    for (let i = 1; i <= PINGS; i++) await l.client.send(new SendMessageCommand({ QueueUrl: b.queueUrl, MessageBody: ping("zed", i, `jr${i}`) }));
    await until("three PINGs kept", 8000, () => readSeenLines(path).filter((x) => x.key.startsWith("zed")).length === PINGS);

    const pongs = (await drainBodies(l.client, zedQueue)).map((x) => JSON.parse(x) as { type: string; seq: number; msg_id: string }).filter((m) => m.type === "PONG");
    expect(pongs.map((p) => p.seq).sort()).toEqual([1, 2, 3]);
    const lines = new Map(readSeenLines(path).map((x) => [x.key, x.replies]));
    for (const p of pongs) expect(lines.get(dedupeKey("zed", `jr${p.seq}`))).toEqual([p.msg_id]);
    // Every batch with a PONG left after a flush that ended after the last note before it.
    for (let i = 0; i < order.length; i++) {
      if (order[i] !== "send PONG") continue;
      const lastPending = order.lastIndexOf("pending", i);
      expect(order.slice(lastPending, i), order.join(", ")).toContain("flushed");
    }
    expect(order.filter((x) => x === "send PONG").length).toBeGreaterThanOrEqual(1);
    const syncs = b.health().journalSyncs!;
    expect(syncs.count).toBeGreaterThanOrEqual(1);
    expect(syncs.count).toBeLessThanOrEqual(b.health().transport.requests.SendMessageBatch ?? 0);
    expect(b.health().journalErrors).toEqual({});
  }, 20_000);

  test("a journal path that cannot be written: the node still answers, failures counted by operation and code, one log line per reason", async () => {
    const l = await env();
    const port = l.sqs.port;
    // A file where the journal's directory should be: every open fails with ENOTDIR.
    const dir = mkdtempSync(join(tmpdir(), "seen-"));
    writeFileSync(join(dir, "not-a-dir"), "");
    const { logger, lines } = memoryLogger();
    const zedQueue = await l.queue("zed");
    const b = track(runner(config("bot-bravo", port, []), port, { logger, seenJournal: journalAt(join(dir, "not-a-dir", "bot-bravo.seen")) }));
    await b.start();
    for (let i = 1; i <= PINGS; i++) await l.client.send(new SendMessageCommand({ QueueUrl: b.queueUrl, MessageBody: ping("zed", i, `bad${i}`) }));
    await until("three PINGs handled and deleted", 8000, () => b.health().transport.messagesDeleted >= PINGS);

    const pongs = (await drainBodies(l.client, zedQueue)).map((x) => JSON.parse(x) as { type: string }).filter((m) => m.type === "PONG");
    expect(pongs).toHaveLength(PINGS);
    // The load at start (its rewrite cannot make the directory: EEXIST), then per PING its outbox note and its kept line.
    expect(b.health().journalErrors).toEqual({ read_eexist: 1, write_enotdir: 2 * PINGS });
    const journalLines = lines.filter((x) => String(x.msg).startsWith("seen journal"));
    expect(journalLines.map((x) => [x.msg, x.reason])).toEqual([
      ["seen journal could not be read; the node starts with no dedupe memory", "read_eexist"],
      ["seen journal could not be written; a restart may handle these messages again", "write_enotdir"],
    ]);
  }, 20_000);
});
