#!/usr/bin/python3
"""dondoc's fault-injection suite: each scenario runs the real dondocd against the real
local SMTP sink and SMS gateway (tests/servers/), injects one kind of fault, counts what
each server received, checks the store afterwards, and prints what it guarantees and
what it measured. A table sums up; the exit status is non-zero when a scenario fails.

    reliability.py --short | --long  [--only NAME,…] [--json FILE] [--markdown FILE]

Run it through tests/reliability/run.sh, which builds what is missing. See
docs/RELIABILITY.md for the scenarios, the commands and the last long run."""

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "harness"))

from rel_support import Result, markdown_table, table  # noqa: E402

# name -> (module, short form, long form). The short form is CI's (all of it within
# ~10 minutes on two shared cores); the long form is the on-demand proof.
SCENARIOS = [
    ("kill9", "scenario_kill9", dict(units=2500, kills=20), dict(units=10000, kills=100)),
    ("smtp_down", "scenario_smtp_down", dict(units=250, outage=60, steps=4), dict(units=2000, outage=60, steps=5)),
    ("sms_faults", "scenario_sms_faults", dict(units=60, phase=10), dict(units=400, phase=60)),
    ("disk_full", "scenario_disk_full", dict(units=400, full=20), dict(units=3000, full=120)),
    ("clock", "scenario_clock", dict(units=150, hold_back=15), dict(units=1500, hold_back=15)),
    ("reloads", "scenario_reloads", dict(units=200, reloads=100, flow=60), dict(units=2000, reloads=100, flow=180)),
    ("hostile_http", "scenario_hostile_http", dict(units=200, flood=40), dict(units=1000, flood=300)),
]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    form = p.add_mutually_exclusive_group()
    form.add_argument("--short", action="store_true", help="the CI form (default)")
    form.add_argument("--long", action="store_true", help="the long form")
    p.add_argument("--only", default="", help="comma-separated scenario names: " +
                   ", ".join(n for n, *_ in SCENARIOS))
    p.add_argument("--json", help="write the results as JSON here")
    p.add_argument("--markdown", help="write the table as Markdown here")
    p.add_argument("--keep", action="store_true", help="keep the work directories")
    args = p.parse_args()
    only = [s for s in args.only.split(",") if s]
    unknown = set(only) - {n for n, *_ in SCENARIOS}
    if unknown:
        p.error("unknown scenario(s): %s" % ", ".join(sorted(unknown)))

    root = tempfile.mkdtemp(prefix="dondoc-reliability-")
    if not os.environ.get("DONDOC_ENOSPC_SHIM"):
        # The disk-full scenario's LD_PRELOAD shim (enospc_shim.c), built for this run.
        shim = os.path.join(root, "enospc_shim.so")
        subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-o", shim,
                        os.path.join(HERE, "enospc_shim.c"), "-ldl"], check=True)
        os.environ["DONDOC_ENOSPC_SHIM"] = shim
    results = []
    t_all = time.time()
    try:
        for name, module, short, long_ in SCENARIOS:
            if only and name not in only:
                continue
            mod = importlib.import_module(module)
            res = Result(mod.NAME, (mod.__doc__ or "").strip())
            print("=== %s (%s form)" % (mod.NAME, "long" if args.long else "short"), flush=True)
            workdir = os.path.join(root, name)
            os.makedirs(workdir)
            t0 = time.time()
            try:
                mod.run(res, dict(long_ if args.long else short), workdir)
            except Exception as e:  # noqa: BLE001 - a failed scenario is reported, the others still run
                res.error = "%s: %s" % (type(e).__name__, e)
                traceback.print_exc()
                print("    ERROR " + res.error, flush=True)
            res.seconds = time.time() - t0
            print("=== %s: %s in %.0f s\n" % (mod.NAME, "PASS" if res.passed else "FAIL", res.seconds), flush=True)
            results.append(res)
    finally:
        if args.keep:
            print("work directories kept in " + root)
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(table(results))
    print("total %.0f s" % (time.time() - t_all))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump([r.as_dict() for r in results], f, ensure_ascii=False, indent=1)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(markdown_table(results) + "\n")
    return 0 if results and all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
