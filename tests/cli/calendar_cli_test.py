#!/usr/bin/python3
"""`dondoc calendar` and `dondoc lunar` as a user runs them: output, formats, exit codes.

Runs the built tool from $DONDOC_BIN (set by CTest). Standard library only.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

BIN = os.path.join(os.environ.get("DONDOC_BIN", "."), "dondoc")
DEFAULT_CONFIG = "/etc/dondoc/dondoc.toml"
passed = failed = 0


def run(*args, timeout=60):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}", file=sys.stderr)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- dondoc lunar ------------------------------------------------------------------------
# Each row: date, expected lunar fields, why.
LUNAR = [
    ("2030-02-02", (1, 1, 2030, False, "Canh Tuất"), "Tết 2030 at UTC+7 (China: 3/2)"),
    ("2024-02-10", (1, 1, 2024, False, "Giáp Thìn"), "Tết 2024"),
    ("2025-04-07", (10, 3, 2025, False, "Ất Tỵ"), "Giỗ Tổ 2025"),
    ("2020-05-23", (1, 4, 2020, True, "Canh Tý"), "first day of the leap 4th month of 2020"),
    ("2033-12-22", (1, 11, 2033, True, "Quý Sửu"), "first day of the leap 11th month of 2033"),
    ("2024-02-09", (30, 12, 2023, False, "Quý Mão"), "30 Tết belongs to the previous lunar year"),
    ("1900-01-01", (1, 12, 1899, False, "Kỷ Hợi"), "first day of the range"),
    ("2100-12-31", (1, 12, 2100, False, "Canh Thân"), "last day of the range"),
]
for date, (day, month, year, leap, name), why in LUNAR:
    rc, out, err = run("lunar", date, "--format", "json")
    check(rc == 0, f"lunar {date} exits 0 ({why}): {rc} {err}")
    if rc == 0:
        obj = json.loads(out)
        check(obj["lunar_day"] == day and obj["lunar_month"] == month and obj["lunar_year"] == year,
              f"lunar {date} is {day}/{month}/{year} ({why}): {obj}")
        check(obj["leap"] is leap, f"lunar {date} leap={leap} ({why})")
        check(obj["year_name"] == name, f"lunar {date} year_name {name} ({why}): {obj['year_name']}")

rc, out, _ = run("lunar", "2030-02-02")
check(rc == 0 and "Canh Tuất" in out and "02/02/2030" in out, f"lunar text names the year and the date: {out!r}")
rc, out, _ = run("lunar", "2020-05-23", "--format", "text")
check(rc == 0 and "tháng 4 nhuận" in out, f"lunar text marks a leap month: {out!r}")

# Each row: arguments, expected exit code, why.
LUNAR_EXITS = [
    (["lunar", "1899-12-31"], 1, "before the range"),
    (["lunar", "2101-01-01"], 1, "after the range"),
    (["lunar", "2024-13-01"], 2, "not a date"),
    (["lunar", "10/02/2024"], 2, "not YYYY-MM-DD"),
    (["lunar"], 2, "missing DATE"),
    (["lunar", "2024-02-10", "--format", "xml"], 2, "unknown format"),
]
for args, code, why in LUNAR_EXITS:
    rc, _, err = run(*args)
    check(rc == code, f"{' '.join(args)} exits {code} ({why}): {rc} {err}")

# --- dondoc calendar ---------------------------------------------------------------------
KINDS = {"weekend", "holiday", "compensatory", "swapped_off", "swapped_working", "extra_off", "extra_working"}
have_default_config = os.path.exists(DEFAULT_CONFIG)

if not have_default_config:  # the built-in calendar applies only without /etc/dondoc/dondoc.toml
    rc, out, err = run("calendar", "2024", "--format", "json")
    check(rc == 0, f"calendar 2024 json exits 0: {rc} {err}")
    rows = json_lines(out)
    check(all(list(r.keys()) == ["date", "working", "kind", "reason"] for r in rows), "json keys and their order")
    check(all(r["kind"] in KINDS for r in rows), "json kinds are the documented ones")
    check(all(r["date"].startswith("2024-") for r in rows), "only days of 2024")
    check([r["date"] for r in rows] == sorted(r["date"] for r in rows), "date order")
    by_date = {r["date"]: r for r in rows}
    # Each row: date, working, kind, reason (DOMAIN.md's official 2024 schedule).
    EXPECT_2024 = [
        ("2024-01-01", False, "holiday", "Tết Dương lịch"),
        ("2024-02-08", False, "holiday", "Tết Nguyên đán"),
        ("2024-02-10", False, "holiday", "Tết Nguyên đán"),
        ("2024-02-14", False, "compensatory", "Nghỉ bù Tết Nguyên đán"),
        ("2024-04-18", False, "holiday", "Giỗ Tổ Hùng Vương"),
        ("2024-04-27", False, "weekend", "Thứ Bảy"),
        ("2024-04-28", False, "weekend", "Chủ nhật"),
        ("2024-04-29", False, "swapped_off", None),
        ("2024-04-30", False, "holiday", "Ngày Giải phóng miền Nam, thống nhất đất nước"),
        ("2024-05-01", False, "holiday", "Ngày Quốc tế Lao động"),
        ("2024-05-04", True, "swapped_working", "Làm bù cho thứ Hai 29/04/2024"),
        ("2024-08-31", False, "weekend", "Thứ Bảy"),
        ("2024-09-01", False, "weekend", "Chủ nhật"),
        ("2024-09-02", False, "holiday", "Quốc khánh"),
        ("2024-09-03", False, "holiday", "Quốc khánh"),
    ]
    for date, working, kind, reason in EXPECT_2024:
        r = by_date.get(date)
        check(r is not None, f"calendar 2024 lists {date}")
        if r is not None:
            check(r["working"] is working and r["kind"] == kind, f"{date}: {r}")
            check(reason is None or r["reason"] == reason, f"{date} reason: {r['reason']}")
    for date in ("2024-02-15", "2024-02-07", "2024-06-14", "2024-09-04"):
        check(date not in by_date, f"{date} is an ordinary working day")
    check(sum(1 for r in rows if r["kind"] == "weekend") == 104 - 2 - 1,
          "104 weekend days less two Tết days and the swapped Saturday")

    rc, out, err = run("calendar", "2025")
    check(rc == 0, f"calendar 2025 table exits 0: {rc} {err}")
    check("27/01/2025  Thứ Hai" in out and "Tết Nguyên đán" in out, "table: Vietnamese dates and weekdays")
    check("26/04/2025  Thứ Bảy" in out and "làm bù" in out, "table: the swapped Saturday")
    check("ngày làm việc" in out, "table: a closing count of working days")
    lines = [l for l in out.splitlines() if re.match(r"\d\d/\d\d/\d{4}  ", l)]
    labels = ("nghỉ hằng tuần", "nghỉ lễ, tết", "nghỉ bù", "nghỉ hoán đổi", "làm bù", "nghỉ thêm",
              "làm việc thêm")
    starts = {min(l.index(k) for k in labels if k in l) for l in lines}  # code points, not bytes
    check(len(lines) > 100 and len(starts) == 1, f"table: aligned columns ({starts})")

    rc, out, _ = run("calendar", "2026", "--format", "json")
    rows = {r["date"]: r for r in json_lines(out)}
    check(rows.get("2026-01-10", {}).get("kind") == "swapped_working", "2026: Saturday 10/1 worked")
    check(rows.get("2026-01-02", {}).get("kind") == "swapped_off", "2026: Friday 2/1 off")
    check(rows.get("2026-04-27", {}).get("kind") == "compensatory", "2026: Monday 27/4 for Giỗ Tổ on Sunday")

# Each row: arguments, expected exit code, why.
CAL_EXITS = [
    (["calendar", "2012"], 1, "before Bộ luật Lao động 2012's rules"),
    (["calendar", "1999", "--format", "json"], 1, "long before"),
    (["calendar", "2101"], 1, "past the lunar calendar"),
    (["calendar", "year"], 2, "not a number"),
    (["calendar"], 2, "missing YEAR"),
    (["calendar", "2024", "--format", "csv"], 2, "unknown format"),
    (["calendar", "2024", "--config", "/nonexistent/dondoc.toml"], 1, "unreadable configuration"),
]
for args, code, why in CAL_EXITS:
    rc, out, err = run(*args)
    check(rc == code, f"{' '.join(args)} exits {code} ({why}): {rc} {err}")
    if code == 1:
        check(out == "" and err.strip() != "", f"{' '.join(args)}: a message on stderr only")

with tempfile.TemporaryDirectory() as tmp:
    cfg = os.path.join(tmp, "dondoc.toml")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write('[calendar]\nweekend = ["sunday"]\ndays_off = [2024-06-14]\nworking_days = [2024-02-13]\n')
    rc, out, err = run("calendar", "2024", "--config", cfg, "--format", "json")
    check(rc == 0, f"calendar with --config exits 0: {rc} {err}")
    rows = {r["date"]: r for r in json_lines(out)}
    check(rows.get("2024-06-14", {}).get("kind") == "extra_off", "--config: days_off listed as extra_off")
    check(rows.get("2024-06-14", {}).get("reason") == "Ngày nghỉ thêm", "--config: extra_off reason")
    check(rows.get("2024-02-13", {}).get("kind") == "extra_working", "--config: working_days win over Tết")
    check(rows.get("2024-02-13", {}).get("working") is True, "--config: extra_working is working")
    check("2024-06-15" not in rows, "--config: Saturday is a working day with a Sunday-only weekend")
    check(rows.get("2024-06-16", {}).get("kind") == "weekend", "--config: Sunday still off")

    bad = os.path.join(tmp, "bad.toml")
    with open(bad, "w", encoding="utf-8") as f:
        f.write('[calendar]\nweekend = ["funday"]\n')
    rc, out, err = run("calendar", "2024", "--config", bad)
    check(rc == 1, f"a bad [calendar] exits 1: {rc}")
    check(f"{bad}:2:" in err and "error" in err, f"a bad [calendar] is reported with its place: {err!r}")

print(f"calendar_cli: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
