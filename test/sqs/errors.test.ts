import { describe, expect, test } from "bun:test";
import { classifySqsError, isTransient } from "../../src/sqs/errors.ts";
import { backoffDelayMs } from "../../src/sqs/backoff.ts";

describe("classifySqsError", () => {
  test.each([
    [{ name: "QueueDoesNotExist", $metadata: { httpStatusCode: 400 } }, "queue_missing"],
    [{ name: "AWS.SimpleQueueService.NonExistentQueue" }, "queue_missing"],
    [{ name: "InvalidClientTokenId", $metadata: { httpStatusCode: 403 } }, "credentials"],
    [{ name: "CredentialsProviderError", message: "Could not load credentials from any providers" }, "credentials"],
    [{ name: "ThrottlingException", $metadata: { httpStatusCode: 400 } }, "throttled"],
    [{ name: "Whatever", $metadata: { httpStatusCode: 429 } }, "throttled"],
    [{ name: "InternalFailure", $metadata: { httpStatusCode: 500 } }, "server"],
    [{ name: "ServiceUnavailable", $metadata: { httpStatusCode: 503 } }, "server"],
    [{ name: "Error", code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:4566" }, "network"],
    [{ name: "TimeoutError", code: "ECONNRESET", message: "socket hang up" }, "network"],
    [{ name: "AbortError" }, "aborted"],
    [{ name: "InvalidParameterValue", $metadata: { httpStatusCode: 400 } }, "other"],
    ["a string", "other"],
  ])("%j is %s", (err, kind) => {
    expect(classifySqsError(err)).toBe(kind as ReturnType<typeof classifySqsError>);
  });

  test.each([
    ["throttled", true],
    ["server", true],
    ["network", true],
    ["queue_missing", false],
    ["credentials", false],
    ["other", false],
  ] as const)("%s transient: %p", (kind, transient) => {
    expect(isTransient(kind)).toBe(transient);
  });
});

describe("backoffDelayMs", () => {
  const opts = { baseMs: 100, maxMs: 1000 };
  test.each([
    [0, 50, 100],
    [1, 100, 200],
    [3, 400, 800],
    [10, 500, 1000],
  ])("attempt %i lies in [%i, %i]", (attempt, lo, hi) => {
    expect(backoffDelayMs(attempt, opts, () => 0)).toBe(lo);
    expect(backoffDelayMs(attempt, opts, () => 0.999999)).toBeLessThanOrEqual(hi);
    expect(backoffDelayMs(attempt, opts, () => 0.999999)).toBeGreaterThan(hi - 2);
  });
});
