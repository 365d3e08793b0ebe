#!/usr/bin/env python3
"""A complete P2P node in Python with boto3, written as a student would from
the lab notebook and the protocol (docs/protocol.md, whose requirement ids
the comments cite): long-lived, polls its own
queue, answers and gossips, detects failures, reports views, audits them with
a weighted vote, keeps reputations and chokes.

It is a test fixture: `fleet check` is graded against it. PLANTED_BUG=<name>
switches on exactly one realistic bug (the table BUGS below), so that the
tests can show each is failed by the case that names it.

Settings come from the environment a `command:` node gets (NODE_ID,
QUEUE_URL, AWS_ENDPOINT_URL_SQS, AWS_REGION, BOOTSTRAP, P2P_*); unset ones
take the protocol's defaults. Run: `python3 p2p_node.py` (SIGTERM or Ctrl-C
stops it cleanly).
"""
import calendar
import hashlib
import json
import math
import os
import queue
import random
import re
import signal
import sys
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from urllib.parse import urlsplit

# One realistic bug each, by the area of the protocol it breaks.
BUGS = {
    # discovery
    "no-peer-list": "adds a HELLO's sender but never answers it with a PEER_LIST",
    "peer-list-without-self": "answers HELLO with its peers only, not itself first",
    # liveness
    "pong-wrong-seq": "answers a PING with seq + 1",
    "no-ping": "stops PINGing its peers after the first heartbeat",
    # transport realities
    "no-dedupe": "dedupes on the SQS MessageId, so a message sent again is handled again",
    "crash-on-bad-body": "parses every body as JSON unguarded: a bad one kills the process",
    # what it sends
    "timestamp-no-offset": "stamps messages with datetime.utcnow().isoformat(), no offset",
    "reused-msg-id": "makes msg_ids from the clock's seconds, so messages in one second share one",
    # views and audits
    "wrong-epoch": "rounds instead of flooring unix_seconds / epoch_s for its counts",
    "confidence-percent": "publishes confidence as a percentage (0..100)",
    "voters-all-peers": "lists every known peer as a voter, reported or not",
    # reputation and choking
    "never-chokes": "chokes only flagged peers, whatever they contributed (or whether they live)",
    "choke-every-rechoke": "sends CHOKE/UNCHOKE at every rechoke, changed or not",
    # failure detection
    "gossips-dead": "keeps dead peers in its PEER_LISTs",
}

TYPES = ("HELLO", "PEER_LIST", "PING", "PONG", "VIEW_EVENT", "AUDIT_RESULT", "CHOKE", "UNCHOKE")
NODE_ID_RE = re.compile(r"[a-z0-9-]{1,40}")
# ISO 8601 with an offset; fractions of any length (Python sends microseconds).
TIMESTAMP_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
BODY_BYTES_MAX = 256 * 1024
COUNT_MAX = 2**53 - 1  # what every JSON reader can hold exactly

# Bounds (BOUND-1..5 and the numbers of §6): no peer can make a table grow without end.
PEERS_MAX = 500
PEER_LIST_MAX = 50
GOSSIP_FANOUT = 3
SUSPECT_BEATS, DEAD_BEATS, DEAD_PING_EVERY, FORGET_BEATS = 3, 6, 6, 30
JOIN_RETRY_BEATS, JOIN_RETRY_MAX_S = 3, 60.0
DEDUPE_MAX, DEDUPE_WINDOW_S = 20_000, 600.0
PENDING_PINGS_MAX = 8
CONTRIBUTION_INTERVALS = GRACE_INTERVALS = 6
VIEW_PAST_EPOCHS, VIEW_FUTURE_S = 4, 60.0
REPORT_GROUPS_MAX = 2_000
REPUTATIONS_MAX = 5_000
AUDIT_REPORTERS_MIN, OWN_WEIGHT = 3, 0.5
FORGETTING, FLAG_BELOW, FLAG_AFTER, UNFLAG_ABOVE = 0.95, 0.7, 8, 0.8
INBOX_BATCHES_MAX = 20
BATCH_BYTES_MAX = 250 * 1024  # SQS takes 256 KiB per SendMessageBatch, all entries together
SENDERS = 8                   # peers sent to in parallel
PENDING_PER_PEER_MAX = 500    # messages held for one peer while its last batch is on its way
RECEIVE_LINGER_S = 0.05       # after a part-full receive, before the next
LISTEN_LAG_MAX_BEATS = 3      # silence is judged at most this far behind the clock
RECENT_AUDITS_MAX = 20
LOG_EVERY_S = 60.0  # a repeated complaint is logged at most once a minute (WIRE-6)

DEFAULT_CONTENT = [
    {"content_id": "show:midnight-run", "ad_id": "ad-7"},
    {"content_id": "show:dawn-patrol", "ad_id": "ad-3"},
    {"content_id": "movie:last-signal", "ad_id": "ad-12"},
]


def fail(text):
    """A bad setting: one line naming it and the fix, exit code 2."""
    print(f"p2p_node: {text}", file=sys.stderr)
    sys.exit(2)


def seconds(env, name, default):
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        v = float(raw)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v > 0):
        fail(f"{name}={raw!r} is not a number of seconds > 0 (e.g. {name}={default:g})")
    return v


