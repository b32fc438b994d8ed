#!/usr/bin/python3
"""Golden and contract tests of `dondoc plan` (issue #3, "Must show").

Three kinds of check, all against the built `dondoc`:

1. Hand-worked collisions (tests/plan/collisions/): the 2019 example's report with its
   deadline moved onto weekends, Tết, Giỗ Tổ, 30/4-1/5, Quốc khánh and swapped Saturdays,
   under each `on_day_off` policy. The table COLLISIONS below says, for each case, what L
   must be and each step's date, with the reasoning in its comment; T is the end of L. The
   test asserts exactly those (plus T through `--format ics`), and that every date carries
   the weekday the table claims (Python's calendar, not dondoc's).
2. The contract of `--format json` (DESIGN.md, "Interfaces that tests rely on"), and the
   feature fixture (tests/plan/features/): durations, quiet hours, repeats, one-off
   deadlines, quarterly/monthly/half-year rules, overrides, unit validity, seasons.
3. Recorded goldens (tests/plan/golden/*.jsonl): the whole 2019-2027 plan of the 2019
   example and the feature fixture's plan, byte for byte. They are regenerated only
   deliberately, after reading the diff:

       DONDOC_BIN=build/plan/cli tests/plan/plan_golden_test.py --update

Run by CTest with DONDOC_BIN and DONDOC_SOURCE_DIR in the environment.
"""
import datetime as dt
import json
import os
import re
import subprocess
import sys

