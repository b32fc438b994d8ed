"""A flood of hostile HTTP at the public listener while messages flow: bodies far over the
limit, headers trickled a byte at a time (slowloris) and headers over the limit, forged
link tokens (GET and POST), garbage to both SMS hooks (bad signatures, malformed
queries and JSON), and raw bytes that are not HTTP.

Guarantee: delivery is unaffected (every message delivered, each on its first attempt);
the daemon does not crash; its memory stays bounded (peak VmRSS under the flood within a
fixed margin over the same daemon before the flood) and its descriptors are released
after the flood; /healthz keeps answering.
Measured: requests by kind and answer, RSS and open descriptors before, during and
after, /healthz latency under the flood."""

import collections
import os
import random
import socket
import statistics
import threading
import time
import urllib.parse

from dondoc_harness import Daemon, roster
from rel_support import (Ledger, channels_toml, daemon_dir, db_query, now_plus, open_fds, proc_status, reminder_report,
                         servers, settled, units_toml, wait_until, write_secrets)

NAME = "hostile HTTP"
RSS_MARGIN_MB = 64
B32 = "abcdefghijklmnopqrstuvwxyz234567"


def _status(data):
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


class Flood:
    def __init__(self, host, port, until, seed):
        self.addr = (host, port)
        self.until = until
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.answers = collections.Counter()  # (kind, status or "closed")
        self.errors = collections.Counter()

    def note(self, kind, status):
        with self.lock:
            self.answers[(kind, status if status is not None else "closed")] += 1

    def conn(self, timeout=15):
        s = socket.create_connection(self.addr, timeout=timeout)
        s.settimeout(timeout)
        return s

    def exchange(self, kind, data, read_limit=65536):
        try:
            with self.conn() as s:
                s.sendall(data)
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                got = b""
                while len(got) < read_limit:
                    chunk = s.recv(8192)
                    if not chunk:
                        break
                    got += chunk
                self.note(kind, _status(got))
        except OSError as e:
            with self.lock:
                self.errors[(kind, type(e).__name__)] += 1

    # --- attackers; each loops until `until` ---
    def oversized(self):
        while time.time() < self.until:
            try:
                with self.conn() as s:
                    s.sendall(b"POST /hooks/sms/http HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              b"Content-Length: 104857600\r\n\r\n")
                    chunk = b"A" * 65536
                    sent = 0
                    try:
                        while sent < 104857600 and time.time() < self.until:
                            s.sendall(chunk)
                            sent += len(chunk)
                    except OSError:
                        pass  # the server closed: what should happen
                    try:
                        got = s.recv(4096)
                    except OSError:
                        got = b""
                    self.note("oversized body", _status(got))
            except OSError as e:
                with self.lock:
                    self.errors[("oversized body", type(e).__name__)] += 1

    def slowloris(self, conns=40):
        socks = []
        try:
            while time.time() < self.until:
                while len(socks) < conns:
                    try:
                        s = self.conn(timeout=2)
                        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                        socks.append(s)
                    except OSError:
                        time.sleep(0.2)
                        break
                for s in list(socks):
                    try:
                        s.sendall(b"X")  # one more byte of a header that never ends
                    except OSError:
                        self.note("slow headers", None)
                        socks.remove(s)
                        s.close()
                time.sleep(1)
        finally:
            for s in socks:
                s.close()

    def huge_headers(self):
        while time.time() < self.until:
            self.exchange("header over 8 KB", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n")
            time.sleep(0.01)

    def forged_tokens(self):
        while time.time() < self.until:
            tok = "".join(self.rng.choice(B32) for _ in range(self.rng.choice((26, 26, 5, 40))))
            if self.rng.random() < 0.5:
                self.exchange("forged token", ("GET /a/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % tok).encode())
            else:
                body = b"action=ack"
                self.exchange("forged token", ("POST /a/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                               "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d"
                                               "\r\n\r\n" % (tok, len(body))).encode() + body)

    def sms_garbage(self):
        while time.time() < self.until:
            r = self.rng.random()
            if r < 0.4:
                q = urllib.parse.urlencode({"cpid": "1", "smsid": str(self.rng.randrange(10**9)),
                                            "sender": "09%08d" % self.rng.randrange(10**8),
                                            "content": "SNV DA NHAN " + "".join(self.rng.choice(B32) for _ in range(6)),
                                            "receiverTime": "2026-01-01 00:00:00", "sign": "Zm9yZ2Vk"})
                self.exchange("SMS hook garbage", ("GET /hooks/sms/esms?%s HTTP/1.1\r\nHost: x\r\nConnection: close"
                                                   "\r\n\r\n" % q).encode())
            elif r < 0.7:
                body = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 2000)))
                self.exchange("SMS hook garbage", b"POST /hooks/sms/http HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                              b"X-Dondoc-Signature: sha256=00\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            else:
                body = b'{"from": "0912000002", "text": "DA NHAN ' + b"\xff" * 3 + b'", "status": [1,'
                self.exchange("SMS hook garbage", b"POST /hooks/sms/esms?%%%%&&==&sign HTTP/1.1\r\nHost: x\r\n"
                              b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    def raw_garbage(self):
        while time.time() < self.until:
            data = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 4096)))
            if self.rng.random() < 0.3:
                data = b"GET /" + data + b" HTTP/1.1\r\n\r\n"
            self.exchange("raw bytes", data)


