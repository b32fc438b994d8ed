#!/usr/bin/python3
"""Replies benchmark (issue 6), on the real dondocd, with wrk (Debian `wrk`):
  1. acknowledgements over HTTP: POST /a/{token} (action=ack) through the public
     listener, each a different unit, each committed durably (SQLite WAL with
     synchronous=FULL; the write batcher groups the requests of one moment into one
     transaction) before its 303 is sent;
  2. GET /healthz on the public listener.
The links' tokens are computed from the store and the daemon's token key, exactly as
the daemon makes them (replies/tokens.cpp), so no message has to be sent first.
Usage: bench/replies_bench.py [UNITS] [SECONDS] [CONNECTIONS]
  (run with DONDOC_BUILD_DIR=build/replies PYTHONPATH=tests/harness)"""

import base64
import hashlib
import hmac
import os
import re
import subprocess
import sys
import time
from datetime import timedelta

from dondoc_harness import Daemon, now_vn, rfc3339, roster

UNITS = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
CONNECTIONS = int(sys.argv[3]) if len(sys.argv) > 3 else 64


def units(n):
    return "\n".join(f'[[units]]\nid = "u{i:05d}"\nname = "Xã thử {i}"\nkind = "xa"\n'
                     f'[[units.contacts]]\nid = "u{i:05d}-f"\nname = "Cán bộ {i}"\nroles = ["focal"]\n'
                     f'email = "f{i}@xa.example"\n' for i in range(n))


def report(deadline):
    return f"""
[[reports]]
id = "gap"
title = "Báo cáo đột xuất"
units = ["all"]
deadline = {{ at = {rfc3339(deadline)} }}
reminders = [ {{ before = "1d", to = ["focal"], channels = ["email"], repeat = {{ every = "2h", max = 2 }} }} ]
"""


def tokens(d):
    with open(os.path.join(d.state_dir, "token.key"), "rb") as f:
        key = f.read()
    conn = d.db()
    try:
        rows = conn.execute("SELECT MIN(id), occurrence, unit_id, contact_id FROM outbox WHERE item IS NOT NULL "
                            "AND repeat = 0 GROUP BY item").fetchall()
    finally:
        conn.close()
    out = []
    for rid, occ, unit, contact in rows:
        mac = hmac.new(key, f"dondoc-token-v1/{rid}/{occ}/{unit}/{contact}".encode(), hashlib.sha256).digest()[:10]
        out.append(base64.b32encode(rid.to_bytes(6, "big") + mac).decode().lower().rstrip("="))
    return out


LUA = """
local tokens = {}
for line in io.lines("%s") do tokens[#tokens + 1] = line end
local counter = 0
local thread_id = 0
setup = function(thread) thread:set("id", thread_id); thread_id = thread_id + 1 end
init = function(args) counter = id * 1000003 end
request = function()
  counter = counter + 1
  local t = tokens[(counter %% #tokens) + 1]
  return wrk.format("POST", "/a/" .. t, {["Content-Type"] = "application/x-www-form-urlencoded"}, "action=ack")
end
"""


def wrk(args):
    out = subprocess.run(["wrk", *args], capture_output=True, text=True, timeout=SECONDS + 60).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    return rate, total, int(bad.group(1)) if bad else 0, errors.group(0) if errors else "", out


def main():
    print("load average before: %.2f %.2f %.2f" % os.getloadavg(), flush=True)
    with Daemon() as d:
        d.write_config(roster(d.state_dir, units(UNITS), report(now_vn() + timedelta(days=5))))
        t0 = time.time()
        d.start(timeout=300)
        print("ready with %d units in %.1f s" % (UNITS, time.time() - t0), flush=True)
        toks = tokens(d)
        status, _, _ = d.get_public("/a/" + toks[0])
        assert status == 200, status
        path = os.path.join(d.dir, "tokens.txt")
        with open(path, "w") as f:
            f.write("\n".join(toks) + "\n")
        lua = os.path.join(d.dir, "ack.lua")
        with open(lua, "w") as f:
            f.write(LUA % path)
        base = "http://" + d.public
        rate, total, bad, errors, out = wrk(["-t2", "-c%d" % CONNECTIONS, "-d%ds" % SECONDS, "--latency", "-s", lua, base])
        conn = d.db()
        acked = conn.execute("SELECT COUNT(*) FROM items WHERE acknowledged_at IS NOT NULL").fetchone()[0]
        audited = conn.execute("SELECT COUNT(*) FROM audit WHERE action = 'ack' AND how = 'link'").fetchone()[0]
        conn.close()
        print("POST /a/{token} action=ack: %.0f requests/s, %d requests, %d not 2xx/3xx %s" % (rate, total, bad, errors))
        print("  store: %d units acknowledged, %d acknowledgements in the audit log" % (acked, audited))
        print("  " + "\n  ".join(line for line in out.splitlines() if "%" in line and "Thread" not in line))
        rate, total, bad, errors, out = wrk(["-t2", "-c%d" % CONNECTIONS, "-d%ds" % SECONDS, "--latency",
                                             base + "/healthz"])
        print("GET /healthz: %.0f requests/s, %d requests, %d not 2xx/3xx %s" % (rate, total, bad, errors))
        print("  " + "\n  ".join(line for line in out.splitlines() if "%" in line and "Thread" not in line))
        d.stop()
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