def settings(env):
    bug = env.get("PLANTED_BUG", "")
    if bug and bug not in BUGS:
        fail(f"PLANTED_BUG={bug!r} is not one of: {', '.join(BUGS)}")
    me = env.get("NODE_ID", "")
    if not NODE_ID_RE.fullmatch(me):
        fail(f"NODE_ID={me!r}: set it to 1-40 lowercase letters, digits or '-'")
    content = DEFAULT_CONTENT
    if env.get("P2P_CONTENT"):
        try:
            content = json.loads(env["P2P_CONTENT"])
            ok = isinstance(content, list) and all(
                isinstance(c, dict) and is_label(c.get("content_id"), 128) and isinstance(c.get("ad_id"), str) for c in content)
        except ValueError:
            ok = False
        if not ok:
            fail('P2P_CONTENT must be a JSON list of {"content_id": ..., "ad_id": ...}')
    endpoint = env.get("AWS_ENDPOINT_URL_SQS") or env.get("AWS_ENDPOINT_URL") or None
    local_port = None
    if endpoint:
        u = urlsplit(endpoint)
        if (u.hostname or "") in ("127.0.0.1", "localhost", "::1") or (u.hostname or "").endswith(".localhost"):
            local_port = u.port or (443 if u.scheme == "https" else 80)
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    return {
        "me": me, "bug": bug, "region": region, "endpoint": endpoint, "local_port": local_port,
        "prefix": env.get("P2P_PREFIX") or "ds2032", "account": env.get("P2P_ACCOUNT") or "194722398367",
        "bootstrap": [b for b in (x.strip() for x in (env.get("BOOTSTRAP") or "bot-alpha").split(",")) if b and b != me],
        "seed": env.get("P2P_SEED") or "ds2032", "content": content,
        "epoch": seconds(env, "P2P_EPOCH_S", 30.0), "heartbeat": seconds(env, "P2P_HEARTBEAT_S", 10.0),
        "gossip": seconds(env, "P2P_GOSSIP_S", 15.0), "views": seconds(env, "P2P_VIEWS_S", 10.0),
        "audit": seconds(env, "P2P_AUDIT_S", 30.0), "rechoke": seconds(env, "P2P_RECHOKE_S", 10.0),
        "optimistic": seconds(env, "P2P_OPTIMISTIC_S", 30.0),
    }


# --- the view model (docs/protocol.md §7) ----------------------------------

def epoch_of(unix_s, epoch_s):
    """MODEL-1."""
    return math.floor(unix_s / epoch_s)


def true_count(seed, content_id, epoch):
    """MODEL-2: what every honest reporter says for this item and epoch."""
    digest = hashlib.sha256(f"{seed}:{content_id}:{epoch}".encode("utf-8")).digest()
    return 100 + int.from_bytes(digest[:4], "big") % 900


# --- reading messages (docs/protocol.md §2, §3) ----------------------------

def parse_timestamp(text):
    """Unix seconds, or None when it is not ISO 8601 with an offset (FIELD-5)."""
    m = TIMESTAMP_RE.fullmatch(text) if isinstance(text, str) and len(text) <= 64 else None
    if not m:
        return None
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and s <= 60):
        return None
    off = m.group(8)
    offset = 0 if off == "Z" else (1 if off[0] == "+" else -1) * (int(off[1:3]) * 3600 + int(off[4:6]) * 60)
    frac = float("0." + m.group(7)) if m.group(7) else 0.0
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) + frac - offset


def is_label(v, max_len):
    """FIELD-6, FIELD-7: bounded text without control characters."""
    return isinstance(v, str) and 1 <= len(v) <= max_len and not CONTROL_RE.search(v)


def is_count(v):
    # JSON has one number type: 7.0 is the integer 7; true is not a number.
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return (isinstance(v, int) or (math.isfinite(v) and v.is_integer())) and 0 <= v <= COUNT_MAX


