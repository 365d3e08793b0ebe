/** `fleet node`: the node's set-up from the environment a command node gets, and what a bad one is told. */
import { describe, expect, test } from "bun:test";
import { standaloneSetup } from "../../src/fleet/node-standalone.ts";
import { UserError } from "../../src/fleet/cli-context.ts";

const LOCAL = { NODE_ID: "hugo", AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:4566" };

describe("fleet node: a bad environment gets one message that names the variable and the fix", () => {
  test.each<[string, Record<string, string>, RegExp]>([
    // Run by hand with nothing set: the whole command line to type, not only the variable's name.
    ["no NODE_ID", {}, /^fleet node: NODE_ID is not set: .*NODE_ID=hugo AWS_ENDPOINT_URL_SQS=http:\/\/127\.0\.0\.1:4566 bun run fleet node --persona node$/],
    ["an endpoint that is not a URL", { ...LOCAL, AWS_ENDPOINT_URL_SQS: "localhost:4566" }, /AWS_ENDPOINT_URL_SQS: a URL such as http:\/\/127\.0\.0\.1:4566/],
    ["a heartbeat that is not seconds", { ...LOCAL, P2P_HEARTBEAT_S: "ten" }, /P2P_HEARTBEAT_S: seconds, such as 10 or 0\.5/],
    ["a catalog that is not JSON", { ...LOCAL, P2P_CONTENT: "show:x" }, /P2P_CONTENT: a JSON list/],
    ["an id the protocol does not allow", { ...LOCAL, NODE_ID: "Hugo" }, /the environment does not describe a node/],
  ])("%s", (_, env, want) => {
    let err: unknown = null;
    try {
      standaloneSetup("node", env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(want);
  });

  test("the by-hand line works as written: a local node on the embedded SQS's port", () => {
    const { config, sqs } = standaloneSetup("node", LOCAL);
    expect({ id: config.id, mode: sqs.mode, port: sqs.mode === "local" ? sqs.port : null }).toEqual({ id: "hugo", mode: "local", port: 4566 });
  });
});
