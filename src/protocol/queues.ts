import { NODE_ID_RE } from "./ids.ts";

/**
 * Which SQS network a node belongs to (docs/protocol.md §4). The AWS form of a
 * queue URL is what every node announces, in both modes: a notebook node
 * pointed at the embedded SQS keeps its own AWS-style URLs unchanged.
 */
export interface NetworkId {
  region: string;
  account: string;
  prefix: string;
  /**
   * The embedded SQS's port, when the network runs on it. Its own URLs
   * (`http://sqs.<region>.localhost:<port>/<account>/<queue>` and the like) are
   * then allowed too.
   */
  localPort?: number;
}

export function queueName(prefix: string, nodeId: string): string {
  return `${prefix}-node-${nodeId}-p2p`;
}

/** The naming-scheme URL of a node: `https://sqs.{region}.amazonaws.com/{account}/{name}`. */
export function queueUrlOf(net: NetworkId, nodeId: string): string {
  // One string per (network, node) however many peers hold it: a 1,000-node simulation holds half a million.
  let made = urlsByNetwork.get(net);
  if (made === undefined || made.region !== net.region || made.account !== net.account || made.prefix !== net.prefix) {
    made = { region: net.region, account: net.account, prefix: net.prefix, urls: new Map() };
    urlsByNetwork.set(net, made);
  }
  let url = made.urls.get(nodeId);
  if (url === undefined) {
    url = `https://sqs.${net.region}.amazonaws.com/${net.account}/${queueName(net.prefix, nodeId)}`;
    if (made.urls.size >= MADE_URLS_MAX) made.urls.clear();
    made.urls.set(nodeId, url);
  }
  return url;
}

/** Naming-scheme URLs kept per network; past this many the memory starts over. */
const MADE_URLS_MAX = 20_000;

/** The URLs queueUrlOf made, per network object; its fields are compared too, in case a caller changes them. */
const urlsByNetwork = new WeakMap<NetworkId, { region: string; account: string; prefix: string; urls: Map<string, string> }>();

export type UrlVerdict =
  | { ok: true; url: string }
  | { ok: false; reason: UrlRejectReason; detail: string };
export type UrlRejectReason =
  | "not_a_url"
  | "not_canonical"
  | "credentials_in_url"
  | "wrong_scheme"
  | "wrong_host"
  | "wrong_port"
  | "wrong_account"
  | "wrong_queue"
  | "other_node";

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * docs/protocol.md §4, allowed queue URLs (URL-5 to URL-7): the node only ever sends to queues of
 * its own network, so it can never be turned into a relay to an address
 * someone typed. `nodeId`, when given, is the node the URL is claimed for: a
 * URL naming another node's queue is refused, so nobody can redirect a
 * peer's traffic by announcing its queue as theirs.
 */
export function checkQueueUrl(net: NetworkId, url: string, nodeId?: string): UrlVerdict {
  if (nodeId === undefined) return judgeQueueUrl(net, url, undefined);
  const allowed = allowedUrls(net);
  if (allowed.get(url) === nodeId) return { ok: true, url };
  const verdict = judgeQueueUrl(net, url, nodeId);
  if (verdict.ok) {
    if (allowed.size >= ALLOWED_URLS_MAX) allowed.clear();
    allowed.set(url, nodeId);
  }
  return verdict;
}

/** Accepted (URL, node id) pairs remembered per network; past this many the memory starts over. */
export const ALLOWED_URLS_MAX = 10_000;

interface AllowedUrls {
  region: string;
  account: string;
  prefix: string;
  localPort: number | undefined;
  /** URL -> the node it was accepted for. */
  urls: Map<string, string>;
}

/**
 * A node checks the same few hundred URLs over and over (every PEER_LIST
 * names 49), and parsing each as a URL was a large share of a big
 * simulation's time. The verdict depends on the network's fields, the URL
 * and the node id alone, so an accepted pair is accepted again; the fields
 * are compared too, in case a caller changes its network object.
 */