def is_node_id(v):
    return isinstance(v, str) and NODE_ID_RE.fullmatch(v) is not None


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def parse(body, bug):
    """(message, None) or (None, (reason, detail)) by the rules of WIRE-2, WIRE-6, FIELD-1..7 and
    each type's fields (HELLO-1, PEERS-1, PING-3, VIEW-1, AUDIT-1, ID-1). Unknown fields are
    ignored (WIRE-5). Never raises (unless planted)."""
    if len(body.encode("utf-8")) > BODY_BYTES_MAX:
        return None, ("too_large", f"body over {BODY_BYTES_MAX} bytes")
    if bug == "crash-on-bad-body":
        m = json.loads(body)
    else:
        try:
            m = json.loads(body, parse_constant=_no_constants)
        except (ValueError, RecursionError):
            return None, ("not_json", "body is not JSON")
    if not isinstance(m, dict):
        return None, ("not_object", f"body is {type(m).__name__}, not a JSON object")
    t = m.get("type")
    if t is None:
        return None, ("missing_type", "no `type` field")
    if t not in TYPES:
        return None, ("unknown_type", f"type {str(t)[:40]!r} is not one of {', '.join(TYPES)}")
    checks = [("sender", is_node_id(m.get("sender"))), ("msg_id", is_label(m.get("msg_id"), 64)),
              ("timestamp", parse_timestamp(m.get("timestamp")) is not None)]
    if t == "HELLO":
        checks.append(("queue_url", isinstance(m.get("queue_url"), str) and len(m["queue_url"]) <= 2048))
    elif t == "PEER_LIST":
        peers = m.get("peers")
        checks.append(("peers", isinstance(peers, list) and all(
            isinstance(e, dict) and is_node_id(e.get("node_id"))
            and (e.get("queue_url") is None or (isinstance(e["queue_url"], str) and len(e["queue_url"]) <= 2048))
            for e in peers)))
    elif t in ("PING", "PONG"):
        checks.append(("seq", is_count(m.get("seq"))))
    elif t == "VIEW_EVENT":
        checks += [("event_id", is_label(m.get("event_id"), 128)), ("content_id", is_label(m.get("content_id"), 128)),
                   ("count", is_count(m.get("count"))),
                   ("ad_id", m.get("ad_id") is None or (isinstance(m["ad_id"], str) and len(m["ad_id"]) <= 128))]
    elif t == "AUDIT_RESULT":
        c, voters = m.get("confidence"), m.get("voters")
        checks += [("content_id", is_label(m.get("content_id"), 128)), ("agreed_count", is_count(m.get("agreed_count"))),
                   ("confidence", isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 1),
                   ("voters", isinstance(voters, list) and len(voters) <= 500 and all(is_node_id(v) for v in voters))]
    for field, ok in checks:
        if not ok:
            return None, ("invalid_field", f"{t}.{field} is missing or malformed")
    return m, None


class Peer:
    def __init__(self, node_id, url, now):
        self.id, self.url = node_id, url
        self.status = "alive"
        self.last_seen = self.known_since = now
        self.dead_beats = 0
        self.pending = OrderedDict()  # seq -> when the PING left
        self.rtt = None
        self.last_contribution = None
        self.choked = False       # we choke it
        self.choking_us = False   # it chokes us
        self.choke_told = None    # when we last sent it CHOKE/UNCHOKE

    @property
    def live(self):
        return self.status != "dead"