SRC = os.environ.get("DONDOC_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.path.join(os.environ.get("DONDOC_BIN", os.path.join(SRC, "build", "plan", "cli")), "dondoc")
EXAMPLE = os.path.join(SRC, "examples", "quang-ngai-2019", "dondoc.toml")
COLLISIONS = os.path.join(SRC, "tests", "plan", "collisions", "dondoc.toml")
FEATURES = os.path.join(SRC, "tests", "plan", "features", "dondoc.toml")
GOLDEN_DIR = os.path.join(SRC, "tests", "plan", "golden")
GOLDENS = [  # (file, config, args)
    ("quang-ngai-2019.jsonl", EXAMPLE, ["--from", "2019-01-01", "--to", "2027-12-31"]),
    ("features.jsonl", FEATURES, ["--from", "2025-12-01", "--to", "2027-12-31"]),
]

failures = []
NL = b"\n"


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(config, *args, expect=0):
    p = subprocess.run([BIN, "plan", "--config", config, *args], capture_output=True, timeout=300)
    if p.returncode != expect:
        raise SystemExit(f"dondoc plan {' '.join(args)}: exit {p.returncode}, expected {expect}\n"
                         f"{p.stderr.decode()}")
    return p


def plan_json(config, *args):
    out = run(config, "--format", "json", *args).stdout.decode("utf-8")
    return [json.loads(line) for line in out.splitlines()], out


# --- 1. collisions, worked by hand ---------------------------------------------------
#
# Every report in tests/plan/collisions/ has the example's steps:
#   r0 = before 10wd (focal, email)          r1 = before 3wd (focal, email+sms)
#   r2 = before 0wd (focal+head, email+sms), repeated once 4h later
#   e0 = after 1wd (head, email+sms)         e1 = after 3wd (@coordinator = snv-lan, email)
#   e2 = after 5wd (@leader = ubnd-pct, email)
# Office hours 07:30-11:30, 13:30-17:00, so every step is at 07:30 on its day, and r2's
# repeat is at 13:30 (07:30 + 4h = 11:30 falls in the lunch break). No deadline has a
# time, so T = the day after L at 00:00:00+07:00.
# L: the nominal date (minus one day with before = true), then `keep` leaves it,
# `previous_working_day` / `next_working_day` move it to a working day. A = L if L is a
# working day, else the working day before it. rN = N working days before A; eN = the
# N-th working day after L.
# Days off used below (see `dondoc calendar YEAR`): 2019 Giỗ Tổ Sun 14/4 + Mon 15/4;
# Mon 29/4 swapped off, Tue 30/4, Wed 1/5, Sat 4/5 worked; Quốc khánh Mon 2/9 (one day
# before 2021). 2023 Giỗ Tổ Sat 29/4, 30/4 Sun, 1/5 Mon, Tue 2/5 and Wed 3/5 in lieu.
# 2024 Giỗ Tổ Thu 18/4; Mon 29/4 swapped off, 30/4, 1/5, Sat 4/5 worked. 2025 Sat 26/4
# worked, 30/4 Wed, 1/5 Thu, Fri 2/5 swapped off; Quốc khánh Mon 1/9 + Tue 2/9. 2026 Tết
# Mon 16/2-Fri 20/2; Giỗ Tổ Sun 26/4 + Mon 27/4; 30/4 Thu, 1/5 Fri; Quốc khánh Wed 2/9 +
# Thu 3/9. 2027 Tết Fri 5/2-Thu 11/2. June and November have no holidays.
# Each entry: (report shape, nominal date, {policy: (L, [r0, r1, r2, e0, e1, e2])});
# one policy key "all" when the three agree (L is a working day).

COLLISIONS_TABLE = [
    # 14/6/2019 is a Friday: no collision (control). r0 counts back 10 working days from
    # 14/6 over two weekends: 13,12,11,10 | 7,6,5,4,3 | 31/5.
    ("sau-thang", "2019-06-15", {
        "all": ("2019-06-14 Fri", ["2019-05-31 Fri", "2019-06-11 Tue", "2019-06-14 Fri",
                                   "2019-06-17 Mon", "2019-06-19 Wed", "2019-06-21 Fri"])}),
    # 14/6/2020 is a Sunday. keep: L stays Sunday, A = Fri 12/6; the escalations count
    # from Sunday, so the first is Mon 15/6. prev: L = Fri 12/6, same steps (the first
    # working day after Friday is also Mon 15/6). next: L = Mon 15/6 (Điều 148), and
    # everything moves: A = 15/6, 10wd back = Mon 1/6, e0 = Tue 16/6.
    ("sau-thang", "2020-06-15", {
        "keep": ("2020-06-14 Sun", ["2020-05-29 Fri", "2020-06-09 Tue", "2020-06-12 Fri",
                                    "2020-06-15 Mon", "2020-06-17 Wed", "2020-06-19 Fri"]),
        "prev": ("2020-06-12 Fri", ["2020-05-29 Fri", "2020-06-09 Tue", "2020-06-12 Fri",
                                    "2020-06-15 Mon", "2020-06-17 Wed", "2020-06-19 Fri"]),
        "next": ("2020-06-15 Mon", ["2020-06-01 Mon", "2020-06-10 Wed", "2020-06-15 Mon",
                                    "2020-06-16 Tue", "2020-06-18 Thu", "2020-06-22 Mon"])}),
    # 14/6/2025 is a Saturday: A = Fri 13/6; next moves L to Mon 16/6.
    ("sau-thang", "2025-06-15", {
        "keep": ("2025-06-14 Sat", ["2025-05-30 Fri", "2025-06-10 Tue", "2025-06-13 Fri",
                                    "2025-06-16 Mon", "2025-06-18 Wed", "2025-06-20 Fri"]),
        "prev": ("2025-06-13 Fri", ["2025-05-30 Fri", "2025-06-10 Tue", "2025-06-13 Fri",
                                    "2025-06-16 Mon", "2025-06-18 Wed", "2025-06-20 Fri"]),
        "next": ("2025-06-16 Mon", ["2025-06-02 Mon", "2025-06-11 Wed", "2025-06-16 Mon",
                                    "2025-06-17 Tue", "2025-06-19 Thu", "2025-06-23 Mon"])}),
    # DOMAIN.md: 14/6/2026 is a Sunday. keep/prev: A = Fri 12/6, 10wd back = Fri 29/5
    # (11,10,9,8 | 5,4,3,2,1 | 29/5). next: L = Mon 15/6, 10wd back = Mon 1/6.
    ("sau-thang", "2026-06-15", {
        "keep": ("2026-06-14 Sun", ["2026-05-29 Fri", "2026-06-09 Tue", "2026-06-12 Fri",
                                    "2026-06-15 Mon", "2026-06-17 Wed", "2026-06-19 Fri"]),
        "prev": ("2026-06-12 Fri", ["2026-05-29 Fri", "2026-06-09 Tue", "2026-06-12 Fri",
                                    "2026-06-15 Mon", "2026-06-17 Wed", "2026-06-19 Fri"]),
        "next": ("2026-06-15 Mon", ["2026-06-01 Mon", "2026-06-10 Wed", "2026-06-15 Mon",
                                    "2026-06-16 Tue", "2026-06-18 Thu", "2026-06-22 Mon"])}),
    # DOMAIN.md: 15/6/2019 is a Saturday (due on the 15th itself). keep: A = Fri 14/6 —
    # the same reminders as the example's "before 15/6". next: L = Mon 17/6.
    ("sau-thang-ngay15", "2019-06-15", {
        "keep": ("2019-06-15 Sat", ["2019-05-31 Fri", "2019-06-11 Tue", "2019-06-14 Fri",
                                    "2019-06-17 Mon", "2019-06-19 Wed", "2019-06-21 Fri"]),
        "prev": ("2019-06-14 Fri", ["2019-05-31 Fri", "2019-06-11 Tue", "2019-06-14 Fri",
                                    "2019-06-17 Mon", "2019-06-19 Wed", "2019-06-21 Fri"]),
        "next": ("2019-06-17 Mon", ["2019-06-03 Mon", "2019-06-12 Wed", "2019-06-17 Mon",
                                    "2019-06-18 Tue", "2019-06-20 Thu", "2019-06-24 Mon"])}),
    # DOMAIN.md: 15/6/2024 is a Saturday too.
    ("sau-thang-ngay15", "2024-06-15", {
        "keep": ("2024-06-15 Sat", ["2024-05-31 Fri", "2024-06-11 Tue", "2024-06-14 Fri",
                                    "2024-06-17 Mon", "2024-06-19 Wed", "2024-06-21 Fri"]),
        "prev": ("2024-06-14 Fri", ["2024-05-31 Fri", "2024-06-11 Tue", "2024-06-14 Fri",
                                    "2024-06-17 Mon", "2024-06-19 Wed", "2024-06-21 Fri"]),
        "next": ("2024-06-17 Mon", ["2024-06-03 Mon", "2024-06-12 Wed", "2024-06-17 Mon",
                                    "2024-06-18 Tue", "2024-06-20 Thu", "2024-06-24 Mon"])}),
    # 15/6/2025 is a Sunday: A = Fri 13/6; next: Mon 16/6.
    ("sau-thang-ngay15", "2025-06-15", {
        "keep": ("2025-06-15 Sun", ["2025-05-30 Fri", "2025-06-10 Tue", "2025-06-13 Fri",
                                    "2025-06-16 Mon", "2025-06-18 Wed", "2025-06-20 Fri"]),
        "prev": ("2025-06-13 Fri", ["2025-05-30 Fri", "2025-06-10 Tue", "2025-06-13 Fri",
                                    "2025-06-16 Mon", "2025-06-18 Wed", "2025-06-20 Fri"]),
        "next": ("2025-06-16 Mon", ["2025-06-02 Mon", "2025-06-11 Wed", "2025-06-16 Mon",
                                    "2025-06-17 Tue", "2025-06-19 Thu", "2025-06-23 Mon"])}),
    # 14/11/2019 is a Thursday (control): 10wd back crosses two weekends to Thu 31/10;
    # the escalations skip the weekend after Fri 15/11.
    ("nam", "2019-11-15", {
        "all": ("2019-11-14 Thu", ["2019-10-31 Thu", "2019-11-11 Mon", "2019-11-14 Thu",
                                   "2019-11-15 Fri", "2019-11-19 Tue", "2019-11-21 Thu"])}),
    # 14/11/2021 is a Sunday: A = Fri 12/11; next: Mon 15/11.
    ("nam", "2021-11-15", {
        "keep": ("2021-11-14 Sun", ["2021-10-29 Fri", "2021-11-09 Tue", "2021-11-12 Fri",
                                    "2021-11-15 Mon", "2021-11-17 Wed", "2021-11-19 Fri"]),
        "prev": ("2021-11-12 Fri", ["2021-10-29 Fri", "2021-11-09 Tue", "2021-11-12 Fri",
                                    "2021-11-15 Mon", "2021-11-17 Wed", "2021-11-19 Fri"]),
        "next": ("2021-11-15 Mon", ["2021-11-01 Mon", "2021-11-10 Wed", "2021-11-15 Mon",
                                    "2021-11-16 Tue", "2021-11-18 Thu", "2021-11-22 Mon"])}),
    # DOMAIN.md: 15/11/2026 is a Sunday, so the example's L (14/11) is a Saturday.
    ("nam", "2026-11-15", {
        "keep": ("2026-11-14 Sat", ["2026-10-30 Fri", "2026-11-10 Tue", "2026-11-13 Fri",
                                    "2026-11-16 Mon", "2026-11-18 Wed", "2026-11-20 Fri"]),
        "prev": ("2026-11-13 Fri", ["2026-10-30 Fri", "2026-11-10 Tue", "2026-11-13 Fri",
                                    "2026-11-16 Mon", "2026-11-18 Wed", "2026-11-20 Fri"]),
        "next": ("2026-11-16 Mon", ["2026-11-02 Mon", "2026-11-11 Wed", "2026-11-16 Mon",
                                    "2026-11-17 Tue", "2026-11-19 Thu", "2026-11-23 Mon"])}),
    # 14/11/2027 is a Sunday.
    ("nam", "2027-11-15", {
        "keep": ("2027-11-14 Sun", ["2027-10-29 Fri", "2027-11-09 Tue", "2027-11-12 Fri",
                                    "2027-11-15 Mon", "2027-11-17 Wed", "2027-11-19 Fri"]),
        "prev": ("2027-11-12 Fri", ["2027-10-29 Fri", "2027-11-09 Tue", "2027-11-12 Fri",
                                    "2027-11-15 Mon", "2027-11-17 Wed", "2027-11-19 Fri"]),
        "next": ("2027-11-15 Mon", ["2027-11-01 Mon", "2027-11-10 Wed", "2027-11-15 Mon",
                                    "2027-11-16 Tue", "2027-11-18 Thu", "2027-11-22 Mon"])}),
    # 15/11/2020 is a Sunday (due on the 15th itself): A = Fri 13/11.
    ("nam-ngay15", "2020-11-15", {
        "keep": ("2020-11-15 Sun", ["2020-10-30 Fri", "2020-11-10 Tue", "2020-11-13 Fri",
                                    "2020-11-16 Mon", "2020-11-18 Wed", "2020-11-20 Fri"]),
        "prev": ("2020-11-13 Fri", ["2020-10-30 Fri", "2020-11-10 Tue", "2020-11-13 Fri",
                                    "2020-11-16 Mon", "2020-11-18 Wed", "2020-11-20 Fri"]),
        "next": ("2020-11-16 Mon", ["2020-11-02 Mon", "2020-11-11 Wed", "2020-11-16 Mon",
                                    "2020-11-17 Tue", "2020-11-19 Thu", "2020-11-23 Mon"])}),
    # DOMAIN.md: 15/11/2025 is a Saturday: A = Fri 14/11, 10wd back = Fri 31/10.
    ("nam-ngay15", "2025-11-15", {
        "keep": ("2025-11-15 Sat", ["2025-10-31 Fri", "2025-11-11 Tue", "2025-11-14 Fri",
                                    "2025-11-17 Mon", "2025-11-19 Wed", "2025-11-21 Fri"]),
        "prev": ("2025-11-14 Fri", ["2025-10-31 Fri", "2025-11-11 Tue", "2025-11-14 Fri",
                                    "2025-11-17 Mon", "2025-11-19 Wed", "2025-11-21 Fri"]),
        "next": ("2025-11-17 Mon", ["2025-11-03 Mon", "2025-11-12 Wed", "2025-11-17 Mon",
                                    "2025-11-18 Tue", "2025-11-20 Thu", "2025-11-24 Mon"])}),
    # DOMAIN.md: 15/11/2026 is a Sunday: A = Fri 13/11; next: Mon 16/11.
    ("nam-ngay15", "2026-11-15", {
        "keep": ("2026-11-15 Sun", ["2026-10-30 Fri", "2026-11-10 Tue", "2026-11-13 Fri",
                                    "2026-11-16 Mon", "2026-11-18 Wed", "2026-11-20 Fri"]),
        "prev": ("2026-11-13 Fri", ["2026-10-30 Fri", "2026-11-10 Tue", "2026-11-13 Fri",
                                    "2026-11-16 Mon", "2026-11-18 Wed", "2026-11-20 Fri"]),
        "next": ("2026-11-16 Mon", ["2026-11-02 Mon", "2026-11-11 Wed", "2026-11-16 Mon",
                                    "2026-11-17 Tue", "2026-11-19 Thu", "2026-11-23 Mon"])}),
    # 18/2/2026 is a Wednesday of Tết (Sat 14/2 - Sun 22/2 off). keep: A = Fri 13/2, the
    # last working day before Tết; e0 = Mon 23/2, the first after it. prev: L = 13/2, the
    # same steps. next: L = Mon 23/2; 10wd back from it = Mon 2/2 (13,12,11,10,9 | 6..2).
    ("tet", "2026-02-18", {
        "keep": ("2026-02-18 Wed", ["2026-01-30 Fri", "2026-02-10 Tue", "2026-02-13 Fri",
                                    "2026-02-23 Mon", "2026-02-25 Wed", "2026-02-27 Fri"]),
        "prev": ("2026-02-13 Fri", ["2026-01-30 Fri", "2026-02-10 Tue", "2026-02-13 Fri",
                                    "2026-02-23 Mon", "2026-02-25 Wed", "2026-02-27 Fri"]),
        "next": ("2026-02-23 Mon", ["2026-02-02 Mon", "2026-02-11 Wed", "2026-02-23 Mon",
                                    "2026-02-24 Tue", "2026-02-26 Thu", "2026-03-02 Mon"])}),
    # 18/2/2027 is a working Thursday after Tết (Fri 5/2 - Thu 11/2 off): 10wd back skips
    # the whole Tết week: 17,16,15,12 | 4,3,2,1 | 29/1, 28/1.
    ("tet", "2027-02-18", {
        "all": ("2027-02-18 Thu", ["2027-01-28 Thu", "2027-02-15 Mon", "2027-02-18 Thu",
                                   "2027-02-19 Fri", "2027-02-23 Tue", "2027-02-25 Thu"])}),
    # L = 27/4/2026, Monday off in lieu of Giỗ Tổ (Sun 26/4). keep: A = Fri 24/4; the
    # escalations cross 30/4-3/5: 28/4, 29/4, then Mon 4/5 is the 3rd, Wed 6/5 the 5th.
    # next: L = Tue 28/4; e1 = 29/4, 4/5, 5/5 -> Tue 5/5.
    ("gio-to", "2026-04-28", {
        "keep": ("2026-04-27 Mon", ["2026-04-10 Fri", "2026-04-21 Tue", "2026-04-24 Fri",
                                    "2026-04-28 Tue", "2026-05-04 Mon", "2026-05-06 Wed"]),
        "prev": ("2026-04-24 Fri", ["2026-04-10 Fri", "2026-04-21 Tue", "2026-04-24 Fri",
                                    "2026-04-28 Tue", "2026-05-04 Mon", "2026-05-06 Wed"]),
        "next": ("2026-04-28 Tue", ["2026-04-13 Mon", "2026-04-22 Wed", "2026-04-28 Tue",
                                    "2026-04-29 Wed", "2026-05-05 Tue", "2026-05-07 Thu"])}),
    # 27/4/2023 is a working Thursday; Giỗ Tổ falls on Sat 29/4 with 30/4 and 1/5, so
    # 2/5 and 3/5 are days in lieu: e1 = 28/4, 4/5, 5/5 -> Fri 5/5; e2 = Tue 9/5.
    ("gio-to", "2023-04-28", {
        "all": ("2023-04-27 Thu", ["2023-04-13 Thu", "2023-04-24 Mon", "2023-04-27 Thu",
                                   "2023-04-28 Fri", "2023-05-05 Fri", "2023-05-09 Tue"])}),
    # 30/4/2019 (Tue) with Mon 29/4 swapped off: keep: A = Fri 26/4; 10wd back skips the
    # Giỗ Tổ day in lieu Mon 15/4 -> Thu 11/4. The escalations reach Sat 4/5, worked in
    # exchange for 29/4: e0 = Thu 2/5, e1 = Sat 4/5 (2/5, 3/5, 4/5), e2 = Tue 7/5.
    # next: L = Thu 2/5; e1 = 3/5, 4/5 (Sat), 6/5.
    ("giai-phong", "2019-05-01", {
        "keep": ("2019-04-30 Tue", ["2019-04-11 Thu", "2019-04-23 Tue", "2019-04-26 Fri",
                                    "2019-05-02 Thu", "2019-05-04 Sat", "2019-05-07 Tue"]),
        "prev": ("2019-04-26 Fri", ["2019-04-11 Thu", "2019-04-23 Tue", "2019-04-26 Fri",
                                    "2019-05-02 Thu", "2019-05-04 Sat", "2019-05-07 Tue"]),
        "next": ("2019-05-02 Thu", ["2019-04-12 Fri", "2019-04-24 Wed", "2019-05-02 Thu",
                                    "2019-05-03 Fri", "2019-05-06 Mon", "2019-05-08 Wed"])}),
    # 30/4/2025 (Wed) with Sat 26/4 worked and Fri 2/5 swapped off. keep: A = Tue 29/4;
    # the working Saturday counts: 10wd back = 28, 26 (Sat), 25..21, 18, 17, 16 -> Wed 16/4;
    # 3wd back = Fri 25/4. Escalations start Mon 5/5 (1/5 holiday, 2/5 off, weekend).
    # next: L = Mon 5/5; 3wd back = 29/4, 28/4, Sat 26/4: a reminder on the worked Saturday.
    ("giai-phong", "2025-05-01", {
        "keep": ("2025-04-30 Wed", ["2025-04-16 Wed", "2025-04-25 Fri", "2025-04-29 Tue",
                                    "2025-05-05 Mon", "2025-05-07 Wed", "2025-05-09 Fri"]),
        "prev": ("2025-04-29 Tue", ["2025-04-16 Wed", "2025-04-25 Fri", "2025-04-29 Tue",
                                    "2025-05-05 Mon", "2025-05-07 Wed", "2025-05-09 Fri"]),
        "next": ("2025-05-05 Mon", ["2025-04-17 Thu", "2025-04-26 Sat", "2025-05-05 Mon",
                                    "2025-05-06 Tue", "2025-05-08 Thu", "2025-05-12 Mon"])}),
    # 30/4/2026 (Thu), after Giỗ Tổ's Mon 27/4 off. keep: A = Wed 29/4; 3wd back = 28/4,
    # then over 27/4 (off), 26/4 (Sun, Giỗ Tổ) to Fri 24/4 and Thu 23/4.
    ("giai-phong", "2026-05-01", {
        "keep": ("2026-04-30 Thu", ["2026-04-14 Tue", "2026-04-23 Thu", "2026-04-29 Wed",
                                    "2026-05-04 Mon", "2026-05-06 Wed", "2026-05-08 Fri"]),
        "prev": ("2026-04-29 Wed", ["2026-04-14 Tue", "2026-04-23 Thu", "2026-04-29 Wed",
                                    "2026-05-04 Mon", "2026-05-06 Wed", "2026-05-08 Fri"]),
        "next": ("2026-05-04 Mon", ["2026-04-15 Wed", "2026-04-24 Fri", "2026-05-04 Mon",
                                    "2026-05-05 Tue", "2026-05-07 Thu", "2026-05-11 Mon"])}),
    # 4/5/2019 is a Saturday worked in exchange for Mon 29/4: a working day, so L stays
    # under every policy and the last-day reminder goes on that Saturday at 07:30.
    ("lam-bu", "2019-05-05", {
        "all": ("2019-05-04 Sat", ["2019-04-17 Wed", "2019-04-26 Fri", "2019-05-04 Sat",
                                   "2019-05-06 Mon", "2019-05-08 Wed", "2019-05-10 Fri"])}),
    # 4/5/2024, likewise a worked Saturday; 10wd back also skips Giỗ Tổ Thu 18/4.
    ("lam-bu", "2024-05-05", {
        "all": ("2024-05-04 Sat", ["2024-04-16 Tue", "2024-04-26 Fri", "2024-05-04 Sat",
                                   "2024-05-06 Mon", "2024-05-08 Wed", "2024-05-10 Fri"])}),
    # 4/5/2025 is the Sunday ending 30/4-4/5 off: keep/prev: A = Tue 29/4; next: Mon 5/5.
    ("lam-bu", "2025-05-05", {
        "keep": ("2025-05-04 Sun", ["2025-04-16 Wed", "2025-04-25 Fri", "2025-04-29 Tue",
                                    "2025-05-05 Mon", "2025-05-07 Wed", "2025-05-09 Fri"]),
        "prev": ("2025-04-29 Tue", ["2025-04-16 Wed", "2025-04-25 Fri", "2025-04-29 Tue",
                                    "2025-05-05 Mon", "2025-05-07 Wed", "2025-05-09 Fri"]),
        "next": ("2025-05-05 Mon", ["2025-04-17 Thu", "2025-04-26 Sat", "2025-05-05 Mon",
                                    "2025-05-06 Tue", "2025-05-08 Thu", "2025-05-12 Mon"])}),
    # 2/9/2019 (Mon), Quốc khánh's single day under Bộ luật Lao động 2012.
    ("quoc-khanh", "2019-09-03", {
        "keep": ("2019-09-02 Mon", ["2019-08-16 Fri", "2019-08-27 Tue", "2019-08-30 Fri",
                                    "2019-09-03 Tue", "2019-09-05 Thu", "2019-09-09 Mon"]),
        "prev": ("2019-08-30 Fri", ["2019-08-16 Fri", "2019-08-27 Tue", "2019-08-30 Fri",
                                    "2019-09-03 Tue", "2019-09-05 Thu", "2019-09-09 Mon"]),
        "next": ("2019-09-03 Tue", ["2019-08-19 Mon", "2019-08-28 Wed", "2019-09-03 Tue",
                                    "2019-09-04 Wed", "2019-09-06 Fri", "2019-09-10 Tue"])}),
    # 2/9/2025 (Tue) with Mon 1/9 off: A = Fri 29/8; next: Wed 3/9.
    ("quoc-khanh", "2025-09-03", {
        "keep": ("2025-09-02 Tue", ["2025-08-15 Fri", "2025-08-26 Tue", "2025-08-29 Fri",
                                    "2025-09-03 Wed", "2025-09-05 Fri", "2025-09-09 Tue"]),
        "prev": ("2025-08-29 Fri", ["2025-08-15 Fri", "2025-08-26 Tue", "2025-08-29 Fri",
                                    "2025-09-03 Wed", "2025-09-05 Fri", "2025-09-09 Tue"]),
        "next": ("2025-09-03 Wed", ["2025-08-18 Mon", "2025-08-27 Wed", "2025-09-03 Wed",
                                    "2025-09-04 Thu", "2025-09-08 Mon", "2025-09-10 Wed"])}),
    # 2/9/2026 (Wed) with Thu 3/9 off: keep: A = Tue 1/9; e0 = Fri 4/9. next: L jumps
    # over 3/9 to Fri 4/9.
    ("quoc-khanh", "2026-09-03", {
        "keep": ("2026-09-02 Wed", ["2026-08-18 Tue", "2026-08-27 Thu", "2026-09-01 Tue",
                                    "2026-09-04 Fri", "2026-09-08 Tue", "2026-09-10 Thu"]),
        "prev": ("2026-09-01 Tue", ["2026-08-18 Tue", "2026-08-27 Thu", "2026-09-01 Tue",
                                    "2026-09-04 Fri", "2026-09-08 Tue", "2026-09-10 Thu"]),
        "next": ("2026-09-04 Fri", ["2026-08-19 Wed", "2026-08-28 Fri", "2026-09-04 Fri",
                                    "2026-09-07 Mon", "2026-09-09 Wed", "2026-09-11 Fri"])}),
]

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def day_of(text):
    """'2026-06-14 Sun' -> date, checking the weekday written next to it."""
    d = dt.date.fromisoformat(text[:10])
    check(WEEKDAYS[d.weekday()] == text[11:], f"table: {text[:10]} is a {WEEKDAYS[d.weekday()]}, not {text[11:]}")
    return d


def local(d, hhmm):
    return f"{d.isoformat()}T{hhmm}:00+07:00"


def unfold_ics(text):
    lines = []
    for raw in text.split("\r\n"):
        if raw.startswith(" ") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def ics_events(text):
    """UID -> {'DTSTART': …, 'DESCRIPTION': …, 'TRIGGERS': […]} from unfolded lines."""
    events, cur, in_alarm = {}, None, False
    for line in unfold_ics(text):
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            cur = {"TRIGGERS": []}
        elif line == "BEGIN:VALARM":
            in_alarm = True
        elif line == "END:VALARM":
            in_alarm = False
        elif line == "END:VEVENT":
            events[cur["UID"]] = cur
            cur = None
        elif cur is not None:
            key = name.split(";")[0]
            if in_alarm and key == "TRIGGER":
                cur["TRIGGERS"].append(value)
            elif not in_alarm:
                cur[key] = value
    return events


def utc_of_local(d, hhmm):
    h, m = map(int, hhmm.split(":"))
    t = dt.datetime(d.year, d.month, d.day, h, m) - dt.timedelta(hours=7)
    return t.strftime("%Y%m%dT%H%M%SZ")


def check_collisions():
    objs, _ = plan_json(COLLISIONS, "--from", "2019-01-01", "--to", "2027-12-31", "--unit", "so-noi-vu")
    by_occ = {}
    for o in objs:
        by_occ.setdefault(o["occurrence"], []).append(o)
    ics = run(COLLISIONS, "--format", "ics", "--from", "2019-01-01", "--to", "2027-12-31",
              "--unit", "so-noi-vu").stdout.decode("utf-8")
    events = ics_events(ics)
    cases = 0
    for shape, nominal, policies in COLLISIONS_TABLE:
        expanded = policies if "all" not in policies else {p: policies["all"] for p in ("keep", "prev", "next")}
        for policy, (l_text, step_texts) in expanded.items():
            cases += 1
            occ = f"{shape}-{policy}@{nominal}"
            l = day_of(l_text)
            r0, r1, r2, e0, e1, e2 = (day_of(s) for s in step_texts)
            t = local(l + dt.timedelta(days=1), "00:00")
            # (kind, step, repeat) -> (at, channels, to, grouped)
            want = {
                ("reminder", 0, 0): (local(r0, "07:30"), ["email"], ["snv-focal"], False),
                ("reminder", 1, 0): (local(r1, "07:30"), ["email", "sms"], ["snv-focal"], False),
                ("reminder", 2, 0): (local(r2, "07:30"), ["email", "sms"], ["snv-focal", "snv-head"], False),
                ("reminder", 2, 1): (local(r2, "13:30"), ["email", "sms"], ["snv-focal", "snv-head"], False),
                ("escalation", 0, 0): (local(e0, "07:30"), ["email", "sms"], ["snv-head"], False),
                ("escalation", 1, 0): (local(e1, "07:30"), ["email"], ["snv-lan"], True),
                ("escalation", 2, 0): (local(e2, "07:30"), ["email"], ["ubnd-pct"], True),
            }
            got = {(o["kind"], o["step"], o["repeat"]): o for o in by_occ.get(occ, [])}
            check(set(got) == set(want), f"{occ}: sends {sorted(got)} != {sorted(want)}")
            for k, (at, channels, to, grouped) in want.items():
                o = got.get(k)
                if o is None:
                    continue
                check(o["at"] == at and o["due"] == at, f"{occ} {k}: at {o['at']} due {o['due']}, want {at}")
                check(o["channels"] == channels, f"{occ} {k}: channels {o['channels']}, want {channels}")
                check(o["to"] == to, f"{occ} {k}: to {o['to']}, want {to}")
                if grouped:
                    check("so-noi-vu" in o.get("units", []), f"{occ} {k}: grouped send does not list so-noi-vu")
                else:
                    check(o.get("unit") == "so-noi-vu", f"{occ} {k}: unit {o.get('unit')}")
                # Reminders before T, escalations after it (string order is time order here).
                check((o["at"] < t) == (k[0] == "reminder"), f"{occ} {k}: {o['at']} on the wrong side of T {t}")
            ev = events.get(f"{occ}/so-noi-vu@dondoc")
            check(ev is not None, f"{occ}: no ICS event")
            if ev:
                check(ev.get("DTSTART") == l.strftime("%Y%m%d"), f"{occ}: ICS DTSTART {ev.get('DTSTART')}, L is {l}")
                check(f"Hạn chót: {t}" in ev.get("DESCRIPTION", ""), f"{occ}: ICS T is not {t}")
                alarms = sorted([utc_of_local(r0, "07:30"), utc_of_local(r1, "07:30"), utc_of_local(r2, "07:30"),
                                 utc_of_local(r2, "13:30")])
                check(sorted(ev["TRIGGERS"]) == alarms, f"{occ}: alarms {ev['TRIGGERS']}, want {alarms}")
    print(f"collisions: {cases} hand-worked (report, year, policy) cases checked")


# --- 2. the JSON contract -------------------------------------------------------------

FIELDS_UNIT = ["at", "due", "kind", "report", "occurrence", "unit", "step", "repeat", "to", "channels", "key", "keys"]
FIELDS_GROUP = [f if f != "unit" else "units" for f in FIELDS_UNIT]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")
KEY = re.compile(r"^[a-z2-7]{26}$")


def order_key(o):
    # at, due, report, kind (reminders first), step, repeat, unit in byte order, grouped last.
    return (o["at"], o["due"], o["report"].encode(), o["kind"] != "reminder", o["step"], o["repeat"],
            "units" in o, o.get("unit", "").encode())


def check_contract(objs, raw, what):
    check(raw.endswith("\n") or not raw, f"{what}: JSON Lines end with a newline")
    seen_keys = set()
    for o in objs:
        fields = FIELDS_GROUP if "units" in o else FIELDS_UNIT
        if list(o) != fields:
            check(False, f"{what}: fields {list(o)}")
            continue
        check(RFC3339.match(o["at"]) and RFC3339.match(o["due"]), f"{what}: time format {o['at']} {o['due']}")
        check(o["kind"] in ("reminder", "escalation"), f"{what}: kind {o['kind']}")
        check(o["occurrence"].startswith(o["report"] + "@"), f"{what}: occurrence {o['occurrence']}")
        check(isinstance(o["step"], int) and o["step"] >= 0, f"{what}: step {o['step']}")
        check(isinstance(o["repeat"], int) and o["repeat"] >= 0, f"{what}: repeat {o['repeat']}")
        check(o["to"] and all(isinstance(x, str) for x in o["to"]) and len(set(o["to"])) == len(o["to"]),
              f"{what}: to {o['to']}")
        check(o["channels"] in (["email"], ["sms"], ["email", "sms"]), f"{what}: channels {o['channels']}")
        check(o["keys"] and o["key"] == o["keys"][0] and all(KEY.match(k) for k in o["keys"]),
              f"{what}: key {o['key']}")
        check(len(o["keys"]) >= len(o["to"]) and len(o["keys"]) <= len(o["to"]) * len(o["channels"]),
              f"{what}: {len(o['keys'])} keys for {len(o['to'])} recipients")
        check(o["at"] >= o["due"], f"{what}: sent before it is due: {o['at']} < {o['due']}")
        for k in o["keys"]:
            check(k not in seen_keys, f"{what}: key {k} twice")
            seen_keys.add(k)
    check([order_key(o) for o in objs] == sorted(order_key(o) for o in objs), f"{what}: not in the contract's order")


def check_filters(config, frm, to, full_objs):
    """--unit keeps the unit's sends and the grouped ones listing it; --report filters."""
    cfg_units = sorted({o["unit"] for o in full_objs if "unit" in o} |
                       {u for o in full_objs for u in o.get("units", [])})
    for unit in cfg_units[:6]:
        objs, _ = plan_json(config, "--from", frm, "--to", to, "--unit", unit)
        want = [o for o in full_objs if o.get("unit") == unit or unit in o.get("units", [])]
        check(objs == want, f"--unit {unit}: {len(objs)} sends, want {len(want)} (the full plan filtered)")
        check(any("units" in o for o in objs) or not any("units" in o for o in want),
              f"--unit {unit}: grouped sends kept")
    for report in sorted({o["report"] for o in full_objs})[:4]:
        objs, _ = plan_json(config, "--from", frm, "--to", to, "--report", report)
        check(objs == [o for o in full_objs if o["report"] == report], f"--report {report}")
    for bad in (["--unit", "khong-co"], ["--report", "khong-co"]):
        p = run(config, "--from", frm, "--to", to, "--format", "json", *bad, expect=1)
        check(p.stdout == b"" and b"unknown" in p.stderr, f"{bad}: exit 1 with a message and no output")


def find(objs, **kw):
    return [o for o in objs if all(o.get(k) == v for k, v in kw.items())]


def check_features():
    objs, raw = plan_json(FEATURES, "--from", "2025-12-01", "--to", "2027-12-31")
    check_contract(objs, raw, "features")
    check_filters(FEATURES, "2025-12-01", "2027-12-31", objs)

    def one(what, **kw):
        got = find(objs, **kw)
        check(len(got) == 1, f"{what}: {len(got)} sends match {kw}")
        return got[0] if got else {}

    # Durations around `at` = Tue 1/12/2026 17:00 (T exactly; L = 1/12).
    o = one("26h before", report="gio", kind="reminder", step=0)
    check(o.get("at") == "2026-11-30T15:00:00+07:00" and o.get("channels") == ["email", "sms"], "26h: T - 26 h")
    # 18h before = 23:00 the day before: the email goes then, the SMS waits for the end of
    # quiet hours (07:00, still before T): one object per time.
    e = one("18h email", report="gio", kind="reminder", step=1, channels=["email"])
    s = one("18h sms", report="gio", kind="reminder", step=1, channels=["sms"])
    check(e.get("at") == "2026-11-30T23:00:00+07:00" and s.get("at") == "2026-12-01T07:00:00+07:00"
          and s.get("due") == "2026-11-30T23:00:00+07:00", "18h: SMS moved from 23:00 to 07:00, due kept")
    one("2h", report="gio", kind="reminder", step=2, at="2026-12-01T15:00:00+07:00", channels=["email", "sms"])
    one("90m", report="gio", kind="reminder", step=3, at="2026-12-01T15:30:00+07:00")
    # 1d before: a calendar-day step, L - 1 = Mon 30/11 at the first office-hours start.
    one("1d", report="gio", kind="reminder", step=4, at="2026-11-30T07:30:00+07:00")
    one("10s after", report="gio", kind="escalation", step=0, at="2026-12-01T17:00:10+07:00")
    one("6h email", report="gio", kind="escalation", step=1, channels=["email"], at="2026-12-01T23:00:00+07:00")
    one("6h sms", report="gio", kind="escalation", step=1, channels=["sms"], at="2026-12-02T07:00:00+07:00")
    one("25199s", report="gio", kind="escalation", step=2, at="2026-12-01T23:59:59+07:00")
    one("7h", report="gio", kind="escalation", step=3, at="2026-12-02T00:00:00+07:00")
    g = one("1d after, grouped", report="gio", kind="escalation", step=4)
    check(g.get("at") == "2026-12-02T07:30:00+07:00" and g.get("units") == ["so-a"]
          and g.get("to") == ["coord-lan", "coord-viet"] and g.get("channels") == ["email", "sms"]
          and len(g.get("keys", [])) == 3, "grouped: 2 emails + 1 SMS (coord-viet has no phone)")
    # Caps are not applied: a-focal gets two SMS on 1/12 with sms_per_recipient_per_day = 1.
    sms_1_12 = [o for o in objs if "sms" in o["channels"] and "a-focal" in o["to"] and o["at"].startswith("2026-12-01")]
    check(len(sms_1_12) == 2, f"caps not applied: {len(sms_1_12)} SMS to a-focal on 1/12")

    # [FROM 00:00, TO+1 00:00): 23:59:59 is on 1/12, 00:00:00 on 2/12.
    day1, _ = plan_json(FEATURES, "--from", "2026-12-01", "--to", "2026-12-01", "--report", "gio")
    day2, _ = plan_json(FEATURES, "--from", "2026-12-02", "--to", "2026-12-02", "--report", "gio")
    check(day1 and day1[-1]["at"] == "2026-12-01T23:59:59+07:00", "range: the last second of TO is in")
    check(day2 and day2[0]["at"] == "2026-12-02T00:00:00+07:00", "range: FROM 00:00:00 is in")
    check(all(o["at"].startswith("2026-12-01") for o in day1) and all(o["at"].startswith("2026-12-02") for o in day2),
          "range: nothing outside the days asked")

    # Quiet hours before a 23:30 deadline (Thu 10/12/2026): the 3h SMS at 20:30 goes; the
    # 1h reminder's email goes at 22:30 but its SMS would wait until 07:00, after T: gone;
    # the urgent 30m SMS goes at 23:00 inside quiet hours; the escalation's SMS (00:30) waits.
    one("3h sms", report="dem", kind="reminder", step=0, at="2026-12-10T20:30:00+07:00", channels=["sms"])
    d1 = find(objs, report="dem", kind="reminder", step=1)
    check([(o["at"], o["channels"]) for o in d1] == [("2026-12-10T22:30:00+07:00", ["email"])],
          f"1h: only the email, {d1}")
    one("urgent", report="dem", kind="reminder", step=2, at="2026-12-10T23:00:00+07:00", channels=["sms"])
    # 45m before = 22:45, an SMS-only reminder: 07:00 is after T, so the step sends nothing.
    check(not find(objs, report="dem", kind="reminder", step=3), "45m: the SMS-only reminder disappears")
    one("esc email", report="dem", unit="so-a", kind="escalation", step=0, channels=["email"],
        at="2026-12-11T00:30:00+07:00")
    one("esc sms", report="dem", unit="so-a", kind="escalation", step=0, channels=["sms"], at="2026-12-11T07:00:00+07:00")
    # so-g has a head and no focal official: no reminder reaches it, the escalation does.
    check(not find(objs, unit="so-g", kind="reminder"), "so-g: reminders to focal reach nobody")
    one("so-g esc", report="dem", unit="so-g", kind="escalation", step=0, channels=["email"], to=["g-head"])

    # repeat = { every = "4h", max = 2 } on 0wd (Tue 15/12/2026): 07:30, then 11:30 is the
    # end of the morning window -> 13:30; then 17:30 -> next office start Wed 07:30 >= T: dropped.
    lap = find(objs, report="lap", kind="reminder")
    check([(o["repeat"], o["at"]) for o in lap] == [(0, "2026-12-15T07:30:00+07:00"), (1, "2026-12-15T13:30:00+07:00")],
          f"repeat 4h: {[(o['repeat'], o['at']) for o in lap]}")
    # after 3wd = Fri 18/12, repeat every 1d: Sat 19/12 -> Mon 21/12, then Tue 22/12.
    lap_e = find(objs, report="lap", kind="escalation")
    check([o["at"][:10] for o in lap_e] == ["2026-12-18", "2026-12-21", "2026-12-22"], "repeat 1d over a weekend")

    # Calendar days, L = Mon 15/6/2026: 2d before = Sat 13/6 -> back to Fri 12/6; 5d after
    # = Sat 20/6 -> forward to Mon 22/6. Summer hours (from 1/4) open at 07:00.
    one("2d", report="ngay", occurrence="ngay@2026-06-15", kind="reminder", at="2026-06-12T07:00:00+07:00")
    one("5d", report="ngay", occurrence="ngay@2026-06-15", kind="escalation", at="2026-06-22T07:00:00+07:00")
    # 2027: L = Tue 15/6; 13/6 is a Sunday -> Fri 11/6; 20/6 a Sunday -> Mon 21/6.
    one("2d", report="ngay", occurrence="ngay@2027-06-15", kind="reminder", at="2027-06-11T07:00:00+07:00")
    one("5d", report="ngay", occurrence="ngay@2027-06-15", kind="escalation", at="2027-06-21T07:00:00+07:00")

    # time = 10:00 on Thu 3/9/2026 (Quốc khánh, keep): 0wd = Tue 1/9 (2/9 is off too) at
    # the step's `at` 08:00; T = 3/9 10:00; 1wd after = Fri 4/9.
    one("0wd at 08:00", report="gio-hanh-chinh", kind="reminder", at="2026-09-01T08:00:00+07:00",
        channels=["email", "sms"])
    one("1wd", report="gio-hanh-chinh", kind="escalation", at="2026-09-04T07:00:00+07:00")

    # Quarterly, day 31 of Jan/Apr/Jul/Oct, next_working_day:
    #  31/1/2026 Sat -> L Mon 2/2; reminder Fri 30/1 (winter 07:30). so-e ends 31/1 < L: out.
    #  30/4/2026 (day 31 -> month end) Thu holiday, 1/5 holiday, weekend -> L Mon 4/5;
    #  1wd before = Wed 29/4 07:00 (summer). huyen-c has no phone: its send is email only.
    #  31/7/2026 overridden to Fri 7/8 and narrowed to so-a: reminder Thu 6/8, leader Mon 10/8.
    #  31/10/2026 Sat -> Mon 2/11; huyen-c ended 30/6, xa-d began 1/7.
    q = lambda occ: sorted(o["unit"] for o in find(objs, occurrence=occ, kind="reminder"))
    check(q("quy@2026-01-31") == ["huyen-c", "so-a"], f"quy 31/1 units {q('quy@2026-01-31')}")
    one("quy 31/1", occurrence="quy@2026-01-31", unit="so-a", at="2026-01-30T07:30:00+07:00", channels=["email", "sms"])
    # The grouped escalation lists every unit of the occurrence, so-g too (it has no focal).
    one("quy 31/1 leader", occurrence="quy@2026-01-31", kind="escalation", at="2026-02-03T07:30:00+07:00",
        units=["so-a", "huyen-c", "so-g"])
    one("quy 30/4", occurrence="quy@2026-04-30", unit="so-a", at="2026-04-29T07:00:00+07:00")
    one("quy 30/4 no phone", occurrence="quy@2026-04-30", unit="huyen-c", channels=["email"])
    check(q("quy@2026-07-31") == ["so-a"], "override narrows the units")
    one("override moved", occurrence="quy@2026-07-31", unit="so-a", at="2026-08-06T07:00:00+07:00")
    one("override leader", occurrence="quy@2026-07-31", kind="escalation", at="2026-08-10T07:00:00+07:00",
        units=["so-a"])
    check(q("quy@2026-10-31") == ["so-a", "xa-d"], "validity on L")
    one("quy 31/10", occurrence="quy@2026-10-31", unit="xa-d", at="2026-10-30T07:30:00+07:00")
    # Monthly day 31, previous_working_day: Feb -> Sat 28/2 -> Fri 27/2; Apr -> Thu 30/4
    # holiday -> Wed 29/4; May -> Sun 31/5 -> Fri 29/5. b-both is focal and head: one message.
    for occ, at in (("thang@2026-02-28", "2026-02-27T07:30:00+07:00"), ("thang@2026-04-30", "2026-04-29T07:00:00+07:00"),
                    ("thang@2026-05-31", "2026-05-29T07:00:00+07:00")):
        one(occ, occurrence=occ, at=at, to=["b-both"])
    check(len(find(objs, report="thang")) == 24, "thang: one send a month, Jan 2026 (first) to Dec 2027")
    # January 2026's occurrence is extended to Wed 20/5/2026 (an override far from 31/1): the
    # id stays, L moves (a working day, so previous_working_day leaves it).
    one("thang moved", occurrence="thang@2026-01-31", at="2026-05-20T07:00:00+07:00")
    # Half-year from 31/8: 28/2 (Sat 2026 -> keep: A Fri 27/2) and 31/8 (Mon).
    one("nua-nam Feb", occurrence="nua-nam@2026-02-28", at="2026-02-27T07:30:00+07:00")
    one("nua-nam Aug", occurrence="nua-nam@2026-08-31", at="2026-08-31T07:00:00+07:00")
    one("nua-nam Feb 2027", occurrence="nua-nam@2027-02-28", at="2027-02-26T07:30:00+07:00")
    print(f"features: {len(objs)} sends checked")


def check_example():
    objs, raw = plan_json(EXAMPLE, "--from", "2019-01-01", "--to", "2027-12-31")
    check_contract(objs, raw, "example")
    check_filters(EXAMPLE, "2019-01-01", "2027-12-31", objs)
    # 2020: Tây Trà and huyện Đức Phổ end 31/1/2020; thị xã Đức Phổ begins 1/2/2020.
    units_2019 = {o["unit"] for o in objs if o["occurrence"] == "dan-van-6-thang@2019-06-15" and "unit" in o}
    units_2020 = {o["unit"] for o in objs if o["occurrence"] == "dan-van-6-thang@2020-06-15" and "unit" in o}
    check(len(units_2019) == 34 and "huyen-tay-tra" in units_2019 and "tx-duc-pho" not in units_2019, "2019 units")
    check(len(units_2020) == 33 and "tx-duc-pho" in units_2020 and "huyen-duc-pho" not in units_2020, "2020 units")
    print(f"example: {len(objs)} sends checked")


# --- 3. recorded goldens --------------------------------------------------------------

def check_goldens(update):
    for name, config, args in GOLDENS:
        path = os.path.join(GOLDEN_DIR, name)
        out = run(config, "--format", "json", *args).stdout
        if update:
            os.makedirs(GOLDEN_DIR, exist_ok=True)
            with open(path, "wb") as f:
                f.write(out)
            print(f"wrote {path} ({out.count(NL)} lines)")
            continue
        with open(path, "rb") as f:
            want = f.read()
        if out != want:
            a, b = want.decode().splitlines(), out.decode().splitlines()
            first = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
            check(False, f"golden {name} differs at line {first + 1} ({len(b)} lines, golden {len(a)}):\n"
                         f"  golden: {a[first] if first < len(a) else '(end)'}\n"
                         f"  now:    {b[first] if first < len(b) else '(end)'}\n"
                         f"  if the change is intended: DONDOC_BIN=… {sys.argv[0]} --update")
        else:
            print(f"golden {name}: {out.count(NL)} lines identical")


def main():
    update = "--update" in sys.argv[1:]
    if not os.access(BIN, os.X_OK):
        raise SystemExit(f"no dondoc at {BIN} (set DONDOC_BIN)")
    if update:
        check_goldens(True)
        return 0
    check_collisions()
    check_features()
    check_example()
    check_goldens(False)
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
