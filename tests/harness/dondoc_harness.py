"""Test harness for the real dondocd: generated configurations, a fake NOTIFY_SOCKET that
records sd_notify messages, start/reload/stop/kill, HTTP helpers, and readers for the file
outbox. Standard library only (Debian's /usr/bin/python3). Every wait is bounded.

    from dondoc_harness import Daemon, roster
    with Daemon(roster(...)) as d:
        d.start()
        d.get_admin("/api/v1/health")
"""

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

BIN = os.environ.get("DONDOC_BIN", os.path.join(os.environ.get("DONDOC_BUILD_DIR", "build/release"), "cli"))
BUILD = os.environ.get("DONDOC_BUILD_DIR", "build/release")
SOURCE = os.environ.get("DONDOC_SOURCE_DIR", ".")
DONDOCD = os.path.join(BUILD, "daemon", "dondocd")
DONDOC = os.path.join(BUILD, "cli", "dondoc")
VN = timezone(timedelta(hours=7))


class TestFailure(AssertionError):
    pass


def check(cond, message):
    if not cond:
        raise TestFailure(message)


def now_vn():
    return datetime.now(VN)


def rfc3339(dt):
    return dt.astimezone(VN).replace(microsecond=0).isoformat()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def unit_block(uid, name, focal_email=None, focal_phone=None, head_email=None, kind="so", extra=""):
    out = [f'[[units]]\nid = "{uid}"\nname = "{name}"\nkind = "{kind}"\n{extra}']
    if focal_email or focal_phone:
        out.append(f'[[units.contacts]]\nid = "{uid}-focal"\nname = "Cán bộ {name}"\nroles = ["focal"]')
        if focal_email:
            out.append(f'email = "{focal_email}"')
        if focal_phone:
            out.append(f'phone = "{focal_phone}"')
    if head_email:
        out.append(f'[[units.contacts]]\nid = "{uid}-head"\nname = "Thủ trưởng {name}"\nroles = ["head"]\nemail = "{head_email}"')
    return "\n".join(out) + "\n"


def roster(state_dir, units, reports, public_port=None, admin_port=None, extra_service="", sending=None,
           channels="", contacts=""):
    """A complete roster TOML. `units` and `reports` are TOML snippets. Ports default to 0:
    the daemon binds free ones and names them in its ready log line (no race with other
    tests running in parallel)."""
    public_port = public_port or 0
    admin_port = admin_port or 0
    sending = sending or ('office_hours = ["00:00-23:59"]\nsms_quiet_hours = "23:59-00:00"\n'
                          'sms_per_recipient_per_day = 100\ncatch_up_grace = "15m"\n')
    return f"""[service]
timezone = "Asia/Ho_Chi_Minh"
state_dir = "{state_dir}"
listen = "127.0.0.1:{public_port}"
admin_listen = "127.0.0.1:{admin_port}"
public_url = "http://127.0.0.1:{public_port}"
{extra_service}

[sending]
{sending}

[calendar]
weekend = []
holidays = "none"

{channels}

[[contacts]]
id = "coord"
name = "Nguyễn Thị Điều Phối"
email = "coord@snv.example"
roles = ["coordinator"]
{contacts}

{units}

{reports}
"""


