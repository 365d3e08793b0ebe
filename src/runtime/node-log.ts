import type { Logger } from "pino";
import type { NodeEvent } from "../core/types.ts";
import type { TransportEvent } from "../sqs/transport.ts";
import { createLogLimiter } from "./log-limit.ts";
import { loggableUrl } from "./redact.ts";

/**
 * What a running node writes to the log, at which level and how often:
 * state changes at info, protocol traffic at debug, and every kind of
 * trouble (a refused message, a failed request) at most once a minute per
 * reason, with how many were held back, so a peer sending garbage in a loop
 * or an outage cannot flood the log.
 */

/** Events that change what a node knows about its peers: logged at info and kept for health. */
const STATE_CHANGES = new Set<NodeEvent["type"]>([
  "peer_added",
  "peer_status",
  "peer_forgotten",
  "peer_flagged",
  "peer_unflagged",
  "choke_changed",
  "choking_us_changed",
  "joined",
]);

export function isStateChange(e: NodeEvent): boolean {
  return STATE_CHANGES.has(e.type);
}

export interface NodeLog {
  /** The node's child logger, for lines of its life (queue ready, stopped). */
  readonly log: Logger;
  /** Whether debug lines are written: callers skip building them otherwise. */
  debug(): boolean;
  event(e: NodeEvent, nowMs: number): void;
  /** `ownQueueCreatable`: whether the node may recreate its own queue (local mode, --create-queues). */
  transport(e: TransportEvent, nowMs: number, ownQueueCreatable: boolean): void;
  /**
   * The seen journal could not be read, written or flushed (`reason`: the
   * operation and the error code, `write_eacces`): the node goes on, its
   * dedupe memory then only in memory. One line per reason and minute.
   */
  journalFailed(file: string, err: unknown, nowMs: number, reason: string): void;
}

export function createNodeLog(logger: Logger, nodeId: string, queueUrl: string): NodeLog {
  const log = logger.child({ node: nodeId });
  const limiter = createLogLimiter();
  const debug = () => log.isLevelEnabled("debug");

  function limited(key: string, nowMs: number, write: (held: number) => void): void {
    const held = limiter.admit(key, nowMs);
    if (held !== null) write(held);
  }

  return {
    log,
    debug,
    event(e, nowMs) {
      if (isStateChange(e)) {
        log.info({ event: e }, e.type);
        return;
      }
      switch (e.type) {
        case "rejected":
          return limited(`rejected:${e.reason}`, nowMs, (held) =>
            log.warn({ reason: e.reason, detail: e.detail, path: e.path, sender: e.sender, heldBack: held }, "message rejected"),
          );
        case "url_rejected":
          return limited(`url_rejected:${e.reason}`, nowMs, (held) =>
            log.warn({ peer: e.peer, url: loggableUrl(e.url), reason: e.reason, heldBack: held }, "queue URL rejected"),
          );
        case "audit":
          return log.info({ event: e }, "audit");
        default:
          if (debug()) log.debug({ event: e }, e.type);
      }
    },
    transport(e, nowMs, ownQueueCreatable) {
      switch (e.type) {
        case "link":
          if (e.state === "degraded") log.warn({ detail: e.detail }, "SQS unreachable; retrying with backoff");
          else log.info({ detail: e.detail }, "SQS reachable again");
          return;
        case "queue_missing":
          if (debug()) log.debug({ to: e.to, dropped: e.dropped }, "peer queue missing");
          return;
        case "own_queue_missing":
          return limited("own_queue_missing", nowMs, () =>
            log.warn(
              { queue: queueUrl },
              ownQueueCreatable ? "own queue missing; recreating it" : "own queue missing; start with --create-queues or create it",
            ),
          );
        case "credentials":
          return limited("credentials", nowMs, (held) => log.error({ detail: e.detail, heldBack: held }, "AWS credentials missing or rejected; retrying slowly"));
        case "receive_failed":
          return limited(`receive_failed:${e.kind}`, nowMs, (held) =>
            log.warn({ kind: e.kind, detail: e.detail, backoffMs: e.backoffMs, heldBack: held }, "receive failed"),
          );
        case "send_retry":
          if (debug()) log.debug({ queue: e.queueUrl, kind: e.kind, count: e.count, backoffMs: e.backoffMs }, "send retry");
          return;
        case "send_failed":
          return limited(`send_failed:${e.kind}`, nowMs, (held) =>
            log.warn({ to: e.to, kind: e.kind, detail: e.detail, dropped: e.dropped, heldBack: held }, "send given up"),
          );
        case "send_dropped":
          return limited(`send_dropped:${e.reason}`, nowMs, (held) =>
            log.warn({ to: e.to, reason: e.reason, count: e.count, heldBack: held }, "send dropped"),
          );
        case "delete_failed":
          return limited(`delete_failed:${e.kind}`, nowMs, (held) =>
            log.warn({ kind: e.kind, detail: e.detail, count: e.count, heldBack: held }, "delete failed; SQS will redeliver"),
          );
        case "handler_failed":
          return limited("handler_failed", nowMs, (held) =>
            log.error({ detail: e.detail, receiveCount: e.receiveCount, heldBack: held }, "handling a message failed; SQS will hand it over again"),
          );
        case "poison_dropped":
          return limited("poison_dropped", nowMs, (held) =>
            log.error({ detail: e.detail, receiveCount: e.receiveCount, heldBack: held }, "a message failed on every receive; dropped"),
          );
      }
    },
    journalFailed(file, err, nowMs, reason) {
      const error = err instanceof Error ? err.message : String(err);
      if (reason.startsWith("read_")) {
        log.error({ file, error, reason }, "seen journal could not be read; the node starts with no dedupe memory");
        return;
      }
      limited(`seen_journal:${reason}`, nowMs, (held) =>
        log.error({ file, error, reason, heldBack: held }, "seen journal could not be written; a restart may handle these messages again"),
      );
    },
  };
}