class Node:
    """The protocol, without I/O: handle() and tick() fill self.outbox with (peer, url, message)."""

    def __init__(self, cfg, now, log=print):
        self.cfg, self.me, self.bug, self.log = cfg, cfg["me"], cfg["bug"], log
        self.counts = {}            # what was dropped or refused, by kind: printed at exit
        self.logged = {}            # complaint -> when last logged
        self.self_url = self.aws_url(self.me)
        self.started = now
        self.peers = {}
        self.seen = OrderedDict()   # (sender, msg_id) -> when; bounded by count and age
        self.seen_events = OrderedDict()
        self.reports = {}           # (content, epoch) -> {reporter: (count, timestamp)}
        self.audited = {}           # (content, epoch) -> epoch
        self.own_audits = OrderedDict()  # (content, epoch) -> agreed count, the latest 20
        self.peer_audits = []       # the latest 20 received, beside our own (AUDIT-2)
        self.reputations = OrderedDict()  # peer -> [agree, disagree, reports, flagged]; outlives the peer
        self.outbox = []
        # Everything sent to us before this time has been handled: when the last handled receive
        # that emptied the queue began. A node that stalls or falls behind (or whose SQS does) has
        # not heard its peers, and must not take that for their silence, nor audit an epoch whose
        # reports still wait in its queue. None: time itself (no receiving loop, as in a simulation).
        self.heard_until = None
        self.seq = 0
        self.beats = 0
        self.joined = False
        self.join_attempts = 0
        self.optimistic = None
        self.rng = random.Random()
        self.timers = {}
        for task in ("heartbeat", "optimistic", "rechoke", "gossip", "views", "audit"):
            self.timers[task] = self.next_slot(task, now)
        for b in cfg["bootstrap"]:  # JOIN-1
            self.add_peer(b, self.aws_url(b), now, "bootstrap")
        self.hello_bootstrap(now)

    def count(self, kind, text=None, now=None):
        """Counts a drop or refusal; its line, if any, at most once a minute per kind (WIRE-6, URL-6)."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if text is not None and (kind not in self.logged or now - self.logged[kind] >= LOG_EVERY_S):
            self.logged[kind] = now
            self.log(f"{text} (counted as {kind}; logged at most once a minute)")

    # -- addresses (docs/protocol.md §4) --
    def queue_name(self, node_id):
        return f"{self.cfg['prefix']}-node-{node_id}-p2p"

    def aws_url(self, node_id):
        """URL-2, the naming scheme; also how we announce ourselves (URL-3)."""
        return f"https://sqs.{self.cfg['region']}.amazonaws.com/{self.cfg['account']}/{self.queue_name(node_id)}"

    def allowed(self, url, node_id):
        """URL-5..7: only queues of our own network, and only the one named for that node: never a relay."""
        try:
            u = urlsplit(url)
            port = u.port
        except ValueError:
            return False
        # Only a URL already in its plain form (no case, whitespace or default port to undo) is passed on.
        if url != url.strip() or u.netloc != u.netloc.lower() or u.netloc.endswith((":443", ":80")) or "/." in u.path:
            return False
        parts = u.path.split("/")
        if u.username or u.password or u.query or u.fragment or len(parts) != 3:
            return False
        host = (u.hostname or "").lower()
        if host == f"sqs.{self.cfg['region']}.amazonaws.com":
            if u.scheme != "https" or port is not None or parts[1] != self.cfg["account"]:
                return False
        elif self.cfg["local_port"] is not None and (host in ("127.0.0.1", "localhost", "::1") or host.endswith(".localhost")):
            if u.scheme not in ("http", "https") or (port or (443 if u.scheme == "https" else 80)) != self.cfg["local_port"]:
                return False
            if not re.fullmatch(r"\d{12}", parts[1]):
                return False
        else:
            return False
        return parts[2] == self.queue_name(node_id)

    def reply_url(self, node_id, announced, now):
        """URL-4, URL-8: the announced URL when allowed, else the naming scheme."""
        if announced is None or self.allowed(announced, node_id):
            return announced or self.aws_url(node_id)
        self.count("url_rejected", f"queue URL {announced[:80]!r} refused for {node_id}", now)
        return self.aws_url(node_id)

    # -- sending --
    def send(self, peer_id, url, msg_type, now, **fields):
        # FIELD-4: UTC with a Z; FIELD-6: a fresh msg_id for every message.
        if self.bug == "timestamp-no-offset":
            stamp = datetime.utcnow().isoformat()
        else:
            stamp = datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        msg_id = format(int(now), "08x")[-8:] if self.bug == "reused-msg-id" else uuid.uuid4().hex[:8]
        msg = {"type": msg_type, "sender": self.me, "timestamp": stamp, "msg_id": msg_id, **fields}
        self.outbox.append((peer_id, url, msg))

    def peer_list_for(self, addressee):
        """PEERS-2, BOUND-1: itself first, then live peers (never the addressee), at most 50 entries."""
        others = [p for p in self.peers.values() if (p.live or self.bug == "gossips-dead") and p.id != addressee]
        if len(others) > PEER_LIST_MAX - 1:
            others = self.rng.sample(others, PEER_LIST_MAX - 1)
        entries = [{"node_id": p.id, "queue_url": p.url} for p in others]
        if self.bug == "peer-list-without-self":
            return entries
        return [{"node_id": self.me, "queue_url": self.self_url}] + entries

    def served(self):
        """Views, audit results and gossip go to live peers we do not choke (FAIL-4, RECHOKE-5)."""
        return [p for p in self.peers.values() if p.live and not p.choked]

    # -- the peers table --
    def add_peer(self, node_id, url, now, via):
        """BOUND-3: at most 500; a full table forgets its longest-dead peer to make room."""
        if node_id == self.me:
            return None
        if node_id in self.peers:
            return self.peers[node_id]
        if len(self.peers) >= PEERS_MAX:
            dead = [p for p in self.peers.values() if p.status == "dead"]
            if not dead:
                self.count("peers_table_full", f"peer table full: {node_id} turned away", now)
                return None
            self.forget(min(dead, key=lambda p: p.last_seen).id)
        p = self.peers[node_id] = Peer(node_id, url, now)
        self.log(f"peer {node_id} added via {via}")
        return p

    def forget(self, node_id):
        self.peers.pop(node_id, None)
        if self.optimistic == node_id:
            self.optimistic = None
        self.log(f"peer {node_id} forgotten")

    def set_status(self, p, status):
        if p.status != status:
            self.log(f"peer {p.id} {p.status} -> {status}")
            p.status = status
            if status != "dead":
                p.dead_beats = 0

    def heard_from(self, p, now):
        """FAIL-1: any message is a sign of life. CHOKE-5: a peer back from silence may have missed
        our last CHOKE/UNCHOKE, so it is told again."""
        back, last = p.status != "alive", p.last_seen
        p.last_seen = max(p.last_seen, now)
        self.set_status(p, "alive")
        if back and p.choke_told is not None and p.choke_told >= last:
            self.tell_choke(p, now)

    def sender_peer(self, node_id, now):
        """PING-4, VIEW-6, AUDIT-5: a sender taking part becomes a peer by the naming scheme."""
        p = self.peers.get(node_id) or self.add_peer(node_id, self.aws_url(node_id), now, "message")
        if p:
            self.heard_from(p, now)
        return p

    # -- receiving (docs/protocol.md §3) --
    def first_seen(self, table, key, now):
        """WIRE-4, VIEW-3: remembered for 10 minutes, at most 20,000 keys."""
        while table and (len(table) > DEDUPE_MAX or next(iter(table.values())) < now - DEDUPE_WINDOW_S):
            table.popitem(last=False)
        if key in table:
            return False
        table[key] = now
        return True

    def handle(self, body, now, sqs_id=None):
        m, why = parse(body, self.bug)
        if m is None:  # WIRE-6: counted, logged once a minute per reason, and deleted by the caller
            reason, detail = why
            self.count(reason, f"message rejected: {detail}", now)
            return
        sender = m["sender"]
        if sender == self.me:  # WIRE-8
            self.count("from_self")
            return
        key = sqs_id if self.bug == "no-dedupe" else (sender, m["msg_id"])
        if not self.first_seen(self.seen, key, now):
            self.count("duplicates")
            return
        getattr(self, "on_" + m["type"].lower())(m, now)

    def on_hello(self, m, now):
        """HELLO-2, HELLO-3: add or refresh the sender; always answer, choked or not, table full or not."""
        url = self.reply_url(m["sender"], m["queue_url"], now)
        p = self.peers.get(m["sender"])
        if p:
            p.url = url
        else:
            p = self.add_peer(m["sender"], url, now, "hello")
        if p:
            self.heard_from(p, now)
        if self.bug != "no-peer-list":
            self.send(m["sender"], url, "PEER_LIST", now, peers=self.peer_list_for(m["sender"]))

    def on_peer_list(self, m, now):
        """PEERS-3..7, BOUND-2, JOIN-3."""
        entries = m["peers"][:PEER_LIST_MAX]
        if len(m["peers"]) > PEER_LIST_MAX:
            self.count("peer_list_over_max", f"PEER_LIST of {len(m['peers'])} entries from {m['sender']}: kept 50", now)
        if m["sender"] not in self.peers:
            own = next((e for e in entries if e["node_id"] == m["sender"]), {})
            self.add_peer(m["sender"], self.reply_url(m["sender"], own.get("queue_url"), now), now, "peer_list")
        if m["sender"] in self.peers:
            self.heard_from(self.peers[m["sender"]], now)
        for e in entries:
            nid = e["node_id"]
            if nid in (self.me, m["sender"]) or nid in self.peers:
                continue
            url = e.get("queue_url") or self.aws_url(nid)
            if not self.allowed(url, nid):
                self.count("url_rejected", f"PEER_LIST entry {nid} dropped: queue URL {url[:80]!r} refused", now)
                continue
            p = self.add_peer(nid, url, now, "peer_list")
            if p:
                self.send(p.id, p.url, "HELLO", now, queue_url=self.self_url)
        if not self.joined:
            self.joined = True
            self.log(f"joined via {m['sender']}")

    def on_ping(self, m, now):
        """PING-1, PING-2: a PONG with the same seq, whether we choke the sender or not."""
        p = self.sender_peer(m["sender"], now)
        seq = m["seq"] + 1 if self.bug == "pong-wrong-seq" else m["seq"]
        self.send(m["sender"], p.url if p else self.aws_url(m["sender"]), "PONG", now, seq=seq)

    def on_pong(self, m, now):
        p = self.peers.get(m["sender"])
        sent = p.pending.pop(m["seq"], None) if p else None
        if sent is None:  # PONG-2: never asked for, or given up on: no round-trip time, no new peer
            self.count("unknown_pong")
        else:
            p.rtt = now - sent
        if p:
            self.heard_from(p, now)  # FAIL-1: from a peer, a sign of life all the same

    def on_view_event(self, m, now):
        """VIEW-2..5: the report for its own timestamp's epoch, once per event, latest wins."""
        p = self.sender_peer(m["sender"], now)
        ts, epoch_s = parse_timestamp(m["timestamp"]), self.cfg["epoch"]
        # Too old to be audited, or further ahead than an honest clock drifts.
        if not p or epoch_of(ts, epoch_s) < epoch_of(now, epoch_s) - VIEW_PAST_EPOCHS or ts > now + VIEW_FUTURE_S:
            self.count("stale_view_event")
            return
        if not self.first_seen(self.seen_events, (m["sender"], m["event_id"]), now):
            self.count("duplicates")
            return
        if self.record(m["sender"], m["content_id"], epoch_of(ts, epoch_s), int(m["count"]), ts):
            p.last_contribution = now
        else:
            self.count("stale_view_event")

    def on_audit_result(self, m, now):
        """AUDIT-2, AUDIT-3: kept beside our own audit of the epoch it most likely covers; it
        counts as a contribution, but never changes our vote or anyone's reputation."""
        p = self.sender_peer(m["sender"], now)
        if not p:
            return
        p.last_contribution = now
        e = epoch_of(parse_timestamp(m["timestamp"]), self.cfg["epoch"])
        own = self.own_audits.get((m["content_id"], e - 1), self.own_audits.get((m["content_id"], e - 2)))
        self.peer_audits = self.peer_audits[-(RECENT_AUDITS_MAX - 1):] + [
            (m["sender"], m["content_id"], m["agreed_count"], None if own is None else own == m["agreed_count"])]

    def on_choke(self, m, now, choking=True):
        """CHOKE-2, CHOKE-3."""
        p = self.peers.get(m["sender"])
        if not p:
            self.count("from_unknown_peer")
            return
        self.heard_from(p, now)
        if p.choking_us != choking:
            p.choking_us = choking
            self.log(f"{p.id} {'chokes' if choking else 'unchokes'} us")

    def on_unchoke(self, m, now):
        self.on_choke(m, now, choking=False)

    def record(self, reporter, content_id, epoch, count, ts):
        """One reporter's latest count per (content, epoch), for the audit (VIEW-4, VOTE-2, BOUND-5)."""
        key = (content_id, epoch)
        if key in self.audited:
            return False
        if key not in self.reports:
            if len(self.reports) >= REPORT_GROUPS_MAX:
                return False
            self.reports[key] = {}
        prev = self.reports[key].get(reporter)
        if prev is None or prev[1] <= ts:
            self.reports[key][reporter] = (count, ts)
        return True

    # -- periodic tasks (docs/protocol.md §6) --
    def next_slot(self, task, now):
        """Tasks run on multiples of their interval of the Unix clock, as the bots' do."""
        period = self.cfg[task]
        return (math.floor(now / period) + 1) * period

    def listened(self, now):
        """Up to when we have heard everything; at worst 3 heartbeats ago, so that a node that
        cannot keep up still notices the dead, if late."""
        if self.heard_until is None:
            return now
        return min(now, max(self.heard_until, now - LISTEN_LAG_MAX_BEATS * self.cfg["heartbeat"]))

    def next_deadline(self):
        return min(self.timers.values())

    def tick(self, now):
        for task in ("join", "heartbeat", "optimistic", "rechoke", "gossip", "views", "audit"):
            if task in self.timers and self.timers[task] <= now:
                if task == "join":
                    del self.timers["join"]
                    if not self.joined:
                        self.hello_bootstrap(now)
                    continue
                getattr(self, "run_" + task)(now)
                self.timers[task] = self.next_slot(task, now)

    def hello_bootstrap(self, now):
        """JOIN-1, JOIN-2, JOIN-4: HELLO to each bootstrap node; again after 3 heartbeats, doubling
        up to a minute, until a PEER_LIST comes."""
        for b in self.cfg["bootstrap"]:
            self.send(b, self.peers[b].url if b in self.peers else self.aws_url(b), "HELLO", now, queue_url=self.self_url)
        self.join_attempts += 1
        first = JOIN_RETRY_BEATS * self.cfg["heartbeat"]
        wait = min(first * 2 ** min(self.join_attempts - 1, 20), max(first, JOIN_RETRY_MAX_S))
        if self.cfg["bootstrap"]:
            self.timers["join"] = now + wait

    def run_heartbeat(self, now):
        """FAIL-2, FAIL-3, FAIL-5; BEAT-1..3: statuses follow silence (suspect 3, dead 6 heartbeats);
        dead peers pinged every 6th beat and forgotten after 30."""
        self.beats += 1
        hb = self.cfg["heartbeat"]
        for p in list(self.peers.values()):
            beats = math.floor(max(0.0, self.listened(now) - p.last_seen) / hb)
            status = "dead" if beats >= DEAD_BEATS else "suspect" if beats >= SUSPECT_BEATS else "alive"
            if ("alive", "suspect", "dead").index(status) > ("alive", "suspect", "dead").index(p.status):
                self.set_status(p, status)
            if p.status == "dead":
                p.dead_beats += 1
                # Bootstrap nodes are never forgotten: after a long partition they are the way back.
                if p.dead_beats >= FORGET_BEATS and p.id not in self.cfg["bootstrap"]:
                    self.forget(p.id)
                    continue
                if p.dead_beats % DEAD_PING_EVERY != 0:
                    continue
            if self.bug == "no-ping" and self.beats > 1:
                continue
            self.seq += 1
            p.pending[self.seq] = now
            while len(p.pending) > PENDING_PINGS_MAX:
                p.pending.popitem(last=False)
            self.send(p.id, p.url, "PING", now, seq=self.seq)

    def run_gossip(self, now):
        """GOSSIP-1, GOSSIP-2."""
        served = self.served() if self.bug != "gossips-dead" else [p for p in self.peers.values() if not p.choked]
        for p in self.rng.sample(served, min(GOSSIP_FANOUT, len(served))):
            self.send(p.id, p.url, "PEER_LIST", now, peers=self.peer_list_for(p.id))

    def run_views(self, now):
        """PUB-1..3, MODEL-4: this epoch's true count of each hosted item, one event_id per item and
        round, to every unchoked live peer; ours counts in our own audit."""
        epoch_s = self.cfg["epoch"]
        epoch = round(now / epoch_s) if self.bug == "wrong-epoch" else epoch_of(now, epoch_s)
        targets = self.served()
        for item in self.cfg["content"]:
            count = true_count(self.cfg["seed"], item["content_id"], epoch)
            self.record(self.me, item["content_id"], epoch_of(now, epoch_s), count, now)
            event_id = f"evt-{uuid.uuid4().hex[:8]}"
            for p in targets:
                self.send(p.id, p.url, "VIEW_EVENT", now, event_id=event_id, content_id=item["content_id"],
                          count=count, ad_id=item["ad_id"])

    def reputation(self, peer_id):
        return self.reputations.get(peer_id, [0.0, 0.0, 0, False])

    @staticmethod
    def score(rep):
        return (rep[0] + 1) / (rep[0] + rep[1] + 2)

    def run_audit(self, now):
        """VOTE-1..6 on each finished (content, epoch), once; AUDIT-4; then reputations (REP-1)."""
        epoch_s = self.cfg["epoch"]
        for key in sorted(self.reports):
            content_id, epoch = key
            # After its end and one more views interval, heard through to the end (a report still in
            # our queue is not late), and only epochs this node lived through.
            if (epoch + 1) * epoch_s + self.cfg["views"] > self.listened(now) or epoch * epoch_s < self.started:
                continue
            group = self.reports[key]
            if len(group) < AUDIT_REPORTERS_MIN:
                continue
            weights = {}
            for reporter, (count, _) in group.items():
                w = OWN_WEIGHT if reporter == self.me else self.score(self.reputation(reporter))
                weights[count] = weights.get(count, 0.0) + w
            agreed = min(weights, key=lambda c: (-weights[c], c))
            share = weights[agreed] / sum(weights.values())
            confidence = math.floor(share * 100 + 0.5) / 100
            if self.bug == "confidence-percent":
                confidence = round(share * 100, 1)
            voters = list(group)
            if self.bug == "voters-all-peers":
                voters = [self.me] + list(self.peers)
            del self.reports[key]
            self.audited[key] = epoch
            self.own_audits[key] = agreed
            while len(self.own_audits) > RECENT_AUDITS_MAX:
                self.own_audits.popitem(last=False)
            for reporter, (count, _) in group.items():
                if reporter != self.me:
                    self.rate(reporter, count == agreed)
            for p in self.served():
                self.send(p.id, p.url, "AUDIT_RESULT", now, content_id=content_id, agreed_count=agreed,
                          confidence=confidence, voters=voters[:500])
        oldest = epoch_of(now, epoch_s) - VIEW_PAST_EPOCHS
        for key in [k for k in self.reports if k[1] < oldest]:
            del self.reports[key]
        for key in [k for k, e in self.audited.items() if e < oldest]:
            del self.audited[key]

    def rate(self, peer_id, agreed):
        """REP-2..4, REP-7: beta score with forgetting 0.95; flagged below 0.7 after 8 reports,
        unflagged only above 0.8. Kept apart from the peers table, so it outlives a forgotten peer (REP-5)."""
        agree, disagree, reports, flagged = self.reputation(peer_id)
        rep = [agree * FORGETTING + (1 if agreed else 0), disagree * FORGETTING + (0 if agreed else 1), reports + 1, flagged]
        s = self.score(rep)
        rep[3] = s <= UNFLAG_ABOVE if flagged else (rep[2] >= FLAG_AFTER and s < FLAG_BELOW)
        self.reputations.pop(peer_id, None)
        if len(self.reputations) >= REPUTATIONS_MAX:
            victim = next((k for k, r in self.reputations.items() if not r[3]), next(iter(self.reputations)))
            del self.reputations[victim]
        self.reputations[peer_id] = rep
        if rep[3] != flagged:
            self.log(f"{'flagged' if rep[3] else 'unflagged'} {peer_id}: score {s:.2f} after {rep[2]} reports")

    def run_optimistic(self, now):
        self.rechoke(now, rotate=True)

    def run_rechoke(self, now):
        self.rechoke(now, rotate=False)

    def earns_unchoke(self, p, now):
        """RECHOKE-2: live, not flagged, and contributed in the last 6 rechokes or known for less than that."""
        if self.bug == "never-chokes":
            return not self.reputation(p.id)[3]
        window = CONTRIBUTION_INTERVALS * self.cfg["rechoke"]
        contributed = p.last_contribution is not None and now - p.last_contribution <= window
        newcomer = now - p.known_since < GRACE_INTERVALS * self.cfg["rechoke"]
        return p.live and not self.reputation(p.id)[3] and (contributed or newcomer)

    def rechoke(self, now, rotate):
        """RECHOKE-2..4; CHOKE-4: CHOKE/UNCHOKE only when the decision changes."""
        earns = {p.id: self.earns_unchoke(p, now) for p in self.peers.values()}
        may = lambda p: p.live and not self.reputation(p.id)[3]  # noqa: E731
        holder = self.peers.get(self.optimistic)
        if rotate or holder is None or not may(holder):
            candidates = [p.id for p in self.peers.values() if not earns[p.id] and may(p)]
            self.optimistic = self.rng.choice(candidates) if candidates else None
        for p in self.peers.values():
            choke = not (earns[p.id] or p.id == self.optimistic)
            if choke != p.choked:
                p.choked = choke
                self.log(f"{'choked' if choke else 'unchoked'} {p.id}{' (optimistic)' if p.id == self.optimistic and not choke else ''}")
            elif self.bug != "choke-every-rechoke":
                continue
            self.tell_choke(p, now)

    def tell_choke(self, p, now):
        p.choke_told = now
        self.send(p.id, p.url, "CHOKE" if p.choked else "UNCHOKE", now)


