#!/usr/bin/python3
"""kill -9 at random moments while the real dondocd sends 2,000+ messages through the
file outbox, restarting it each time. Afterwards: every planned message is in the outbox
(none lost), every row is `sent`, and SMS duplicates (counted by key) are no more than
the in-flight bound (the channel's concurrency) per kill. The kills follow the sending,
not the clock: kill i falls at a random point of the i-th of KILLS+1 equal slices of the
messages, so all of them land while messages flow however fast the machine is.

Usage: crash_test.py [UNITS] [KILLS]   (defaults 1000 units = 2,000 messages, 10 kills)"""

import collections
import random
import sys
import time
from datetime import timedelta

from dondoc_harness import Daemon, check, now_vn, rfc3339, roster, run_tests

UNITS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
KILLS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
IN_FLIGHT_BOUND = 64  # the file outbox's concurrency per channel (daemon/service.cpp)


def many_units(n):
    out = []
    for i in range(n):
        out.append(f'''[[units]]
id = "u{i:05d}"
name = "Đơn vị thử {i}"
kind = "xa"
[[units.contacts]]
id = "u{i:05d}-focal"
name = "Cán bộ {i}"
roles = ["focal"]
email = "u{i:05d}@xa.example"
phone = "09{i:08d}"
''')
    return "\n".join(out)


def test_kill_9_loses_nothing():
    seed = int(time.time())
    rng = random.Random(seed)
    print("seed", seed, flush=True)
    deadline = now_vn().replace(microsecond=0) + timedelta(minutes=10)
    reports = f"""
[[reports]]
id = "khan"
title = "Báo cáo khẩn"
units = ["all"]
deadline = {{ at = {rfc3339(deadline)} }}
reminders = [ {{ before = "585s", to = ["focal"], channels = ["email", "sms"] }} ]
"""
    with Daemon() as d:
        d.write_config(roster(d.state_dir, many_units(UNITS), reports))
        d.start(timeout=120)
        expected = 2 * UNITS
        conn = d.db()
        planned = conn.execute("SELECT COUNT(*) FROM outbox WHERE state='planned'").fetchone()[0]
        conn.close()
        check(planned == expected, "%d rows planned, expected %d" % (planned, expected))
        kills = 0
        # The reminder is due 15 s after start; kill at random moments once sending began.
        check(d.wait_outbox(emails=1, timeout=120) or d.wait_outbox(sms=1, timeout=1), "sending began")
        slice_ = expected / (KILLS + 1)
        thresholds = [int(slice_ * (i + rng.uniform(0.1, 0.9))) for i in range(KILLS)]
        while kills < KILLS:
            # at least one message after each restart, so no kill finds the daemon idle
            target = max(thresholds[kills], d.outbox_writes() + 1)
            wait_end = time.time() + 120
            while d.outbox_writes() < target and time.time() < wait_end:
                time.sleep(0.01)
            sent_so_far = d.outbox_writes()
            d.kill9()
            kills += 1
            print("kill %d after %d outbox writes" % (kills, sent_so_far), flush=True)
            d.start(timeout=120)
            if sent_so_far >= expected:
                break
        check(kills == KILLS, "%d kills while sending (asked %d)" % (kills, KILLS))
        check(d.wait_outbox(emails=UNITS, sms=UNITS, timeout=600), "all messages reached the outbox")
        # Let the last outcomes commit, then stop cleanly.
        deadline_wait = time.time() + 120
        while time.time() < deadline_wait:
            conn = d.db()
            left = conn.execute("SELECT COUNT(*) FROM outbox WHERE state IN ('planned','sending')").fetchone()[0]
            conn.close()
            if left == 0:
                break
            time.sleep(0.2)
        check(d.stop() == 0, "SIGTERM exits 0")
        conn = d.db()
        states = dict(conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
        keys = {k for (k,) in conn.execute("SELECT key FROM outbox")}
        conn.close()
        check(states == {"sent": expected}, "every row is sent: %s" % states)
        sms = d.sms_lines()
        # The coordinators' daily digest is not an outbox row; leave it out of the count.
        emails = {k: v for k, v in d.emails().items() if b"X-Dondoc-Kind: digest" not in v}
        got = set(emails) | {s["key"] for s in sms}
        check(got == keys, "none lost: %d missing" % len(keys - got))
        per_key = collections.Counter(s["key"] for s in sms)
        dups = sum(c - 1 for c in per_key.values())
        print("kills=%d messages=%d sms_duplicates=%d bound=%d" % (kills, expected, dups, kills * IN_FLIGHT_BOUND))
        check(dups <= kills * IN_FLIGHT_BOUND, "duplicates %d within the in-flight bound %d" % (dups, kills * IN_FLIGHT_BOUND))


if __name__ == "__main__":
    run_tests([test_kill_9_loses_nothing])
