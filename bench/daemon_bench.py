#!/usr/bin/python3
"""Daemon start-up, reload and idle figures (issue 4), on the real dondocd:
  1. first start that plans ~1,000,000 rows (time to READY=1);
  2. start-up to READY with those rows already stored;
  3. reload (SIGHUP) with one unit changed (time to the next READY=1);
  4. an idle daemon on the 2019 example: wake-ups per minute (voluntary context switches
     of the process, watchdog off) and resident memory.
Usage: bench/daemon_bench.py [UNITS] [IDLE_SECONDS]
  (run with DONDOC_BUILD_DIR=build/release PYTHONPATH=tests/harness)"""

import os
import sys
import time

from dondoc_harness import Daemon, SOURCE, roster

UNITS = int(sys.argv[1]) if len(sys.argv) > 1 else 7700
IDLE = int(sys.argv[2]) if len(sys.argv) > 2 else 120


def units(n, variant=None):
    out = []
    for i in range(n):
        extra = '\ntitle = "Phó Chánh Văn phòng"' if (variant is not None and i == variant) else ""
        out.append(f'[[units]]\nid = "u{i:05d}"\nname = "Xã thử {i}"\nkind = "xa"\n'
                   f'[[units.contacts]]\nid = "u{i:05d}-f"\nname = "Cán bộ {i}"\nroles = ["focal"]{extra}\n'
                   f'email = "f{i}@xa.example"\nphone = "09{i:08d}"\n'
                   f'[[units.contacts]]\nid = "u{i:05d}-h"\nname = "Chủ tịch {i}"\n'
                   f'roles = ["{"head" if not (variant is not None and i == variant) else "deputy"}"]\n'
                   f'email = "h{i}@xa.example"\n')
    return "\n".join(out)


REPORT = """
[[reports]]
id = "thang"
title = "Báo cáo tháng"
units = ["all"]
deadline = { every = "month", day = 25 }
first = 2026-01-25
reminders = [
  { before = "5wd", to = ["focal"], channels = ["email", "sms"] },
  { before = "2wd", to = ["focal"], channels = ["email", "sms"] },
  { before = "0wd", to = ["focal"], channels = ["email", "sms"] },
]
escalation = [
  { after = "1wd", to = ["head"], channels = ["email"] },
  { after = "3wd", to = ["head"], channels = ["email"] },
  { after = "5wd", to = ["head"], channels = ["email"] },
]
"""

SENDING = 'office_hours = ["07:30-11:30", "13:30-17:00"]\nsms_quiet_hours = "22:00-07:00"\n'


def ready_time(d, action):
    from dondoc_harness import NotifySocket
    if d.notify is None:
        d.notify = NotifySocket(d.dir)
    before = d.notify.count("READY=1")
    t0 = time.time()
    action()
    d.notify.wait_for("READY=1", before + 1, timeout=600)
    return d.notify.arrival_of("READY=1", before + 1) - t0  # when it arrived, not when polled


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def switches(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
    return total


def main():
    with Daemon() as d:
        d.write_config(roster(d.state_dir, units(UNITS), REPORT, sending=SENDING))
        first = ready_time(d, lambda: d.start(timeout=600))
        conn = d.db()
        rows = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        conn.close()
        print(f"first start: {rows} rows planned, READY after {first:.2f} s")
        print("\n".join(l for l in d.log_text().splitlines() if "start-up:" in l or "reconciled" in l))
        d.stop()
        second = ready_time(d, lambda: d.start(timeout=600))
        print(f"start-up with {rows} rows stored: READY after {second:.2f} s")
        print("\n".join(l for l in d.log_text().splitlines()[-8:] if "start-up:" in l or "reconciled" in l))
        d.write_config(roster(d.state_dir, units(UNITS, variant=UNITS // 2), REPORT, sending=SENDING)
                       .replace(f'listen = "127.0.0.1:', 'listen = "127.0.0.1:', 1))
        # Keep the listeners (a reload does not rebind): reuse the ports the daemon has.
        text = open(d.config_path, encoding="utf-8").read()
        import re
        text = re.sub(r'listen = "127\.0\.0\.1:\d+"', f'listen = "{d.public}"', text, count=1)
        text = re.sub(r'admin_listen = "127\.0\.0\.1:\d+"', f'admin_listen = "{d.admin}"', text, count=1)
        d.write_config(text)
        reload_t = ready_time(d, d.reload)
        print(f"reload with one unit changed: READY after {reload_t * 1000:.0f} ms")
        d.stop()

    example = os.path.abspath(os.path.join(SOURCE, "examples", "quang-ngai-2019", "dondoc.toml"))
    text = open(example, encoding="utf-8").read()
    text = text.replace('include = ["units.toml", "reports.toml"]',
                        'include = ["%s", "%s"]' % (os.path.join(os.path.dirname(example), "units.toml"),
                                                    os.path.join(os.path.dirname(example), "reports.toml")))
    with Daemon() as d:
        from dondoc_harness import free_port
        text2 = text.replace('state_dir = "/var/lib/dondoc"', f'state_dir = "{d.state_dir}"')
        text2 = text2.replace('listen = "127.0.0.1:8080"', f'listen = "127.0.0.1:{free_port()}"')
        text2 = text2.replace('admin_listen = "127.0.0.1:8081"', f'admin_listen = "127.0.0.1:{free_port()}"')
        d.write_config(text2)
        d.start()
        pid = d.proc.pid
        time.sleep(5)
        s0 = switches(pid)
        time.sleep(IDLE)
        s1 = switches(pid)
        per_minute = (s1 - s0) * 60.0 / IDLE
        print(f"idle on the 2019 example: {per_minute:.1f} wake-ups per minute over {IDLE} s, RSS {rss_kb(pid) / 1024:.1f} MB")
        d.stop()


if __name__ == "__main__":
    main()