# --- the I/O around it: boto3, a receiving thread, signals ---------------

def main():
    cfg = settings(os.environ)  # a bad setting fails before anything else is loaded
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    sqs = boto3.client("sqs", region_name=cfg["region"], endpoint_url=cfg["endpoint"],
                       config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30,
                                     max_pool_connections=SENDERS + 2,  # senders, receiver, deleter: none waits
                                     parameter_validation=False))  # we build every request ourselves
    my_url = os.environ.get("QUEUE_URL") or f"https://sqs.{cfg['region']}.amazonaws.com/{cfg['account']}/{cfg['prefix']}-node-{cfg['me']}-p2p"
    stopping = threading.Event()
    inbox = queue.Queue(maxsize=INBOX_BATCHES_MAX)
    missing_own_queue = threading.Event()

    def on_signal(signum, _frame):
        stopping.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def missing(err):
        return isinstance(err, ClientError) and "NonExistentQueue" in err.response.get("Error", {}).get("Code", "") \
            or "QueueDoesNotExist" in str(err)

    def receiver():
        """Long-polls our queue (WIRE-1); the main thread handles, then deletes (WIRE-7). Errors back off,
        never end the node."""
        backoff = 0.5
        while not stopping.is_set():
            try:
                if missing_own_queue.is_set():  # the embedded SQS may start without our queue
                    sqs.create_queue(QueueName=f"{cfg['prefix']}-node-{cfg['me']}-p2p")
                    missing_own_queue.clear()
                began = time.time()
                got = sqs.receive_message(QueueUrl=my_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
                backoff = 0.5
            except Exception as e:  # noqa: BLE001 -- whatever it is, the node must go on receiving
                if missing(e) and cfg["local_port"] is not None and not missing_own_queue.is_set():
                    missing_own_queue.set()
                    continue
                print(f"receive failed: {str(e)[:200]}; retrying in {backoff:g} s", flush=True)
                stopping.wait(backoff)
                backoff = min(backoff * 2, 20)
                continue
            inbox.put((began, got))  # empty too: it tells how long we have listened
            if 0 < len(got) < 10:
                # Let a few more arrive: one receive (and one delete) for several messages, not one each.
                stopping.wait(RECEIVE_LINGER_S)

    node = Node(cfg, time.time())
    print(f"{cfg['me']} up on {my_url}" + (f" with planted bug {cfg['bug']}: {BUGS[cfg['bug']]}" if cfg["bug"] else ""), flush=True)
    senders = ThreadPoolExecutor(max_workers=SENDERS)
    thread = threading.Thread(target=receiver, name="receiver", daemon=True)
    thread.start()

    def send_batch(job):
        peer_id, url, bodies = job
        try:
            r = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)])
            for f in r.get("Failed", []):
                node.count("send_failed", f"send to {peer_id} failed: {f.get('Code')} {f.get('Message', '')[:200]}", time.time())
        except (BotoCoreError, ClientError) as e:
            # WIRE-9: a missing queue is a fact about that peer (silence), not a reason to retry.
            if missing(e):
                node.count("queue_missing")
            else:
                node.count("send_failed", f"send to {peer_id} failed: {str(e)[:200]}", time.time())

    pending = {}       # url -> (peer, bodies) waiting for that peer's batch on its way
    on_the_way = set()  # urls with a batch on its way: one at a time per peer keeps its messages in order
    sending = threading.Lock()

    def send_all(peer_id, url, bodies):
        try:
            batch = []
            for b in bodies:
                if len(batch) == 10 or sum(map(len, batch)) + len(b) > BATCH_BYTES_MAX:
                    send_batch((peer_id, url, batch))
                    batch = []
                batch.append(b)
            if batch:
                send_batch((peer_id, url, batch))
        finally:
            with sending:
                on_the_way.discard(url)

    def flush():
        """What the node has to say, one SendMessageBatch per peer and up to 10 messages, peers in
        parallel, without waiting for them: one request per message would leave PONGs waiting behind
        a round of views, and one slow request must not hold up the rest of the node."""
        for peer_id, url, msg in node.outbox:
            bodies = pending.setdefault(url, (peer_id, []))[1]
            if len(bodies) >= PENDING_PER_PEER_MAX:  # a peer whose sends hang does not grow memory
                bodies.pop(0)
                node.count("send_dropped")
            bodies.append(json.dumps(msg))
        node.outbox.clear()
        with sending:
            for url in [u for u in pending if u not in on_the_way]:
                peer_id, bodies = pending.pop(url)
                on_the_way.add(url)
                senders.submit(send_all, peer_id, url, bodies)

    def delete(receipts):
        for i in range(0, len(receipts), 10):
            try:
                sqs.delete_message_batch(QueueUrl=my_url, Entries=[{"Id": str(j), "ReceiptHandle": r} for j, r in enumerate(receipts[i:i + 10])])
            except (BotoCoreError, ClientError) as e:
                node.count("delete_failed", f"delete failed: {str(e)[:200]}", time.time())

    while not stopping.is_set():
        # Everything received so far, then the tasks due, then one flush: a peer's PONG and this
        # tick's PING and views share one request, and a backlog is worked off before an audit.
        wait = max(0.0, min(node.next_deadline() - time.time(), 0.05 if pending else 1.0))
        batches = []
        try:
            batches.append(inbox.get(timeout=wait) if wait > 0 else inbox.get_nowait())
            while len(batches) < INBOX_BATCHES_MAX:
                batches.append(inbox.get_nowait())
        except queue.Empty:
            pass
        receipts = []
        for began, got in batches:
            for m in got:
                node.handle(m["Body"], time.time(), m.get("MessageId"))
                receipts.append(m["ReceiptHandle"])
            if len(got) < 10:  # a full receive may have left more behind
                node.heard_until = max(node.heard_until or 0.0, began)
        node.tick(time.time())
        flush()
        delete(receipts)  # WIRE-7: only once handled and answered
    end = time.time() + 3
    while (pending or on_the_way) and time.time() < end:  # what is still to say, within a bound
        flush()
        time.sleep(0.02)
    senders.shutdown()
    thread.join(timeout=3)
    print(f"{cfg['me']} stopped; counted: {json.dumps(node.counts, sort_keys=True)}", flush=True)


if __name__ == "__main__":
    main()
