"""kill -9 at random moments while dondocd sends thousands of messages to the SMTP sink
and the SMS gateway (the generic HTTP provider, which does not de-duplicate: the worst
case), restarting it each time.

Guarantee: no message is lost; a message is sent twice only if it was in flight when
the process died, so each kill duplicates at most the rows it left `sending`, and those
are at most the channel's `concurrency` (the in-flight bound).
The kills follow the sending, not the clock: kill i falls at a random point of the i-th of
kills+1 equal slices of the messages received, so every kill lands while messages flow
however fast this machine sends (a schedule in seconds ran out of messages on a fast one).
Measured: the rows left `sending` at each kill (read from the store after the kill,
before the restart), duplicates per channel against that bound."""

import collections
import os
import random
import time

from dondoc_harness import Daemon, roster
from rel_support import (Ledger, channels_toml, daemon_dir, db_query, log, now_plus, reminder_report, servers, settled,
                         units_toml, wait_until, write_secrets)

NAME = "kill -9"


def run(res, cfg, workdir):
    units, kills_wanted = cfg["units"], cfg["kills"]
    conc = {"email": cfg.get("email_concurrency", 8), "sms": cfg.get("sms_concurrency", 8)}
    seed = cfg.get("seed") or int(time.time())
    rng = random.Random(seed)
    res.load = "%d msgs (%d units x email+SMS)" % (2 * units, units)
    with servers(workdir) as (smtp, gw):
        ddir = daemon_dir(workdir)
        with Daemon(workdir=ddir) as d:
            secrets = write_secrets(os.path.join(ddir, "secrets"))
            report = reminder_report("khan", now_plus(3600), [3595])
            d.write_config(roster(d.state_dir, units_toml(units), report, extra_service='secrets_dir = "%s"' % secrets,
                                  channels=channels_toml(smtp.port, gw.port, "http", conc["email"], conc["sms"])))
            db = os.path.join(d.state_dir, "dondoc.db")
            t0 = time.time()
            d.start(timeout=300)
            wait_until(lambda: smtp.accepted_keys() or gw.accepted_keys(), 120, "the first message")
            at_kill = []  # (email rows sending, sms rows sending) per kill
            over = []
            total = 2 * units
            slice_ = total / (kills_wanted + 1)
            thresholds = [int(slice_ * (i + rng.uniform(0.1, 0.9))) for i in range(kills_wanted)]
            received = lambda: smtp.lines_logged() + gw.lines_logged()
            while len(at_kill) < kills_wanted:
                # at least one message after each restart, so no kill finds the daemon idle
                target = max(thresholds[len(at_kill)], received() + 1)
                wait_until(lambda: received() >= target, 120, "message %d of %d" % (target, total), poll=0.01)
                d.kill9()
                sending = dict(db_query(db, "SELECT channel, COUNT(*) FROM outbox WHERE state='sending' GROUP BY channel"))
                e, s = sending.get("email", 0), sending.get("sms", 0)
                at_kill.append((e, s))
                if e > conc["email"] or s > conc["sms"]:
                    over.append((len(at_kill), e, s))
                done = len(set(smtp.accepted_keys())) + len(set(gw.accepted_keys()))
                if len(at_kill) % 5 == 0 or len(at_kill) == kills_wanted:
                    log("kill %d: %d/%d delivered, in flight at the kill: email %d sms %d"
                        % (len(at_kill), done, total, e, s))
                d.start(timeout=300)
                if done >= total:
                    break
            kills = len(at_kill)
            wait_until(lambda: settled(db), cfg.get("drain_timeout", 600), "every row settled", poll=0.5)
            res.check(d.stop() == 0, "SIGTERM after the last restart exits 0")
            elapsed = time.time() - t0
        ledger = Ledger(db, smtp.accepted_keys(), gw.accepted_keys())
        res.take(ledger)
        res.faults = "%d x kill -9 (seed %d)" % (kills, seed)
        states = collections.Counter(dict(db_query(db, "SELECT state, COUNT(*) FROM outbox GROUP BY state")))
        bound = {"email": sum(e for e, _ in at_kill), "sms": sum(s for _, s in at_kill)}
        res.measure("%d kills in %.0f s; rows in flight at each kill: email max %d (sum %d), sms max %d (sum %d)"
                    % (kills, elapsed, max(e for e, _ in at_kill), bound["email"], max(s for _, s in at_kill),
                       bound["sms"]))
        res.check(kills >= kills_wanted, "at least %d kills while sending (%d)" % (kills_wanted, kills))
        res.check(states == collections.Counter({"sent": total}), "every row is sent: %s" % dict(states))
        res.check(ledger.total["lost"] == 0, "none lost (%d)" % ledger.total["lost"])
        res.check(ledger.total["stray"] == 0, "nothing received that was not planned (%d)" % ledger.total["stray"])
        res.check(not over, "rows in flight at a kill never exceed the channel's concurrency (%d/%d): %s"
                  % (conc["email"], conc["sms"], over[:5]))
        for ch in ("email", "sms"):
            dups = ledger.by_channel[ch]["duplicated"]
            res.check(dups <= bound[ch] <= kills * conc[ch],
                      "%s duplicates %d <= rows in flight at the kills %d <= kills x concurrency %d"
                      % (ch, dups, bound[ch], kills * conc[ch]))
