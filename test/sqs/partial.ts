/**
 * Entries of a batch that SQS answers Failed while the rest succeed. The
 * embedded SQS refuses a send entry for real (a body with characters SQS does
 * not allow) but never fails a delete entry (AWS deletes silently for a bad
 * receipt handle, and fauxqs does as AWS does), so for deletes this reaches
 * into a real client through the SDK's own middleware stack: the chosen
 * entries are taken out of the request before it leaves, so SQS really does
 * not act on them, and come back in the response as Failed, as AWS reports
 * an entry it could not serve.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";

/** A body SQS refuses: U+0000 is outside the characters a message may hold. */
export const INVALID_BODY = "not\u0000allowed";

export interface FailedEntry {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

/**
 * From now on, entries `fail` picks out of each `commandName` request (by
 * their entry, the request's number from 0) are withheld from SQS and
 * answered Failed with `senderFault`. Returns how many it withheld so far.
 */
export function failEntries<E extends { Id?: string }>(
  client: SQSClient,
  commandName: "DeleteMessageBatchCommand" | "SendMessageBatchCommand",
  fail: (entry: E, request: number) => { senderFault: boolean; code: string } | null,
): { withheld: () => number } {
  let request = 0;
  let withheld = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName) return next(args);
      const input = args.input as { Entries?: E[] };
      const failed: FailedEntry[] = [];
      const kept: E[] = [];
      for (const e of input.Entries ?? []) {
        const f = fail(e, request);
        if (f) failed.push({ Id: e.Id!, SenderFault: f.senderFault, Code: f.code, Message: "withheld by the test" });
        else kept.push(e);
      }
      request++;
      withheld += failed.length;
      if (failed.length === 0) return next(args);
      // A request of no entries is itself an error in SQS: answer it without sending.
      const out =
        kept.length === 0
          ? { output: { $metadata: {}, Successful: [] }, response: {} }
          : await next({ ...args, input: { ...input, Entries: kept } as typeof args.input });
      const output = out.output as { Failed?: FailedEntry[] };
      output.Failed = [...(output.Failed ?? []), ...failed];
      return out;
    },
    { step: "initialize", name: "testFailEntries" },
  );
  return { withheld: () => withheld };
}