def run(res, cfg, workdir):
    units, flood_for = cfg["units"], cfg["flood"]
    steps = (flood_for + 20) // 5
    res.load = "%d units x %d steps x email+SMS" % (units, steps)
    res.faults = "%d s flood, 7 attack kinds" % flood_for
    with servers(workdir) as (smtp, gw):
        ddir = daemon_dir(workdir)
        with Daemon(workdir=ddir) as d:
            secrets = write_secrets(os.path.join(ddir, "secrets"))
            befores = [3600 - 10 - 5 * i for i in range(steps)]
            d.write_config(roster(d.state_dir, units_toml(units), reminder_report("flood", now_plus(3600), befores),
                                  extra_service='secrets_dir = "%s"' % secrets,
                                  channels=channels_toml(smtp.port, gw.port, "esms")))
            db = os.path.join(d.state_dir, "dondoc.db")
            d.start(timeout=120)
            pid = d.proc.pid
            wait_until(lambda: smtp.accepted_keys(), 60, "the first message")
            time.sleep(2)
            rss0, fds0 = proc_status(pid, "VmRSS"), open_fds(pid)
            host, port = d.public.rsplit(":", 1)
            until = time.time() + flood_for
            flood = Flood(host, int(port), until, cfg.get("seed", 8))
            workers = [flood.oversized, flood.oversized, flood.slowloris, flood.huge_headers, flood.forged_tokens,
                       flood.forged_tokens, flood.sms_garbage, flood.sms_garbage, flood.raw_garbage]
            threads = [threading.Thread(target=w, daemon=True) for w in workers]
            for t in threads:
                t.start()
            rss_peak, fds_peak, health_ms, health_bad = rss0, fds0, [], 0
            while time.time() < until:
                rss_peak = max(rss_peak, proc_status(pid, "VmRSS"))
                fds_peak = max(fds_peak, open_fds(pid))
                t0 = time.time()
                try:
                    code, _, _ = d.get_public("/healthz", timeout=10)
                except OSError:
                    code = 0
                health_ms.append((time.time() - t0) * 1000)
                health_bad += code != 200
                time.sleep(0.5)
            for t in threads:
                t.join(timeout=30)
            res.check(not any(t.is_alive() for t in threads), "the flood stopped")
            time.sleep(12)  # header and body timeouts close what the attackers left open
            rss1, fds1 = proc_status(pid, "VmRSS"), open_fds(pid)
            hwm = proc_status(pid, "VmHWM")
            alive = d.proc.poll() is None
            wait_until(lambda: settled(db) and db_query(db, "SELECT COUNT(*) FROM outbox WHERE state='planned'")[0][0] == 0,
                       600, "every message sent", poll=0.5)
            res.check(alive, "the daemon survived the flood")
            res.check(d.stop() == 0, "SIGTERM exits 0")
        total = sum(flood.answers.values())
        res.measure("attacks answered: %d; by (kind, answer): %s; client-side errors: %s"
                    % (total, dict(sorted(flood.answers.items(), key=str)), dict(flood.errors)))
        res.measure("VmRSS before %.1f MB, peak %.1f MB (VmHWM %.1f MB), after %.1f MB; fds before %d, peak %d, after %d"
                    % (rss0 / 1024, rss_peak / 1024, hwm / 1024, rss1 / 1024, fds0, fds_peak, fds1))
        res.measure("/healthz under the flood: %d probes, median %.0f ms, max %.0f ms, %d not 200"
                    % (len(health_ms), statistics.median(health_ms), max(health_ms), health_bad))
        res.check(total > 1000, "the flood was a flood (%d attacks answered)" % total)
        expect = [("oversized body", 413), ("header over 8 KB", 431), ("forged token", 404), ("SMS hook garbage", 403)]
        res.check(all(flood.answers[k] > 0 for k in expect), "limits and checks answered: 413, 431, 404, 403")
        res.check(not any(k[1] in (500,) for k in flood.answers), "no request made the handler fail (500)")
        res.check(rss_peak - rss0 <= RSS_MARGIN_MB * 1024, "memory bounded: peak RSS within %d MB of the start (+%.1f MB)"
                  % (RSS_MARGIN_MB, (rss_peak - rss0) / 1024))
        res.check(fds1 <= fds0 + 8, "descriptors released after the flood (%d -> %d)" % (fds0, fds1))
        res.check(health_bad == 0, "/healthz answered 200 throughout")
        ledger = Ledger(db, smtp.accepted_keys(), gw.accepted_keys())
        res.take(ledger)
        attempts = db_query(db, "SELECT MAX(attempts) FROM outbox")[0][0]
        res.check(ledger.total["lost"] == 0 and ledger.total["duplicated"] == 0 and attempts == 1,
                  "delivery unaffected: every message delivered once, on its first attempt (max attempts %s)" % attempts)