class NotifySocket:
    """A unix datagram socket standing in for systemd's NOTIFY_SOCKET."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.arrival = []  # time.time() at which each message was received
        self._stop = False
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._arrived:
                self.messages.append(data.decode("utf-8", "replace"))
                self.arrival.append(time.time())
                self._arrived.notify_all()

    def _count(self, needle):
        return sum(1 for m in self.messages if needle in m.split("\n"))

    def count(self, needle):
        with self._lock:
            return self._count(needle)

    def arrival_of(self, needle, nth):
        """When the nth (1-based) message containing `needle` arrived, or None."""
        with self._lock:
            seen = 0
            for m, t in zip(self.messages, self.arrival):
                if needle in m.split("\n"):
                    seen += 1
                    if seen == nth:
                        return t
        return None

    def wait_for(self, needle, at_least=1, timeout=30):
        # Woken by each message as it arrives (the benches time READY=1 by this).
        with self._arrived:
            return self._arrived.wait_for(lambda: self._count(needle) >= at_least, timeout)

    def close(self):
        self._stop = True
        self._thread.join(timeout=2)
        self.sock.close()


class Daemon:
    def __init__(self, config_text=None, workdir=None, env=None, config_name="dondoc.toml"):
        self.tmp = tempfile.TemporaryDirectory(prefix="dondoc-test-") if workdir is None else None
        self.dir = workdir or self.tmp.name
        self.state_dir = os.path.join(self.dir, "state")
        self.config_path = os.path.join(self.dir, config_name)
        if config_text is not None:
            self.write_config(config_text)
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.proc = None
        self.notify = None
        self.log = []
        self._log_lock = threading.Lock()
        self.public = None
        self.admin = None

    # --- configuration ---
    def write_config(self, text, name=None):
        path = os.path.join(self.dir, name) if name else self.config_path
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(text.replace("{STATE}", os.path.join(self.dir, "state")))
        os.replace(path + ".tmp", path)

    # --- process ---
    def start(self, timeout=30, expect_ready=True):
        if self.notify is None:
            self.notify = NotifySocket(self.dir)
        env = dict(self.env)
        env["NOTIFY_SOCKET"] = self.notify.path
        ready_before = self.notify.count("READY=1")
        ready_lines = len(re.findall(r"listen=(\S+) admin=(\S+)", self.log_text()))
        args = [DONDOCD, "--config", self.config_path, "--log-level", os.environ.get("DONDOC_LOG_LEVEL", "info")]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        threading.Thread(target=self._read_log, args=(self.proc,), daemon=True).start()
        if not expect_ready:
            return self
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.notify.count("READY=1") > ready_before:
                break
            if self.proc.poll() is not None:
                raise TestFailure("dondocd exited during start-up:\n" + self.log_text())
            time.sleep(0.05)
        else:
            raise TestFailure("no READY=1 within %ss:\n%s" % (timeout, self.log_text()))
        m = None
        for _ in range(100):
            # This start's ready line: after a restart the ports (0 = any) differ from the last run's.
            found = re.findall(r"listen=(\S+) admin=(\S+)", self.log_text())
            m = found[-1] if len(found) > ready_lines else None
            if m:
                break
            time.sleep(0.02)
        check(m, "the ready log line names the listeners")
        self.public, self.admin = m
        return self

    def _read_log(self, proc):
        for raw in proc.stderr:
            with self._log_lock:
                self.log.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def log_text(self):
        with self._log_lock:
            return "\n".join(self.log)

    def wait_log(self, pattern, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.log_text()):
                return True
            time.sleep(0.05)
        return False

    def reload(self, timeout=30):
        before = self.notify.count("READY=1")
        self.proc.send_signal(signal.SIGHUP)
        check(self.notify.wait_for("READY=1", before + 1, timeout), "READY=1 after SIGHUP")

    def stop(self, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise TestFailure("dondocd did not stop within %ss after SIGTERM:\n%s" % (timeout, self.log_text()))

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if self.proc and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=10)
        finally:
            if self.notify:
                self.notify.close()
            if self.tmp:
                self.tmp.cleanup()

    # --- HTTP ---
    def _request(self, base, path, method="GET", body=None, headers=None, timeout=10):
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
            elif isinstance(body, str):
                data = body.encode()
            else:
                data = body
        req = urllib.request.Request("http://" + base + path, data=data, method=method, headers=hdrs)
        opener = urllib.request.build_opener(NoRedirect())
        try:
            with opener.open(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode("utf-8", "replace")

    def get_admin(self, path, **kw):
        return self._request(self.admin, path, **kw)

    def post_admin(self, path, body, **kw):
        return self._request(self.admin, path, method="POST", body=body, **kw)

    def get_public(self, path, **kw):
        return self._request(self.public, path, **kw)

    def post_public(self, path, body, **kw):
        return self._request(self.public, path, method="POST", body=body, **kw)

    def health(self):
        status, _, body = self.get_admin("/api/v1/health")
        return status, json.loads(body)

    def status(self, occurrence=None):
        path = "/api/v1/status" + ("?occurrence=" + occurrence if occurrence else "")
        status, _, body = self.get_admin(path)
        check(status == 200, "status endpoint answers 200, got %s: %s" % (status, body))
        return json.loads(body)

    # --- outbox ---
    @property
    def outbox(self):
        return os.path.join(self.state_dir, "outbox")

    def sms_lines(self):
        path = os.path.join(self.outbox, "sms.jsonl")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def emails(self):
        d = os.path.join(self.outbox, "mail", "new")
        if not os.path.isdir(d):
            return {}
        out = {}
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                out[name[:-4]] = f.read()
        return out

    def outbox_writes(self):
        """Emails plus SMS lines in the file outbox so far, without reading them: a cheap
        progress count to poll many times a second."""
        d = os.path.join(self.outbox, "mail", "new")
        n = len(os.listdir(d)) if os.path.isdir(d) else 0
        try:
            with open(os.path.join(self.outbox, "sms.jsonl"), "rb") as f:
                n += f.read().count(b"\n")
        except FileNotFoundError:
            pass
        return n

    def wait_outbox(self, emails=0, sms=0, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.emails()) >= emails and len(self.sms_lines()) >= sms:
                return True
            time.sleep(0.1)
        return False

    def db(self):
        import sqlite3
        return sqlite3.connect(os.path.join(self.state_dir, "dondoc.db"), timeout=10)

    def dondoc(self, *args, timeout=60):
        """Runs the `dondoc` tool against this daemon's configuration."""
        return subprocess.run([DONDOC, *args], capture_output=True, text=True, timeout=timeout)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def run_tests(tests):
    """Runs test functions in order; prints a line each; exits non-zero on any failure."""
    import sys
    import traceback
    failed = 0
    for t in tests:
        t0 = time.time()
        try:
            t()
            print("ok   %-60s %.1fs" % (t.__name__, time.time() - t0), flush=True)
        except Exception:  # noqa: BLE001 - a test harness reports every failure
            failed += 1
            print("FAIL %-60s %.1fs" % (t.__name__, time.time() - t0), flush=True)
            traceback.print_exc()
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    sys.exit(1 if failed else 0)
