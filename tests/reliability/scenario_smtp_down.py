"""The SMTP server goes away for a minute (the process stops: connections refused), then
comes back on the same port, while emails and SMS are due.

Guarantee: every email is delivered after the server returns, within the retry bound:
a row whose last failed attempt was number n is tried again at most 1.2 x min(30 s x
2^(n-1), 30 min) later (the backoff with its +20 % jitter), plus the dispatch loop's
granularity; nothing is lost or sent twice. SMS is unaffected: every SMS goes on its
first attempt while the mail server is down.
Measured: per email, the time from the server's return to its delivery, against that
bound; per SMS, attempts and the time of delivery."""

import os
import statistics
import time

from dondoc_harness import Daemon, roster
from rel_support import (Ledger, channels_toml, daemon_dir, db_query, log, now_plus, reminder_report, servers, settled,
                         units_toml, wait_until, write_secrets)

NAME = "SMTP down"
SLACK = 5  # s: the dispatch loop re-reads due rows at least every second; sending takes time too


def backoff_max(attempt):
    return 1.2 * min(30 * 2 ** (attempt - 1), 1800)


def run(res, cfg, workdir):
    units, outage, steps = cfg["units"], cfg["outage"], cfg.get("steps", 4)
    res.load = "%d units x %d steps x email+SMS" % (units, steps)
    res.faults = "SMTP server stopped %d s" % outage
    with servers(workdir) as (smtp, gw):
        ddir = daemon_dir(workdir)
        with Daemon(workdir=ddir) as d:
            secrets = write_secrets(os.path.join(ddir, "secrets"))
            deadline = now_plus(3600)
            # Steps every 10 s from 8 s after start, so messages fall due during the outage.
            befores = [3600 - 8 - 10 * i for i in range(steps)]
            d.write_config(roster(d.state_dir, units_toml(units), reminder_report("mail", deadline, befores),
                                  extra_service='secrets_dir = "%s"' % secrets,
                                  channels=channels_toml(smtp.port, gw.port, "http")))
            db = os.path.join(d.state_dir, "dondoc.db")
            d.start(timeout=120)
            smtp.stop()
            down_at = time.time()
            log("SMTP sink stopped; SMS keeps flowing")
            total_sms = units * steps
            time.sleep(max(0.0, outage - (time.time() - down_at)))
            sms_during = len(set(gw.accepted_keys()))
            smtp.start()
            up_at = time.time()
            log("SMTP sink back on port %d after %.0f s; %d of %d SMS delivered meanwhile"
                % (smtp.port, up_at - down_at, sms_during, total_sms))
            wait_until(lambda: settled(db) and len(set(smtp.accepted_keys())) >= units * steps, 900,
                       "every email after recovery", poll=0.5)
            res.check(d.stop() == 0, "SIGTERM exits 0")
        ledger = Ledger(db, smtp.accepted_keys(), gw.accepted_keys())
        res.take(ledger)
        emails = db_query(db, "SELECT attempts, sent_at, first_attempt_at FROM outbox WHERE channel='email'")
        sms = db_query(db, "SELECT attempts, sent_at FROM outbox WHERE channel='sms'")
        up = int(up_at)
        retried = [(a, s) for a, s, _ in emails if a > 1]
        lat = [s - up for a, s in retried]
        over = [(a, s - up, backoff_max(a - 1) + SLACK) for a, s in retried if s - up > backoff_max(a - 1) + SLACK]
        attempts = sorted({a for a, _, _ in emails})
        res.measure("emails retried: %d of %d (attempts %s); delivered after recovery: median %.0f s, max %.0f s; "
                    "bound for their last failed attempt: %.0f s"
                    % (len(retried), len(emails), attempts, statistics.median(lat) if lat else 0, max(lat or [0]),
                       max((backoff_max(a - 1) + SLACK for a, _ in retried), default=0)))
        res.measure("SMS: %d delivered while SMTP was down, max attempts %d"
                    % (sms_during, max((a for a, _ in sms), default=0)))
        res.check(ledger.total["lost"] == 0 and ledger.total["planned"] == 2 * units * steps,
                  "none lost (%d of %d planned)" % (ledger.total["lost"], ledger.total["planned"]))
        res.check(ledger.total["duplicated"] == 0, "none sent twice (%d)" % ledger.total["duplicated"])
        res.check(retried, "emails failed while the server was down and were retried")
        res.check(not over, "every email delivered within its retry bound after recovery: %s" % over[:5])
        res.check(all(s <= up for a, s in sms) and all(a == 1 for a, _ in sms) and sms_during == total_sms,
                  "SMS unaffected: all %d delivered on the first attempt while SMTP was down" % total_sms)
