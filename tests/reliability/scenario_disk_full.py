"""The database's disk fills up while messages flow, then space returns. Every write to
STATE_DIR/dondoc.db* fails with ENOSPC while a flag file exists (the LD_PRELOAD shim
enospc_shim.c: a real ENOSPC from write(2), which SQLite reports as SQLITE_FULL).

Guarantee: the daemon keeps running; it says so in /api/v1/health (database.ok false,
the error), /healthz (503) and the log; a write it cannot store is refused (503), not
acknowledged and lost; nothing already stored is lost; when space returns it resumes by
itself (the dispatch loop retries every 30 s) and every message is delivered once.
Measured: time to report, deliveries while full, time to resume, and the store's
integrity afterwards."""

import json
import os
import time

from dondoc_harness import Daemon, roster
from rel_support import (Ledger, ScenarioFailure, channels_toml, daemon_dir, db_query, log, now_plus, reminder_report,
                         servers, settled, units_toml, wait_until, write_secrets)

NAME = "disk full"


def health(d):
    try:
        status, body = d.health()
        return status, body
    except Exception as e:  # noqa: BLE001 - the answer is what is measured
        return 0, {"error": str(e)}


def run(res, cfg, workdir):
    units, full_for = cfg["units"], cfg["full"]
    shim = os.environ.get("DONDOC_ENOSPC_SHIM", "")
    if not os.path.exists(shim):
        raise ScenarioFailure("the ENOSPC shim is not built (%s); run.sh builds it" % shim)
    steps = max(2, (full_for + 40) // 5)
    res.load = "%d units x %d steps x email+SMS" % (units, steps)
    res.faults = "ENOSPC on the database %d s" % full_for
    with servers(workdir) as (smtp, gw):
        ddir = daemon_dir(workdir)
        flag = os.path.join(ddir, "disk-full")
        state = os.path.join(ddir, "state")
        env = {"LD_PRELOAD": os.path.abspath(shim), "DONDOC_ENOSPC_FLAG": flag,
               "DONDOC_ENOSPC_MATCH": os.path.join(state, "dondoc.db")}
        with Daemon(workdir=ddir, env=env) as d:
            secrets = write_secrets(os.path.join(ddir, "secrets"))
            befores = [3600 - 6 - 5 * i for i in range(steps)]
            d.write_config(roster(d.state_dir, units_toml(units), reminder_report("disk", now_plus(3600), befores),
                                  extra_service='secrets_dir = "%s"' % secrets,
                                  channels=channels_toml(smtp.port, gw.port, "http")))
            db = os.path.join(d.state_dir, "dondoc.db")
            d.start(timeout=120)
            wait_until(lambda: len(smtp.accepted_keys()) + len(gw.accepted_keys()) >= units, 120, "sending to begin")
            sent_before = set(k for (k,) in db_query(db, "SELECT key FROM outbox WHERE state='sent'"))
            rows_before = db_query(db, "SELECT COUNT(*) FROM outbox")[0][0]
            open(flag, "w").close()
            full_at = time.time()
            log("disk full (%d rows already sent)" % len(sent_before))
            st = wait_until(lambda: (lambda h: h if h[0] and not h[1].get("database", {}).get("ok", True) else None)(health(d)),
                            60, "the health endpoint to report the database")
            reported = time.time() - full_at
            res.measure("reported %.1f s after the disk filled: %s" % (reported, json.dumps(st[1].get("database"),
                                                                                          ensure_ascii=False)))
            code, _, _ = d.get_public("/healthz")
            res.check(code == 503, "/healthz answers 503 while the database cannot be written (%d)" % code)
            res.check(d.wait_log(r"the database cannot be written", 5), "the log says the database cannot be written")
            status, _, body = d.post_admin("/api/v1/actions", {"action": "ack", "unit": "u00001",
                                                               "occurrence": "disk@" + now_plus(3600).strftime("%Y-%m-%d"),
                                                               "by": "reliability"})
            res.check(status == 503, "a write while full is refused, not acknowledged (%d %s)" % (status, body.strip()[:80]))
            time.sleep(3)
            delivered_at_3s = len(smtp.accepted_keys()) + len(gw.accepted_keys())
            time.sleep(max(0.0, full_for - (time.time() - full_at)))
            delivered_end = len(smtp.accepted_keys()) + len(gw.accepted_keys())
            res.check(d.proc.poll() is None, "the daemon kept running while the disk was full")
            os.remove(flag)
            freed_at = time.time()
            log("space back")
            wait_until(lambda: (lambda h: h[0] == 200 and h[1]["database"]["ok"])(health(d)), 90,
                       "the daemon to resume")
            resumed = time.time() - freed_at
            code, _, _ = d.get_public("/healthz")
            res.check(code == 200, "/healthz answers 200 again")
            res.check(d.wait_log(r"the database is writable again", 5), "the log says the database is writable again")
            res.measure("deliveries while full: %d (in flight or claimed before), resumed %.1f s after space returned"
                        % (delivered_end - delivered_at_3s, resumed))
            wait_until(lambda: settled(db), 600, "every due row settled", poll=0.5)
            wait_until(lambda: db_query(db, "SELECT COUNT(*) FROM outbox WHERE state='planned'")[0][0] == 0, 600,
                       "every row sent", poll=0.5)
            res.check(d.stop() == 0, "SIGTERM exits 0")
        ledger = Ledger(db, smtp.accepted_keys(), gw.accepted_keys())
        res.take(ledger)
        sent_after = set(k for (k,) in db_query(db, "SELECT key FROM outbox WHERE state='sent'"))
        res.check(sent_before <= sent_after and db_query(db, "SELECT COUNT(*) FROM outbox")[0][0] == rows_before,
                  "nothing already stored was lost (%d rows, %d sent before)" % (rows_before, len(sent_before)))
        res.check(db_query(db, "PRAGMA integrity_check")[0][0] == "ok", "PRAGMA integrity_check: ok")
        res.check(ledger.total["lost"] == 0, "every message delivered after space returned")
        res.check(ledger.total["duplicated"] == 0, "none sent twice (%d)" % ledger.total["duplicated"])
        res.check(delivered_end - delivered_at_3s <= 16, "sending stops while nothing can be recorded")
