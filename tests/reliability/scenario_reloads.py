"""100 reloads (SIGHUP) in a row, alternating a valid roster and a broken one, while
messages flow. Each valid roster adds a unit; each broken one adds a unit too and
carries one error (a TOML syntax error, an unknown key, a bad date, a duplicate unit id,
a missing include, a step that names an unknown channel).

Guarantee: a valid reload takes effect (its unit is planned); a broken one is reported
(/api/v1/health config.last_reload.ok = false with the errors, and the log) and changes
nothing (its unit is never planned; the running roster stays); no message is lost or
sent twice.
Measured: reload time (SIGHUP to READY=1), messages delivered during the reloads."""

import os
import statistics
import time

from dondoc_harness import Daemon, roster
from rel_support import (Ledger, channels_toml, daemon_dir, db_query, log, now_plus, reminder_report, servers, settled,
                         units_toml, wait_until, write_secrets)

NAME = "100 reloads"

BREAKAGES = [
    ("toml syntax", lambda t: t + "\n[[units]\nid = \"broken\"\n"),
    ("unknown key", lambda t: t.replace("[sending]\n", "[sending]\nsmpt_retry = 3\n", 1)),
    ("impossible date", lambda t: t.replace("deadline = { at = ", 'deadline = { every = "year", date = "02-29" }  # ', 1)),
    ("duplicate unit", lambda t: t + '\n[[units]]\nid = "u00000"\nname = "Trùng"\nkind = "xa"\n'),
    ("missing include", lambda t: t.replace("[service]\n", '[service]\ninclude = ["khong-co.toml"]\n', 1)),
    ("unknown channel", lambda t: t.replace('channels = ["email", "sms"]', 'channels = ["email", "fax"]', 1)),
]


def run(res, cfg, workdir):
    units, reloads = cfg["units"], cfg["reloads"]
    duration = cfg.get("flow", 90)
    steps = duration // 5
    res.load = "%d units x %d steps x email+SMS" % (units, steps)
    res.faults = "%d SIGHUPs, every other roster broken" % reloads
    with servers(workdir) as (smtp, gw):
        ddir = daemon_dir(workdir)
        with Daemon(workdir=ddir) as d:
            secrets = write_secrets(os.path.join(ddir, "secrets"))
            deadline = now_plus(3600)
            befores = [3600 - 5 - 5 * i for i in range(steps)]
            report = reminder_report("reload", deadline, befores)

            def text(added, extra=None):
                body = units_toml(units) + units_toml(added, prefix="r") + (units_toml(1, prefix="x", start=extra)
                                                                            if extra is not None else "")
                return roster(d.state_dir, body, report, extra_service='secrets_dir = "%s"' % secrets,
                              channels=channels_toml(smtp.port, gw.port, "http"))

            d.write_config(text(0))
            db = os.path.join(d.state_dir, "dondoc.db")
            d.start(timeout=120)
            wait_until(lambda: smtp.accepted_keys(), 60, "the first message")
            before = len(smtp.accepted_keys()) + len(gw.accepted_keys())
            took, good, bad, failures = [], 0, 0, []
            added = 0
            t_start = time.time()
            for i in range(reloads):
                valid = i % 2 == 0
                if valid:
                    added += 1
                    d.write_config(text(added))
                else:
                    name, breaker = BREAKAGES[(i // 2) % len(BREAKAGES)]
                    d.write_config(breaker(text(added, extra=i)))
                t0 = time.time()
                d.reload(timeout=60)
                took.append(time.time() - t0)
                _, h = d.health()
                last = h["config"]["last_reload"]
                if valid:
                    planned = db_query(db, "SELECT COUNT(*) FROM items WHERE unit_id = ?", ("r%05d" % (added - 1),))[0][0]
                    if last["ok"] and planned > 0:
                        good += 1
                    else:
                        failures.append("reload %d (valid) did not take effect: %s" % (i, last))
                else:
                    leaked = db_query(db, "SELECT COUNT(*) FROM items WHERE unit_id = ?", ("x%05d" % i,))[0][0]
                    if not last["ok"] and last["errors"] and leaked == 0:
                        bad += 1
                    else:
                        failures.append("reload %d (%s) not reported or leaked: %s" % (i, name, last))
            during = len(smtp.accepted_keys()) + len(gw.accepted_keys()) - before
            elapsed = time.time() - t_start
            log("%d reloads in %.0f s; %d messages delivered meanwhile" % (reloads, elapsed, during))
            _, _, metrics = d.get_admin("/metrics")
            wait_until(lambda: settled(db) and db_query(db, "SELECT COUNT(*) FROM outbox WHERE state='planned'")[0][0] == 0,
                       600, "every message sent", poll=0.5)
            res.check(d.proc.poll() is None, "the daemon ran through every reload")
            res.check(d.stop() == 0, "SIGTERM exits 0")
        failed_lines = sum(1 for line in d.log if "reload failed" in line)
        res.measure("reload SIGHUP -> READY=1: median %.0f ms, max %.0f ms; %d messages delivered during the reloads"
                    % (statistics.median(took) * 1000, max(took) * 1000, during))
        res.measure("metrics: %s" % " ".join(l for l in metrics.splitlines() if l.startswith("dondoc_reloads")))
        res.check(good == (reloads + 1) // 2, "every valid reload took effect (%d of %d)" % (good, (reloads + 1) // 2))
        res.check(bad == reloads // 2, "every broken reload reported, nothing of it applied (%d of %d)" % (bad, reloads // 2))
        res.check(failed_lines == reloads // 2, "the log reports each failed reload (%d lines)" % failed_lines)
        res.check(not failures, "; ".join(failures[:3]) or "no reload misbehaved")
        res.check(during > 0, "messages flowed during the reloads")
        ledger = Ledger(db, smtp.accepted_keys(), gw.accepted_keys(), allowed_skips=("before_tracking",))
        res.take(ledger)
        res.check(ledger.total["lost"] == 0, "none lost (%d)" % ledger.total["lost"])
        res.check(ledger.total["duplicated"] == 0, "none sent twice (%d)" % ledger.total["duplicated"])
