import { describe, expect, test } from "bun:test";
import { loggableUrl } from "../../src/runtime/redact.ts";

describe("a queue URL as it may be logged", () => {
  test.each([
    ["user and password", "https://user:secret@sqs.us-east-1.amazonaws.com/1/q", "https://[Redacted]@sqs.us-east-1.amazonaws.com/1/q"],
    ["a user alone", "https://AKIAXXXX@evil.example/1/q", "https://[Redacted]@evil.example/1/q"],
    ["an @ in the password", "http://u:p@ss@127.0.0.1:1/q", "http://[Redacted]@127.0.0.1:1/q"],
    ["an @ in the path only", "https://sqs.us-east-1.amazonaws.com/1/a@b", "https://sqs.us-east-1.amazonaws.com/1/a@b"],
    ["no credentials", "https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-x-p2p", "https://sqs.us-east-1.amazonaws.com/194722398367/ds2032-node-x-p2p"],
    ["not a URL", "not a url at all", "not a url at all"],
  ])("%s", (_name, url, want) => {
    expect(loggableUrl(url)).toBe(want);
  });

  test("a long URL is cut", () => {
    const got = loggableUrl(`https://h/${"x".repeat(500)}`, 50);
    expect(got.length).toBe(51);
    expect(got.endsWith("…")).toBe(true);
  });
});
