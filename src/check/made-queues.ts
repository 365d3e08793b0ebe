import { queueName, type NetworkId } from "../protocol/index.ts";
import { ensureQueue, type SqsClient, type SqsOptions } from "../sqs/client.ts";
import { describeSqsError } from "../sqs/errors.ts";
import { deleteNodeQueue, nodeQueueExists } from "../sqs/queues.ts";
import { CheckCannotRun } from "./local.ts";

/**
 * The queues one check created on a network it shares (a running fleet's
 * SQS, an instructor's AWS account), and their deletion: at the end of the
 * check, and when it is stopped by a signal (stop-signals.ts). A name is
 * created only if it did not exist a moment before, so whatever is deleted
 * is this check's own: the nodes', the roster's, another check's probes are
 * never touched. Every check in the process is listed here until its
 * queues are gone, which is how a signal handler finds them.
 */

/** The whole deletion, lookups and deletes side by side, at most this long: a stop must not hang on an SQS that does not answer. */
export const QUEUES_DELETE_BOUND_MS = 10_000;

export interface DeleteOutcome {
  /** Names of the queues deleted. */
  deleted: string[];
  /** Names of those that may still exist: not deleted within the bound, or the delete refused. */
  left: string[];
  /** Why the first of `left` is left, one line; null when none is. */
  why: string | null;
}

export interface MadeQueues {
  /**
   * Creates the queues of these node ids side by side. A name that exists
   * already is refused (CheckCannotRun), never taken over: it is not this
   * check's to delete. Throws as `ensureQueue` does if a create fails.
   */
  create(ids: readonly string[]): Promise<void>;
  /** Names of the queues created, or perhaps created (a create with no answer yet), and not yet deleted. */
  names(): string[];
  /** Runs `fn` once, as the deletion starts: whatever still uses the queues stops first. */
  onDelete(fn: () => void): void;
  /**
   * Deletes every queue this check created, after waiting for any create
   * still unanswered, within `boundMs` in all. The first call does it; later
   * calls get the same outcome. No create starts after it.
   */
  deleteAll(boundMs?: number): Promise<DeleteOutcome>;
}

/** Every check of this process whose queues are not deleted yet. */
const open = new Set<MadeQueues>();

export function madeQueues(client: SqsClient, sqs: SqsOptions, net: NetworkId): MadeQueues {
  /** Ids whose CreateQueue was sent: created, or perhaps created if SQS did not answer. */
  const attempted = new Set<string>();
  /** CreateQueue requests not yet answered, by id. */
  const pending = new Map<string, Promise<unknown>>();
  const onDelete: Array<() => void> = [];
  let deletion: Promise<DeleteOutcome> | null = null;

  const made: MadeQueues = {
    async create(ids) {
      open.add(made);
      const exists = await Promise.all(ids.map((id) => nodeQueueExists(client, net, id)));
      const taken = ids.filter((_, k) => exists[k]).map((id) => queueName(net.prefix, id));
      if (taken.length > 0) throw new CheckCannotRun(`queues the check would create exist already and are not its own to delete: ${taken.join(", ")}; run the check again (it names its probes afresh)`);
      // A stop that came while the names were looked up: create nothing more.
      if (deletion !== null) throw new CheckCannotRun("stopped before its probes' queues were created");
      const results = await Promise.allSettled(
        ids.map((id) => {
          attempted.add(id);
          const p = ensureQueue(client, { ...sqs, createQueues: true }, net, id).finally(() => pending.delete(id));
          pending.set(id, p);
          return p;
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    },
    names: () => [...attempted].map((id) => queueName(net.prefix, id)),
    onDelete(fn) {
      onDelete.push(fn);
    },
    deleteAll(boundMs = QUEUES_DELETE_BOUND_MS) {
      deletion ??= (async () => {
        for (const fn of onDelete.splice(0)) fn();
        const signal = AbortSignal.timeout(boundMs);
        const timedOut = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
        // A queue whose create is still on its way may appear after a delete: wait for the answer first.
        await Promise.race([Promise.allSettled(pending.values()), timedOut]);
        const ids = [...attempted];
        const results = await Promise.allSettled(
          ids.map((id) => (pending.has(id) ? Promise.reject(new Error(`its CreateQueue had no answer within ${boundMs / 1000} s`)) : deleteNodeQueue(client, net, id, signal))),
        );
        const out: DeleteOutcome = { deleted: [], left: [], why: null };
        results.forEach((r, k) => {
          const name = queueName(net.prefix, ids[k]!);
          if (r.status === "fulfilled") {
            if (r.value) out.deleted.push(name);
          } else {
            out.left.push(name);
            out.why ??= signal.aborted ? `no answer from the SQS within ${boundMs / 1000} s` : describeSqsError(r.reason);
          }
        });
        open.delete(made);
        return out;
      })();
      return deletion;
    },
  };
  return made;
}

/** Deletes the queues of every check of this process, side by side, within `boundMs`: for a stop by signal. */
export async function deleteEveryMadeQueue(boundMs = QUEUES_DELETE_BOUND_MS): Promise<DeleteOutcome> {
  const outcomes = await Promise.all([...open].map((m) => m.deleteAll(boundMs)));
  return {
    deleted: outcomes.flatMap((o) => o.deleted),
    left: outcomes.flatMap((o) => o.left),
    why: outcomes.find((o) => o.why !== null)?.why ?? null,
  };
}

/** Names of the queues every check of this process created and has not deleted: for an exit that cannot wait. */
export function queuesNotDeleted(): string[] {
  return [...open].flatMap((m) => m.names());
}

/** One line on what a deletion did, naming every queue left for the user to delete; null when the check created none. */
export function deletionLine(o: DeleteOutcome): string | null {
  const total = o.deleted.length + o.left.length;
  if (total === 0) return null;
  if (o.left.length === 0) return `fleet check deleted the ${total} queue${total === 1 ? "" : "s"} it created: ${o.deleted.join(", ")}`;
  return `fleet check could not delete ${o.left.length} of the ${total} queues it created (${o.why}); delete them yourself: ${o.left.join(", ")}`;
}
