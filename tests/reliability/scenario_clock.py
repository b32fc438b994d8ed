"""The wall clock steps forward by hours, back by the same, and forward again while dondocd
runs. An unprivileged test cannot set the clock: dondocd adds the number of seconds in
$DONDOC_TEST_CLOCK_FILE to its wall clock (a test-only hook in daemon/service.cpp).

Roster (T0 = start): report A is due at T0+2h (reminders at T0+30s, +30m, +1h, +1h30;
escalations to the head at T0+2h30 and T0+3h); report B at T0+5h (reminders at T0+30s,
+1h, +2h, +2h30, +4h).

Guarantee: a forward step sends no burst: the missed rows of an item go through the
catch-up rules, so at most the latest reminder (while the deadline is ahead) and the
latest escalation per audience go, not every missed row; no deadline is skipped: B's
units get the catch-up reminder and later B's last reminder, A's heads get the
escalation. A backward step re-sends nothing (sent rows stay sent).
Measured: messages sent after each step against the rows the step made due."""

import collections
import os
import time
from datetime import timedelta

from dondoc_harness import Daemon, now_vn, roster
from rel_support import (Ledger, channels_toml, daemon_dir, db_query, log, rfc3339, servers, units_toml,
                         wait_until, write_secrets)

NAME = "clock steps"
H = 3600


def reports(t0):
    a = f"""
[[reports]]
id = "a"
title = "Báo cáo A (hạn đã qua sau bước nhảy)"
units = ["all"]
deadline = {{ at = {rfc3339(t0 + timedelta(hours=2))} }}
reminders = [
  {{ before = "{2 * H - 30}s", to = ["focal"], channels = ["email", "sms"] }},
  {{ before = "{90 * 60}s", to = ["focal"], channels = ["email", "sms"] }},
  {{ before = "{H}s", to = ["focal"], channels = ["email", "sms"] }},
  {{ before = "{30 * 60}s", to = ["focal"], channels = ["email", "sms"] }},
]
escalation = [
  {{ after = "{30 * 60}s", to = ["head"], channels = ["email"] }},
  {{ after = "{H}s", to = ["head"], channels = ["email"] }},
]
"""
    b = f"""
[[reports]]
id = "b"
title = "Báo cáo B (hạn còn sau bước nhảy)"
units = ["all"]
deadline = {{ at = {rfc3339(t0 + timedelta(hours=5))} }}
reminders = [
  {{ before = "{5 * H - 30}s", to = ["focal"], channels = ["email", "sms"] }},
  {{ before = "{4 * H}s", to = ["focal"], channels = ["email", "sms"] }},
  {{ before = "{3 * H}s", to = ["focal"], channels = ["email", "sms"] }},
  {{ before = "{150 * 60}s", to = ["focal"], channels = ["email", "sms"] }},
  {{ before = "{H}s", to = ["focal"], channels = ["email", "sms"] }},
]
"""
    return a + b


def set_offset(path, seconds):
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % seconds)
    os.replace(path + ".tmp", path)


