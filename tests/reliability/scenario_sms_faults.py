"""The SMS gateway misbehaves in three phases while messages flow: HTTP 500 to every
other request, then answers slower than the channel's timeout, then connections closed
without an answer; then it recovers. The gateway speaks eSMS, which de-duplicates by
RequestId (dondoc sends the row key), as the real eSMS does.

Guarantee: every SMS is delivered eventually (retries with backoff), none twice to a
phone; email is unaffected (every email on its first attempt).
Measured: the gateway's requests per phase and answer, SMS attempts, requests that
eSMS de-duplicated (a timed-out request the gateway had in fact accepted, sent again)."""

import collections
import os
import time

from dondoc_harness import Daemon, roster
from rel_support import (Ledger, SmsGateway, channels_toml, daemon_dir, db_query, log, now_plus, reminder_report,
                         servers, settled, units_toml, wait_until, write_secrets)

NAME = "SMS gateway faults"
PHASES = ("500-half", "slow", "drop")


def run(res, cfg, workdir):
    units, phase = cfg["units"], cfg["phase"]
    steps = max(1, (3 * phase) // 5 + 1)  # a step every 5 s across the faulty phases
    res.load = "%d units x %d steps x email+SMS" % (units, steps)
    res.faults = "gateway: 500 to half %d s, timeouts %d s, drops %d s" % (phase, phase, phase)
    timeout = 3
    with servers(workdir, slow_seconds=timeout + 5) as (smtp, gw):
        ddir = daemon_dir(workdir)
        with Daemon(workdir=ddir) as d:
            secrets = write_secrets(os.path.join(ddir, "secrets"))
            befores = [3600 - 6 - 5 * i for i in range(steps)]
            d.write_config(roster(d.state_dir, units_toml(units), reminder_report("sms", now_plus(3600), befores),
                                  extra_service='secrets_dir = "%s"' % secrets,
                                  channels=channels_toml(smtp.port, gw.port, "esms", sms_timeout=timeout)))
            db = os.path.join(d.state_dir, "dondoc.db")
            gw.set_mode(PHASES[0])
            d.start(timeout=120)
            start = time.time()
            for i, mode in enumerate(PHASES):
                gw.set_mode(mode)
                log("gateway mode %s for %d s" % (mode, phase))
                time.sleep(max(0.0, start + (i + 1) * phase - time.time()))
            gw.set_mode("ok")
            recovered = time.time()
            log("gateway answers again; waiting for the retries")
            wait_until(lambda: settled(db) and db_query(db, "SELECT COUNT(*) FROM outbox WHERE state='planned'")[0][0] == 0,
                       900, "every SMS delivered", poll=0.5)
            res.check(d.stop() == 0, "SIGTERM exits 0")
        ledger = Ledger(db, smtp.accepted_keys(), gw.accepted_keys())
        res.take(ledger)
        reqs = gw.records()
        per_mode = collections.Counter((r["mode"], r["status"]) for r in reqs)
        ok_per_key = collections.Counter(SmsGateway._key(r) for r in reqs if r["status"] == 200)
        deduped = sum(c - 1 for c in ok_per_key.values() if c > 1)
        sms = db_query(db, "SELECT attempts, sent_at FROM outbox WHERE channel='sms'")
        emails = db_query(db, "SELECT attempts FROM outbox WHERE channel='email'")
        last = max(s for _, s in sms)
        res.measure("gateway requests by (mode, status): %s" % dict(sorted(per_mode.items(), key=str)))
        res.measure("SMS attempts: %s; last SMS delivered %.0f s after the gateway recovered; "
                    "requests eSMS de-duplicated (answered 124): %d"
                    % (dict(collections.Counter(a for a, _ in sms)), last - recovered, deduped))
        res.check(all(per_mode[(m, s)] > 0 for m, s in (("500-half", 500), ("500-half", 200), ("drop", None))),
                  "each fault was met: 500s, successes and dropped connections")
        res.check(sum(1 for r in reqs if r["mode"] == "slow") > 0, "requests met the slow gateway (timeouts)")
        res.check(ledger.by_channel["sms"]["lost"] == 0, "every SMS delivered (%d of %d)"
                  % (ledger.by_channel["sms"]["delivered"], ledger.by_channel["sms"]["planned"]))
        res.check(ledger.by_channel["sms"]["duplicated"] == 0, "no SMS delivered twice to a phone")
        res.check(ledger.by_channel["email"]["lost"] == 0 and all(a == 1 for (a,) in emails)
                  and ledger.by_channel["email"]["duplicated"] == 0,
                  "email unaffected: %d delivered, each on its first attempt" % len(emails))
