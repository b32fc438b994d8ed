#!/usr/bin/python3
"""`dondoc plan --format ics` read back by a real iCalendar parser (Debian python3-icalendar).

For the 2019 example (2019-2027) and the feature fixture: every line is at most 75
octets and CRLF-terminated, folding never splits a UTF-8 sequence; the file parses; every
event is an all-day event on L (checked against the JSON plan's occurrence and against
L worked out by hand for a few collisions); its alarms are exactly the reminder times of
that unit (from `--format json`, the same configuration); Vietnamese text survives
(titles, unit names, "Hạn chót"); UIDs are unique; the output is deterministic.

If python3-icalendar is missing the test fails (it is not skipped): install it with
`apt-get install python3-icalendar`.
"""
import datetime as dt
import json
import os
import subprocess
import sys

try:
    import icalendar
except ImportError:
    print("python3-icalendar is not installed: apt-get install python3-icalendar")
    sys.exit(1)

SRC = os.environ.get("DONDOC_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.path.join(os.environ.get("DONDOC_BIN", os.path.join(SRC, "build", "plan", "cli")), "dondoc")
EXAMPLE = os.path.join(SRC, "examples", "quang-ngai-2019", "dondoc.toml")
FEATURES = os.path.join(SRC, "tests", "plan", "features", "dondoc.toml")
VN = dt.timezone(dt.timedelta(hours=7))

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def plan(config, fmt, *args):
    p = subprocess.run([BIN, "plan", "--config", config, "--format", fmt, *args], capture_output=True, timeout=300)
    if p.returncode != 0:
        raise SystemExit(f"dondoc plan exit {p.returncode}: {p.stderr.decode()}")
    return p.stdout


def check_lines(raw, what):
    check(raw.endswith(b"\r\n"), f"{what}: ends with CRLF")
    lines = raw.split(b"\r\n")[:-1]
    for i, line in enumerate(lines):
        check(len(line) <= 75, f"{what}: line {i + 1} has {len(line)} octets")
        check(b"\n" not in line and b"\r" not in line, f"{what}: bare line break in line {i + 1}")
        try:
            line.decode("utf-8")  # each physical line alone: folding kept sequences whole
        except UnicodeDecodeError:
            check(False, f"{what}: line {i + 1} splits a UTF-8 sequence")
    return len(lines)


def reminders_by_event(config, *args):
    """(occurrence id, unit) -> sorted reminder due times (UTC), from --format json."""
    out = {}
    for line in plan(config, "json", *args).decode().splitlines():
        o = json.loads(line)
        if "unit" not in o:
            continue
        key = (o["occurrence"], o["unit"])
        out.setdefault(key, set())
        if o["kind"] == "reminder":
            out[key].add(dt.datetime.fromisoformat(o["due"]).astimezone(dt.timezone.utc))
    return {k: sorted(v) for k, v in out.items()}


def check_calendar(config, frm, to, hand_l, texts):
    what = os.path.basename(os.path.dirname(config))
    raw = plan(config, "ics", "--from", frm, "--to", to)
    check(raw == plan(config, "ics", "--from", frm, "--to", to), f"{what}: deterministic")
    n_lines = check_lines(raw, what)
    cal = icalendar.Calendar.from_ical(raw)
    check(str(cal.get("VERSION")) == "2.0" and cal.get("PRODID"), f"{what}: VERSION and PRODID")
    events = list(cal.walk("VEVENT"))
    check(events, f"{what}: events")
    # Reminders from a JSON plan wide enough to hold every reminder of these events.
    reminders = reminders_by_event(config, "--from", f"{int(frm[:4]) - 1}-11-01", "--to", to)
    uids = set()
    text = ""  # SUMMARY and DESCRIPTION as parsed (unfolded, unescaped)
    for ev in events:
        text += str(ev.get("SUMMARY")) + "\n" + str(ev.get("DESCRIPTION")) + "\n"
        uid = str(ev["UID"])
        check(uid not in uids, f"{what}: UID {uid} twice")
        uids.add(uid)
        occ, unit = uid.rsplit("@", 1)[0].split("/")
        start, end = ev["DTSTART"].dt, ev["DTEND"].dt
        check(type(start) is dt.date and type(end) is dt.date and end - start == dt.timedelta(days=1),
              f"{uid}: an all-day event")
        check(ev.get("DTSTAMP") is not None and ev.get("SUMMARY"), f"{uid}: DTSTAMP and SUMMARY")
        check(frm <= start.isoformat() <= to, f"{uid}: L {start} outside the range")
        if (occ, unit) in hand_l:
            check(start.isoformat() == hand_l[(occ, unit)], f"{uid}: L {start}, worked out {hand_l[(occ, unit)]}")
        desc = str(ev.get("DESCRIPTION"))
        check("Hạn chót: " in desc, f"{uid}: description names the deadline")
        alarms = sorted(a["TRIGGER"].dt.astimezone(dt.timezone.utc) for a in ev.walk("VALARM"))
        for a in ev.walk("VALARM"):
            check(str(a.get("ACTION")) == "DISPLAY" and a.get("DESCRIPTION"), f"{uid}: a DISPLAY alarm")
        # No JSON sends at all: every reminder of this unit is skipped (no contact or no
        # address for its channels), and then it has no alarm either.
        want = reminders.get((occ, unit), [])
        check(alarms == want, f"{uid}: alarms {[str(a) for a in alarms]} != reminders {[str(w) for w in want]}")
        check(all(a < dt.datetime.combine(end, dt.time(), VN) for a in alarms), f"{uid}: alarms before the end of L")
    for t in texts:
        check(t in text, f"{what}: text {t!r} intact")
    print(f"{what}: {len(events)} events, {n_lines} lines, parsed by icalendar {icalendar.__version__}")


def main():
    if not os.access(BIN, os.X_OK):
        raise SystemExit(f"no dondoc at {BIN} (set DONDOC_BIN)")
    # L of the example worked out by hand: before 15/6 and 15/11, keep; 14/6/2026 is a
    # Sunday and 14/11/2026 a Saturday (L stays, the event is on the weekend day).
    hand = {
        ("dan-van-6-thang@2019-06-15", "so-noi-vu"): "2019-06-14",
        ("dan-van-6-thang@2026-06-15", "so-noi-vu"): "2026-06-14",
        ("dan-van-nam@2026-11-15", "so-tai-chinh"): "2026-11-14",
        ("dan-van-nam@2025-11-15", "tp-quang-ngai"): "2025-11-14",
        ("dan-van-6-thang@2020-06-15", "tx-duc-pho"): "2020-06-14",
    }
    check_calendar(EXAMPLE, "2019-01-01", "2027-12-31", hand,
                   ["Hạn nộp: Báo cáo 6 tháng kết quả thực hiện Kết luận số 43-KL/TW của Ban Bí thư về công tác "
                    "dân vận — UBND huyện Lý Sơn", "Sở Nội vụ", "Căn cứ: Công văn số 1639/UBND-NC ngày 08/4/2019 "
                    "của UBND tỉnh Quảng Ngãi", "Nơi nhận: UBND tỉnh (qua Sở Nội vụ)",
                    "Hạn chót: 2026-06-15T00:00:00+07:00"])
    # The feature fixture: quarterly L moved by next_working_day (31/1/2026 Sat -> 2/2),
    # an `at` deadline (L = 1/12/2026), the override moved to 7/8/2026.
    feat = {
        ("quy@2026-01-31", "so-a"): "2026-02-02",
        ("gio@2026-12-01", "so-a"): "2026-12-01",
        ("quy@2026-07-31", "so-a"): "2026-08-07",
        ("thang@2026-05-31", "so-b"): "2026-05-29",
    }
    check_calendar(FEATURES, "2026-01-01", "2027-12-31", feat, ["Báo cáo đột xuất", "Sở A"])
    # A narrow range still finds an occurrence whose override moved L far into it
    # (thang@2026-01-31 extended to 20/5/2026).
    may = icalendar.Calendar.from_ical(plan(FEATURES, "ics", "--from", "2026-05-01", "--to", "2026-05-31",
                                            "--report", "thang"))
    starts = {str(e["UID"]): e["DTSTART"].dt.isoformat() for e in may.walk("VEVENT")}
    check(starts.get("thang@2026-01-31/so-b@dondoc") == "2026-05-20", f"override far from its nominal date: {starts}")
    check(starts.get("thang@2026-05-31/so-b@dondoc") == "2026-05-29", f"May's own occurrence: {starts}")
    # --unit keeps only that unit's events.
    one = icalendar.Calendar.from_ical(plan(EXAMPLE, "ics", "--from", "2026-01-01", "--to", "2026-12-31",
                                            "--unit", "so-noi-vu"))
    uids = [str(e["UID"]) for e in one.walk("VEVENT")]
    check(uids == ["dan-van-6-thang@2026-06-15/so-noi-vu@dondoc", "dan-van-nam@2026-11-15/so-noi-vu@dondoc"],
          f"--unit: {uids}")
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
