/**
 * What went wrong with an SQS request, reduced to what the caller acts on:
 * back off and retry (throttled, server, network, queue_missing for our own
 * queue), back off much longer and tell the user (credentials), or give up on
 * that one request (other).
 */
export const ERROR_KINDS = [
  "throttled",
  "server",
  "network",
  "queue_missing",
  "credentials",
  "aborted",
  "other",
] as const;
export type SqsErrorKind = (typeof ERROR_KINDS)[number];

const THROTTLE_CODES = new Set([
  "Throttling",
  "ThrottlingException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "OverLimit",
  "KmsThrottled",
  "SlowDown",
]);

const CREDENTIAL_CODES = new Set([
  "CredentialsProviderError",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "InvalidSecurity",
  "ExpiredToken",
  "ExpiredTokenException",
  "AccessDenied",
  "AccessDeniedException",
  "MissingAuthenticationToken",
  "InvalidAccessKeyId",
  "AuthFailure",
]);

const QUEUE_MISSING_CODES = new Set([
  "QueueDoesNotExist",
  "AWS.SimpleQueueService.NonExistentQueue",
  "NonExistentQueue",
]);

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ConnectionRefused",
]);

interface SdkErrorLike {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function field(e: SdkErrorLike, key: "name" | "code" | "Code"): string | undefined {
  const v = e[key];
  return typeof v === "string" ? v : undefined;
}

export function classifySqsError(err: unknown): SqsErrorKind {
  if (err === null || typeof err !== "object") return "other";
  const e = err as SdkErrorLike;
  const names = [field(e, "name"), field(e, "Code"), field(e, "code")].filter((x): x is string => !!x);
  if (names.includes("AbortError")) return "aborted";
  if (names.some((n) => QUEUE_MISSING_CODES.has(n))) return "queue_missing";
  if (names.some((n) => CREDENTIAL_CODES.has(n))) return "credentials";
  if (names.some((n) => THROTTLE_CODES.has(n))) return "throttled";
  if (names.some((n) => NETWORK_CODES.has(n)) || names.includes("TimeoutError")) return "network";
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === "number") {
    if (status === 429) return "throttled";
    if (status === 401 || status === 403) return "credentials";
    if (status >= 500) return "server";
    return "other";
  }
  if (e.$fault === "server") return "server";
  // No HTTP status at all: the request never got an answer.
  const msg = typeof e.message === "string" ? e.message : "";
  if (/socket|connect|network|fetch failed|closed|hang up|unable to connect/i.test(msg)) return "network";
  return "other";
}

/** Kinds worth retrying after a pause: the same request can succeed later. */
export function isTransient(kind: SqsErrorKind): kind is "throttled" | "server" | "network" {
  return kind === "throttled" || kind === "server" || kind === "network";
}

/** One line for a log, never a stack trace. */
export function describeSqsError(err: unknown): string {
  if (err === null || typeof err !== "object") return String(err).slice(0, 200);
  const e = err as SdkErrorLike;
  const name = field(e, "name") ?? field(e, "code") ?? "Error";
  const msg = typeof e.message === "string" ? e.message : "";
  return `${name}: ${msg}`.slice(0, 300);
}

/** Missing or rejected AWS credentials, said in words a user acts on. */
export class SqsCredentialsError extends Error {
  override readonly name = "SqsCredentialsError";
  constructor(readonly detail: string) {
    super(
      `AWS rejected or could not find credentials (${detail}). Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY ` +
        `or AWS_PROFILE (see ~/.aws/credentials), or run in local mode with the embedded SQS.`,
    );
  }
}
