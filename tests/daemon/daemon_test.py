#!/usr/bin/python3
"""The real dondocd, started and stopped: READY over a fake NOTIFY_SOCKET, a near-term
one-off deadline whose reminders land in the file outbox at their planned times (the
keys of `dondoc plan`), SIGHUP with a broken roster (kept, reported), SIGHUP with a unit
added (planned and sent), SIGTERM (exit 0), a restart that sends nothing twice."""

import json
import os
import subprocess
import time
from datetime import timedelta

from dondoc_harness import (DONDOC, Daemon, check, free_port, now_vn, rfc3339, roster, run_tests, unit_block)


def near_term_roster(state, deadline, units, extra_reports=""):
    reports = f"""
[[reports]]
id = "bao-cao-gap"
title = "Báo cáo đột xuất về tình hình mưa lũ"
short_name = "BC mua lu"
basis = "Công điện số 01/CĐ-UBND (minh họa)"
units = ["all"]
deadline = {{ at = {rfc3339(deadline)} }}
reminders = [
  {{ before = "30s", to = ["focal"], channels = ["email", "sms"] }},
  {{ before = "15s", to = ["focal"], channels = ["email"] }},
]
escalation = [
  {{ after = "3s", to = ["head"], channels = ["email"] }},
]
{extra_reports}
"""
    return roster(state, units, reports)


UNITS = (unit_block("so-tai-chinh", "Sở Tài chính", "binh@stc.example", "0900 000 101", "cuc@stc.example") +
         unit_block("so-y-te", "Sở Y tế", "an@syt.example", "0900 000 102", "ha@syt.example"))


def plan_keys(config, day_from, day_to):
    out = subprocess.run([DONDOC, "plan", "--config", config, "--from", day_from, "--to", day_to, "--format", "json"],
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, "dondoc plan works: " + out.stderr)
    sends = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    return sends


