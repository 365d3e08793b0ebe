import { describe, expect, test } from "bun:test";
import { checkQueueUrl, queueUrlOf, type NetworkId } from "../../src/protocol/queues.ts";

const NET: NetworkId = { region: "us-east-1", account: "194722398367", prefix: "ds2032" };
const LOCAL: NetworkId = { ...NET, localPort: 4566 };
const AWS = "https://sqs.us-east-1.amazonaws.com/194722398367";
const GOOD = queueUrlOf(NET, "sam");

describe("a queue URL is sent to only as it was checked", () => {
  // [what, URL]: each parses to sam's own queue, but the text differs from what the parser checked.
  test.each([
    ["a tab inside the name", `${AWS}/ds2032-node-s\tam-p2p`],
    ["a newline inside the name", `${AWS}/ds2032-node-sa\nm-p2p`],
    ["a carriage return before the path", `https://sqs.us-east-1.amazonaws.com\r/194722398367/ds2032-node-sam-p2p`],
    ["a dot-dot segment", `${AWS}/x/../ds2032-node-sam-p2p`],
    ["a dot segment", `${AWS}/./ds2032-node-sam-p2p`],
    ["an escaped dot-dot", `${AWS}/x/%2e%2e/ds2032-node-sam-p2p`],
    ["a backslash for a slash", `https://sqs.us-east-1.amazonaws.com\\194722398367\\ds2032-node-sam-p2p`],
    ["an upper-case host", `https://SQS.us-east-1.amazonaws.com/194722398367/ds2032-node-sam-p2p`],
    ["the default port written out", `https://sqs.us-east-1.amazonaws.com:443/194722398367/ds2032-node-sam-p2p`],
    ["leading spaces", `  ${GOOD}`],
    ["a trailing newline", `${GOOD}\n`],
  ])("%s is refused", (_what, url) => {
    expect(new URL(url).href).toBe(GOOD);
    const v = checkQueueUrl(NET, url, "sam");
    expect(v).toMatchObject({ ok: false, reason: "not_canonical" });
  });

  test.each([
    ["the AWS form", NET, GOOD],
    ["the embedded SQS's own form", LOCAL, "http://127.0.0.1:4566/000000000000/ds2032-node-sam-p2p"],
    ["a localhost subdomain", LOCAL, "http://sqs.us-east-1.localhost:4566/000000000000/ds2032-node-sam-p2p"],
    ["IPv6 loopback", LOCAL, "http://[::1]:4566/000000000000/ds2032-node-sam-p2p"],
  ])("%s is accepted, and what is returned is the text checked", (_what, net, url) => {
    expect(checkQueueUrl(net, url, "sam")).toEqual({ ok: true, url });
  });
});

describe("an accepted URL is remembered, and the memory never widens a verdict", () => {
  // [what, network after GOOD was accepted for sam, node id asked for, expected verdict]
  test.each([
    ["the same pair again", NET, "sam", { ok: true, url: GOOD }],
    ["the same URL claimed for another node", NET, "kim", { ok: false, reason: "other_node" }],
    ["the same object, its account changed since", { ...NET }, "sam", { ok: false, reason: "wrong_account" }],
    ["the same object, its prefix changed since", { ...NET }, "sam", { ok: false, reason: "wrong_queue" }],
  ] as const)("%s", (what, net0, id, expected) => {
    const net: NetworkId = { ...net0 };
    expect(checkQueueUrl(net, GOOD, "sam")).toEqual({ ok: true, url: GOOD });
    if (what.includes("account")) net.account = "000000000001";
    if (what.includes("prefix")) net.prefix = "other";
    expect(checkQueueUrl(net, GOOD, id)).toMatchObject(expected);
  });
});
