"""Support for the fault-injection suite (tests/reliability/): the local SMTP sink and SMS
gateway as restartable processes with runtime failure modes, rosters of many units, the
ledger that compares what the store planned with what each server received, process
probes (RSS, open descriptors) and the result record each scenario returns.

Every wait here is bounded: `wait_until` takes a timeout and raises on expiry.
Standard library only (Debian's /usr/bin/python3); the servers need python3-aiosmtpd."""

import collections
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("DONDOC_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
SERVERS = os.path.join(SOURCE, "tests", "servers")
PYTHON = "/usr/bin/python3"


class ScenarioFailure(AssertionError):
    pass


def wait_until(pred, timeout, what, poll=0.2):
    """Polls `pred` until it is true; raises ScenarioFailure naming `what` after `timeout` s."""
    deadline = time.time() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.time() >= deadline:
            raise ScenarioFailure("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(poll)


def log(msg):
    print("    " + msg, flush=True)


# --- servers -------------------------------------------------------------------------------


class _Server:
    """A test server started as a child process; its first stdout line is the bound port."""

    def __init__(self, workdir, name, lifetime):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.mode_file = os.path.join(self.dir, "mode")
        self.lifetime = lifetime
        self.proc = None
        self.port = 0

    def _args(self):
        raise NotImplementedError

    def start(self):
        self.proc = subprocess.Popen(self._args(), stdout=subprocess.PIPE, stderr=open(os.path.join(self.dir, "stderr"), "ab"))
        line = self.proc.stdout.readline()  # the server writes its port at once, or exits
        if not line.strip():
            raise ScenarioFailure("%s did not start (see %s/stderr)" % (type(self).__name__, self.dir))
        self.port = int(line)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def log_file(self):
        raise NotImplementedError

    def lines_logged(self):
        """Complete lines in the server's log so far: a cheap progress count (one line per
        message or request received), for polling many times a second."""
        try:
            with open(self.log_file(), "rb") as f:
                return f.read().count(b"\n")
        except FileNotFoundError:
            return 0

    def set_mode(self, mode):
        with open(self.mode_file + ".tmp", "w") as f:
            f.write(mode + "\n")
        os.replace(self.mode_file + ".tmp", self.mode_file)


class SmtpSink(_Server):
    """tests/servers/smtp_server.py without TLS or AUTH; restartable on the same port."""

    def __init__(self, workdir, name="smtp", lifetime=3600):
        super().__init__(workdir, name, lifetime)
        self.set_mode("none")

    def _args(self):
        return [PYTHON, os.path.join(SERVERS, "smtp_server.py"), "--outdir", self.dir, "--port", str(self.port),
                "--no-store", "--mode-file", self.mode_file, "--lifetime", str(self.lifetime)]

    def log_file(self):
        return os.path.join(self.dir, "received.jsonl")

    def records(self):
        path = self.log_file()
        if not os.path.exists(path):
            return []
        out = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n"):  # a line being written is read next time
                    out.append(json.loads(line))
        return out

    def accepted_keys(self):
        """One entry per message the sink accepted (250 after DATA)."""
        return [r["key"] for r in self.records()]


class SmsGateway(_Server):
    """tests/servers/sms_gateway.py; `provider` decides how a request names its key."""

    def __init__(self, workdir, name="sms", lifetime=3600, slow_seconds=10):
        super().__init__(workdir, name, lifetime)
        self.log_path = os.path.join(self.dir, "requests.jsonl")
        self.slow_seconds = slow_seconds
        self.set_mode("ok")

    def _args(self):
        return [PYTHON, os.path.join(SERVERS, "sms_gateway.py"), "--log", self.log_path, "--port", str(self.port),
                "--mode-file", self.mode_file, "--slow-seconds", str(self.slow_seconds),
                "--lifetime", str(self.lifetime)]

    def log_file(self):
        return self.log_path

    def records(self):
        if not os.path.exists(self.log_path):
            return []
        out = []
        with open(self.log_path, encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n"):
                    out.append(json.loads(line))
        return out

    @staticmethod
    def _key(r):
        b = r.get("body")
        if isinstance(b, dict):
            return b.get("key") or b.get("RequestId") or ""
        return ""

    def accepted_keys(self):
        """One entry per SMS the gateway accepted for delivery to a phone: a 200 answer of
        the generic provider; for eSMS, the first 200 per RequestId (later ones were
        answered 124 "duplicate" and not sent again, as eSMS de-duplicates)."""
        out, seen_esms = [], set()
        for r in self.records():
            if r.get("status") != 200:
                continue
            k = self._key(r)
            if r.get("provider") == "esms":
                if k in seen_esms:
                    continue
                seen_esms.add(k)
            out.append(k)
        return out

    def request_count(self):
        return len(self.records())


# --- rosters -------------------------------------------------------------------------------


PHONE_BASE = {"u": 0, "r": 50_000_000, "x": 60_000_000}


def units_toml(n, prefix="u", email=True, phone=True, start=0):
    """`n` units PREFIXNNNNN with a focal official (email, mobile) and a head (email)."""
    out = []
    for i in range(start, start + n):
        uid = "%s%05d" % (prefix, i)
        lines = ['[[units]]', 'id = "%s"' % uid, 'name = "Đơn vị thử %s"' % uid, 'kind = "xa"',
                 '[[units.contacts]]', 'id = "%s-focal"' % uid, 'name = "Cán bộ %s"' % uid, 'roles = ["focal"]']
        if email:
            lines.append('email = "%s@xa.example"' % uid)
        if phone:
            lines.append('phone = "09%08d"' % (i + PHONE_BASE.get(prefix, 70_000_000)))
        lines.append('[[units.contacts]]\nid = "%s-head"\nname = "Chủ tịch %s"\nroles = ["head"]\nemail = "head.%s@xa.example"'
                     % (uid, uid, uid))
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)


def rfc3339(dt):
    return dt.replace(microsecond=0).isoformat()


def reminder_report(rid, deadline, befores, channels=("email", "sms"), units='["all"]', escalation=""):
    """A one-off report due at `deadline` with one reminder step per `before` (seconds)."""
    ch = ", ".join('"%s"' % c for c in channels)
    steps = ",\n".join('  { id = "r%d", before = "%ds", to = ["focal"], channels = [%s] }' % (i, b, ch)
                       for i, b in enumerate(befores))
    esc = ""
    if escalation:
        esc = "escalation = [\n%s\n]\n" % escalation
    return f"""
[[reports]]
id = "{rid}"
title = "Báo cáo thử độ tin cậy {rid}"
units = {units}
deadline = {{ at = {rfc3339(deadline)} }}
reminders = [
{steps}
]
{esc}"""


def channels_toml(smtp_port=None, sms_port=None, provider="http", email_concurrency=8, sms_concurrency=8,
                  sms_timeout=5, email_timeout=20):
    out = []
    if smtp_port:
        out.append(f'[channels.email]\nurl = "smtp://127.0.0.1:{smtp_port}"\ntls = "none"\n'
                   f'from = "Sở Nội vụ <dondoc@snv.example>"\nconcurrency = {email_concurrency}\n'
                   f'timeout = "{email_timeout}s"\n')
    if sms_port:
        if provider == "esms":
            out.append(f'[channels.sms]\nprovider = "esms"\n'
                       f'url = "http://127.0.0.1:{sms_port}/MainService.svc/json/SendMultipleMessage_V4_post_json/"\n'
                       f'api_key_file = "esms-api-key"\nsecret_key_file = "esms-secret-key"\nbrandname = "SNV-QNGAI"\n'
                       f'reply_number = "8077"\nmo_keyword = "SNV"\nmo_secret_file = "sms-mo-secret"\n'
                       f'concurrency = {sms_concurrency}\ntimeout = "{sms_timeout}s"\n')
        else:
            out.append(f'[channels.sms]\nprovider = "http"\nurl = "http://127.0.0.1:{sms_port}/send"\n'
                       "body = '{\"to\": \"{to}\", \"text\": \"{text}\", \"key\": \"{key}\"}'\n"
                       f'reply_number = "8077"\nmo_secret_file = "sms-mo-secret"\n'
                       f'concurrency = {sms_concurrency}\ntimeout = "{sms_timeout}s"\n')
    return "\n".join(out)


@contextlib.contextmanager
def servers(workdir, **gateway_options):
    """The SMTP sink and the SMS gateway of a scenario, started; both stopped after, also
    when the scenario fails."""
    smtp = SmtpSink(workdir).start()
    try:
        gw = SmsGateway(workdir, **gateway_options).start()
        try:
            yield smtp, gw
        finally:
            gw.stop()
    finally:
        smtp.stop()


def daemon_dir(workdir):
    """The daemon's directory of a scenario (created)."""
    ddir = os.path.join(workdir, "daemon")
    os.makedirs(ddir, exist_ok=True)
    return ddir


def write_secrets(directory):
    os.makedirs(directory, exist_ok=True)
    for name, value in (("esms-api-key", "api-key"), ("esms-secret-key", "secret-key"),
                        ("sms-mo-secret", "mo-secret-for-reliability-tests")):
        path = os.path.join(directory, name)
        with open(path, "w") as f:
            f.write(value + "\n")
        os.chmod(path, 0o600)
    return directory


# --- the ledger ----------------------------------------------------------------------------


def db_query(db_path, sql, args=()):
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def outbox_states(db_path):
    return dict(db_query(db_path, "SELECT state, COUNT(*) FROM outbox GROUP BY state"))


def settled(db_path):
    """True when no row is planned and due, or being sent."""
    rows = db_query(db_path, "SELECT COUNT(*) FROM outbox WHERE state = 'sending' OR "
                             "(state = 'planned' AND next_at <= CAST(strftime('%s','now') AS INTEGER))")
    return rows[0][0] == 0


class Ledger:
    """What the store meant to send against what the servers accepted, per channel.

    planned: rows the daemon must deliver (every row that is not skipped or cancelled by a
    rule of the plan; skipped rows with a reason outside `allowed_skips` count as lost).
    delivered: planned keys a server accepted at least once. lost: planned keys no server
    accepted. duplicated: acceptances beyond the first, per key."""

    def __init__(self, db_path, email_keys, sms_keys, allowed_skips=(), channels=("email", "sms")):
        rows = db_query(db_path, "SELECT key, channel, state, reason, attempts FROM outbox")
        self.by_channel = {}
        self.states = collections.Counter()
        self.unexpected_skips = collections.Counter()
        self.allowed = collections.Counter()
        received = {"email": collections.Counter(email_keys), "sms": collections.Counter(sms_keys)}
        total = collections.Counter()
        for ch in channels:
            planned = set()
            for key, channel, state, reason, attempts in rows:
                if channel != ch:
                    continue
                self.states[(ch, state)] += 1
                if state in ("skipped", "cancelled"):
                    if state == "skipped" and reason not in allowed_skips:
                        self.unexpected_skips[(ch, reason)] += 1
                        planned.add(key)
                    else:
                        self.allowed[(ch, state, reason)] += 1
                    continue
                planned.add(key)
            got = received[ch]
            delivered = sum(1 for k in planned if got[k] > 0)
            dups = sum(c - 1 for k, c in got.items() if c > 1)
            stray = sum(c for k, c in got.items() if k not in planned)
            self.by_channel[ch] = dict(planned=len(planned), delivered=delivered, lost=len(planned) - delivered,
                                       duplicated=dups, stray=stray, failed=self.states[(ch, "failed")])
            for k, v in self.by_channel[ch].items():
                total[k] += v
        self.total = dict(total)

    def summary(self):
        parts = []
        for ch, c in self.by_channel.items():
            parts.append("%s: planned %d delivered %d lost %d dup %d stray %d failed %d" % (
                ch, c["planned"], c["delivered"], c["lost"], c["duplicated"], c["stray"], c["failed"]))
        if self.unexpected_skips:
            parts.append("unexpected skips %s" % dict(self.unexpected_skips))
        return "; ".join(parts)


# --- process probes ------------------------------------------------------------------------


def proc_status(pid, field):
    """A /proc/PID/status field in kB (VmRSS, VmHWM), or 0."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


# --- results -------------------------------------------------------------------------------


class Result:
    def __init__(self, name, guarantee):
        self.name = name
        self.guarantee = guarantee
        self.load = ""
        self.faults = ""
        self.planned = self.delivered = self.lost = self.duplicated = 0
        self.checks = []  # (ok, text)
        self.measures = []  # text
        self.error = None
        self.seconds = 0.0

    def take(self, ledger):
        self.planned = ledger.total.get("planned", 0)
        self.delivered = ledger.total.get("delivered", 0)
        self.lost = ledger.total.get("lost", 0)
        self.duplicated = ledger.total.get("duplicated", 0)
        self.measure(ledger.summary())

    def check(self, ok, text):
        self.checks.append((bool(ok), text))
        print("    [%s] %s" % ("ok" if ok else "FAIL", text), flush=True)
        return ok

    def measure(self, text):
        self.measures.append(text)
        print("    measured: " + text, flush=True)

    @property
    def passed(self):
        return self.error is None and all(ok for ok, _ in self.checks) and self.checks

    def as_dict(self):
        return dict(name=self.name, guarantee=self.guarantee, load=self.load, faults=self.faults,
                    planned=self.planned, delivered=self.delivered, lost=self.lost, duplicated=self.duplicated,
                    passed=bool(self.passed), checks=self.checks, measures=self.measures, error=self.error,
                    seconds=round(self.seconds, 1))


def table(results):
    head = ("scenario", "load", "faults injected", "planned", "delivered", "lost", "dup", "result", "time")
    rows = [head]
    for r in results:
        rows.append((r.name, r.load, r.faults, str(r.planned), str(r.delivered), str(r.lost), str(r.duplicated),
                     "PASS" if r.passed else "FAIL", "%.0f s" % r.seconds))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(" | ".join(c.ljust(widths[i]) for i, c in enumerate(row)))
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results):
    out = ["| scenario | load | faults injected | planned | delivered | lost | duplicated | result | time |",
           "|---|---|---|---:|---:|---:|---:|---|---:|"]
    for r in results:
        out.append("| %s | %s | %s | %d | %d | %d | %d | %s | %.0f s |" % (
            r.name, r.load, r.faults, r.planned, r.delivered, r.lost, r.duplicated,
            "pass" if r.passed else "**FAIL**", r.seconds))
    return "\n".join(out)


def now_plus(seconds):
    from dondoc_harness import now_vn
    return now_vn().replace(microsecond=0) + timedelta(seconds=seconds)


def eprint(*a):
    print(*a, file=sys.stderr, flush=True)