def test_ready_reminders_reload_and_stop():
    deadline = now_vn().replace(microsecond=0) + __import__("datetime").timedelta(seconds=45)
    with Daemon() as d:
        d.write_config(near_term_roster(d.state_dir, deadline, UNITS))
        d.start()
        status, _, body = d.get_public("/healthz")
        check(status == 200 and body == "ok", "healthz answers 200 ok once ready")
        _, health = d.health()
        check(health["ready"] and health["database"]["ok"], "health detail says ready and database ok")

        day = deadline.strftime("%Y-%m-%d")
        sends = plan_keys(d.config_path, day, day)
        planned_keys = {k for s in sends for k in s["keys"]}
        # 2 units x (reminder 0: email+sms, reminder 1: email) + escalation email to 2 heads
        check(len(planned_keys) == 8, "the plan has 8 messages, got %d" % len(planned_keys))

        # A broken roster on SIGHUP is reported and the running one kept.
        good = open(d.config_path, encoding="utf-8").read()
        d.write_config(good.replace('kind = "so"', 'kind = "so"\nbogus_key = 1', 1))
        d.reload()
        _, health = d.health()
        check(health["config"]["last_reload"]["ok"] is False, "the failed reload is in the health detail")
        errors = health["config"]["last_reload"]["errors"]
        check(any("bogus_key" in e and ":" in e.split(": error")[0] for e in errors),
              "the reload error names the key and its place: %s" % errors)
        check(d.wait_log(r"reload failed"), "the failed reload is logged")

        # A valid roster with a unit added: the new unit gets its messages.
        added = UNITS + unit_block("so-xay-dung", "Sở Xây dựng", "tam@sxd.example", None, "lam@sxd.example")
        d.write_config(near_term_roster(d.state_dir, deadline, added))
        d.reload()
        _, health = d.health()
        check(health["config"]["last_reload"]["ok"] is True, "the second reload succeeded")
        sends = plan_keys(d.config_path, day, day)
        planned_keys = {k for s in sends for k in s["keys"]}
        check(len(planned_keys) == 11, "with the unit added the plan has 11 messages, got %d" % len(planned_keys))

        # Everything lands in the outbox, each no earlier than its planned time.
        check(d.wait_outbox(emails=9, sms=2, timeout=90), "all messages reached the outbox:\n" + d.log_text())
        emails = d.emails()
        sms = d.sms_lines()
        got = set(emails) | {s["key"] for s in sms}
        check(got == planned_keys, "the outbox keys are exactly the plan's keys: missing %s extra %s" %
              (planned_keys - got, got - planned_keys))
        at_of = {}
        for s in sends:
            for k in s["keys"]:
                at_of[k] = s["at"]
        from datetime import datetime
        for key in emails:
            mtime = os.path.getmtime(os.path.join(d.outbox, "mail", "new", key + ".eml"))
            planned = datetime.fromisoformat(at_of[key]).timestamp()
            check(mtime >= planned - 1, "email %s written at/after its planned time" % key)
        for line in sms:
            check(line["to"].startswith("+84") and line["text"].isascii(), "SMS is E.164 and ASCII")
        check(d.stop() == 0, "SIGTERM exits 0")
        check(d.notify.count("STOPPING=1") >= 1, "STOPPING=1 was notified")

        # A restart sends nothing again.
        before_sms = len(d.sms_lines())
        d.start()
        time.sleep(3)
        check(len(d.sms_lines()) == before_sms, "nothing is sent twice after a restart")
        conn = d.db()
        states = dict(conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
        conn.close()
        check(states.get("sent", 0) == 11 and states.get("planned", 0) == 0, "all rows sent: %s" % states)
        check(d.stop() == 0, "SIGTERM exits 0 again")


def test_start_fails_clearly_on_a_broken_roster():
    with Daemon("[service]\ntimezone = \"Asia/Hanoi_Nowhere\"\n") as d:
        d.start(expect_ready=False)
        code = d.proc.wait(timeout=30)
        check(code == 1, "a broken roster makes dondocd exit 1, got %s" % code)
        check(d.wait_log(r"dondoc\.toml:2:12: error: .*unknown time zone", timeout=10),
              "the error has its place:\n" + d.log_text())


def test_unreachable_daemon_gives_exit_3():
    port = free_port()
    out = subprocess.run([DONDOC, "status", "--admin", "127.0.0.1:%d" % port], capture_output=True, text=True, timeout=30)
    check(out.returncode == 3, "dondoc status exits 3 when nothing listens, got %d" % out.returncode)


def raw_exchange(address, request, timeout=10):
    """Sends raw bytes to host:port and returns all that comes back until the server
    closes (the request asks it to)."""
    import socket
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(request)
        out = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    return out


def test_admin_refusals_and_http_edges():
    deadline = now_vn() + timedelta(days=10)
    with Daemon() as d:
        d.write_config(near_term_roster(d.state_dir, deadline, UNITS))
        d.start()
        occ = d.status()["occurrences"][0]["occurrence"]
        last_day = occ.split("@")[1]
        admin = ["--config", d.config_path, "--admin", d.admin]
        # A refused request exits 1, a repeated one 0 (DESIGN: "1 for invalid input or a
        # refused request").
        out = d.dondoc("extend", "so-y-te", occ, "--to", "2001-01-01", *admin)
        check(out.returncode == 1 and "before the occurrence's last day " + last_day in out.stderr,
              "an extension earlier than L is refused (exit 1): %d %s" % (out.returncode, out.stderr))
        out = d.dondoc("submit", "so-y-te", occ, "--at", "2099-01-01T08:00:00+07:00", *admin)
        check(out.returncode == 1 and "future" in out.stderr,
              "a submission in the future is refused (exit 1): %d %s" % (out.returncode, out.stderr))
        out = d.dondoc("reopen", "so-y-te", occ, *admin)
        check(out.returncode == 0, "reopening an open unit changes nothing and is not an error: " + out.stderr)
        status, _, body = d.post_admin("/api/v1/actions", {"action": "confirm", "unit": "so-y-te", "occurrence": occ})
        check(status == 409 and json.loads(body)["ok"] is False,
              "confirming what was never submitted is refused with 409: %s %s" % (status, body))
        check([u["status"] for u in d.status(occ)["occurrences"][0]["units"]] == ["pending", "pending"],
              "nothing refused changed a unit")
        # A query value that is not UTF-8 is an unknown occurrence, not a server error.
        status, _, body = d.get_admin("/api/v1/status?occurrence=%ff")
        check(status == 404 and json.loads(body)["ok"] is False, "invalid UTF-8 in a query gives 404: %s" % status)
        # HEAD: the headers of GET, no body (a keep-alive client would read it as the next answer).
        answer = raw_exchange(d.public, b"HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
                                        b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        parts = answer.split(b"HTTP/1.1 ")
        check(len(parts) == 3 and parts[1].startswith(b"200") and parts[1].endswith(b"\r\n\r\n")
              and b"Content-Length: 2" in parts[1] and parts[2].endswith(b"\r\n\r\nok"),
              "HEAD answers headers only, then GET answers ok: %r" % answer)
        check(d.stop() == 0, "SIGTERM exits 0")


if __name__ == "__main__":
    run_tests([test_ready_reminders_reload_and_stop, test_start_fails_clearly_on_a_broken_roster,
               test_unreachable_daemon_gives_exit_3, test_admin_refusals_and_http_edges])