const allowedByNetwork = new WeakMap<NetworkId, AllowedUrls>();

function allowedUrls(net: NetworkId): Map<string, string> {
  let a = allowedByNetwork.get(net);
  if (a === undefined || a.region !== net.region || a.account !== net.account || a.prefix !== net.prefix || a.localPort !== net.localPort) {
    a = { region: net.region, account: net.account, prefix: net.prefix, localPort: net.localPort, urls: new Map() };
    allowedByNetwork.set(net, a);
  }
  return a.urls;
}

function judgeQueueUrl(net: NetworkId, url: string, nodeId: string | undefined): UrlVerdict {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, reason: "not_a_url", detail: "not a URL" };
  }
  // The parser strips tabs and newlines, resolves `..` and `%2e`, lowercases
  // the host and drops a default port: what it checked is then not the text
  // we would hand on. Only a URL already in its parsed form is sent to.
  if (u.href !== url) {
    return { ok: false, reason: "not_canonical", detail: "differs from its parsed form (whitespace, dot segments, case or a default port)" };
  }
  if (u.username || u.password) return { ok: false, reason: "credentials_in_url", detail: "URL carries credentials" };
  if (u.search || u.hash) return { ok: false, reason: "wrong_queue", detail: "URL has a query or fragment" };
  const host = u.hostname.toLowerCase();
  const awsHost = `sqs.${net.region}.amazonaws.com`;
  const parts = u.pathname.split("/");
  // ["", account, queue-name]
  if (parts.length !== 3) return { ok: false, reason: "wrong_queue", detail: "path is not /<account>/<queue>" };
  const [, account, name] = parts as [string, string, string];

  if (host === awsHost) {
    if (u.protocol !== "https:") return { ok: false, reason: "wrong_scheme", detail: "AWS queue URLs are https" };
    if (u.port !== "") return { ok: false, reason: "wrong_port", detail: `port ${u.port} on an AWS URL` };
    if (account !== net.account) return { ok: false, reason: "wrong_account", detail: `account ${account.slice(0, 20)}` };
  } else if (net.localPort !== undefined && (LOCAL_HOSTS.has(host) || host.endsWith(".localhost"))) {
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      return { ok: false, reason: "wrong_scheme", detail: `scheme ${u.protocol}` };
    }
    if (Number(u.port || (u.protocol === "https:" ? 443 : 80)) !== net.localPort) {
      return { ok: false, reason: "wrong_port", detail: `port ${u.port || "default"}, the embedded SQS is on ${net.localPort}` };
    }
    if (!/^\d{12}$/.test(account)) return { ok: false, reason: "wrong_account", detail: "account is not 12 digits" };
  } else {
    return { ok: false, reason: "wrong_host", detail: `host ${host.slice(0, 60)}` };
  }

  const prefix = `${net.prefix}-node-`;
  if (!name.startsWith(prefix) || !name.endsWith("-p2p")) {
    return { ok: false, reason: "wrong_queue", detail: `queue ${name.slice(0, 80)} is not ${prefix}<id>-p2p` };
  }
  const id = name.slice(prefix.length, -"-p2p".length);
  if (!NODE_ID_RE.test(id)) return { ok: false, reason: "wrong_queue", detail: "queue names no valid node id" };
  if (nodeId !== undefined && id !== nodeId) {
    return { ok: false, reason: "other_node", detail: `queue of ${id}, claimed for ${nodeId}` };
  }
  return { ok: true, url };
}

/** The node id a queue URL names, by the naming scheme, or null. */
export function nodeIdOfQueueUrl(prefix: string, url: string): string | null {
  const name = url.slice(url.lastIndexOf("/") + 1);
  const head = `${prefix}-node-`;
  if (!name.startsWith(head) || !name.endsWith("-p2p")) return null;
  const id = name.slice(head.length, -"-p2p".length);
  return NODE_ID_RE.test(id) ? id : null;
}