def run(res, cfg, workdir):
    n = cfg["units"]
    res.load = "%d units x 2 reports (9 rows each)" % n
    res.faults = "clock +3h, -3h, +4h"
    with servers(workdir) as (smtp, gw):
        ddir = daemon_dir(workdir)
        clock = os.path.join(ddir, "clock-offset")
        set_offset(clock, 0)
        with Daemon(workdir=ddir, env={"DONDOC_TEST_CLOCK_FILE": clock}) as d:
            secrets = write_secrets(os.path.join(ddir, "secrets"))
            t0 = now_vn().replace(microsecond=0)
            d.write_config(roster(d.state_dir, units_toml(n), reports(t0), extra_service='secrets_dir = "%s"' % secrets,
                                  channels=channels_toml(smtp.port, gw.port, "http")))
            db = os.path.join(d.state_dir, "dondoc.db")
            d.start(timeout=120)

            def count():
                return len(smtp.accepted_keys()) + len(gw.accepted_keys())

            def quiet(expected, what, hold=8):
                wait_until(lambda: count() >= expected and settled_virtual(db, d), 180, what, poll=0.5)
                time.sleep(hold)  # and nothing more follows
                return count()

            # Phase 0: the first reminders of A and B (4 messages per unit).
            c0 = quiet(4 * n, "the first reminders")
            log("phase 0: %d messages; stepping the clock forward 3 h" % c0)
            # Phase 1: +3h. A's deadline has passed; B's is 2 h ahead.
            set_offset(clock, 3 * H)
            step1 = time.time()
            due1 = db_query(db, "SELECT COUNT(*) FROM outbox WHERE state='planned' AND next_at <= ?",
                            (int(time.time()) + 3 * H,))[0][0]
            c1 = quiet(c0 + 3 * n, "the catch-ups after the forward step")
            sent1 = c1 - c0
            res.measure("forward 3 h: %d rows fell due, %d messages sent (A: the latest escalation per unit; "
                        "B: the latest reminder, email+SMS), in %.0f s" % (due1, sent1, time.time() - step1))
            res.check(sent1 == 3 * n, "no burst after the forward step: %d sent for %d rows due (expected %d)"
                      % (sent1, due1, 3 * n))
            # Phase 2: back to real time (-3h): nothing sent again.
            set_offset(clock, 0)
            # With DONDOC_TEST_CLOCK_FILE the idle dispatch loop reads the clock at least every
            # 10 s (60 s in deployments): wait past one such read.
            time.sleep(cfg.get("hold_back", 15))
            c2 = count()
            res.check(c2 == c1, "a backward step sends nothing again (%d new)" % (c2 - c1))
            # Phase 3: forward past B's last reminder (T0+4h): it goes, once per unit and channel.
            target = t0 + timedelta(hours=4, seconds=5)
            set_offset(clock, int(target.timestamp() - time.time()))
            c3 = quiet(c2 + 2 * n, "B's last reminder")
            res.check(c3 - c2 == 2 * n, "B's last reminder before its deadline: %d sent (expected %d)"
                      % (c3 - c2, 2 * n))
            status, h = d.health()
            res.measure("health: clock_jumps=%s" % h.get("clock_jumps"))
            res.check(h.get("clock_jumps", 0) >= 3, "the daemon noticed the jumps (clock_jumps=%s)" % h.get("clock_jumps"))
            res.check(d.wait_log("wall clock jumped forward", 1) and d.wait_log("wall clock jumped backward", 1),
                      "the log names the forward and backward jumps")
            res.check(d.stop() == 0, "SIGTERM exits 0")
        ledger = Ledger(db, smtp.accepted_keys(), gw.accepted_keys(), allowed_skips=("catch_up", "past_deadline"))
        res.take(ledger)
        rows = db_query(db, "SELECT report_id, kind, step, channel, state, reason FROM outbox")
        per = collections.Counter((r, k, s, ch, st) for r, k, s, ch, st, _ in rows)
        sent_by_step = {(r, k, s, ch): c for (r, k, s, ch, st), c in per.items() if st == "sent"}
        res.measure("sent per (report, kind, step, channel): %s" % dict(sorted(sent_by_step.items())))
        expected = {("a", "reminder", 0, "email"): n, ("a", "reminder", 0, "sms"): n, ("a", "escalation", 1, "email"): n,
                    ("b", "reminder", 0, "email"): n, ("b", "reminder", 0, "sms"): n,
                    ("b", "reminder", 3, "email"): n, ("b", "reminder", 3, "sms"): n,
                    ("b", "reminder", 4, "email"): n, ("b", "reminder", 4, "sms"): n}
        res.check(sent_by_step == expected, "exactly the latest missed reminder/escalation and B's last reminder went")
        res.check(ledger.total["duplicated"] == 0, "none sent twice (%d)" % ledger.total["duplicated"])
        res.check(ledger.total["lost"] == 0, "no skipped deadline: every row not settled by the catch-up rules went")


def settled_virtual(db, d):
    """No row being sent (the virtual clock decides what is due, so only `sending` is read)."""
    return db_query(db, "SELECT COUNT(*) FROM outbox WHERE state='sending'")[0][0] == 0
