"""Helpers of the coordinator-facing tests: a copy of the 2019 example roster on free
loopback ports, a scripted simulation that leaves its store behind, libfaketime so the
real dondocd runs "mid-run" in June 2019, statuses recomputed from the SQLite file, the
public key of a digest, and a Vietnamese primary sort key for order checks."""

import base64
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import unicodedata
from datetime import datetime, timedelta, timezone

from dondoc_harness import DONDOC, SOURCE, TestFailure, check, free_port

VN = timezone(timedelta(hours=7))
EXAMPLE = os.path.join(SOURCE, "examples", "quang-ngai-2019")
OCC = "dan-van-6-thang@2019-06-15"


def faketime_env(start):
    """Environment that starts the process's wall clock at `start` ("YYYY-MM-DD HH:MM:SS" in
    UTC+7: libfaketime reads it in the process's TZ) and lets it run from there; the
    monotonic clock (Asio's timers) stays real."""
    libs = glob.glob("/usr/lib/*/faketime/libfaketime.so.1") + glob.glob("/usr/lib/faketime/libfaketime.so.1")
    check(libs, "libfaketime is installed (Debian package faketime; scripts/install-deps.sh --test)")
    # An ASan build wants its runtime first in the library list; libfaketime only wraps
    # time functions, so the order check is relaxed rather than the test skipped.
    asan = os.environ.get("ASAN_OPTIONS", "")
    asan = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    return {"LD_PRELOAD": libs[0], "FAKETIME": "@" + start, "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "TZ": "Asia/Ho_Chi_Minh", "FAKETIME_NO_CACHE": "1", "ASAN_OPTIONS": asan}


def copy_example(workdir, extra_main="", public_port=None, admin_port=None, admin_listen=None):
    """Copies the 2019 example into workdir with its state in workdir/state and free ports.
    Returns (config path, admin address)."""
    for name in ("dondoc.toml", "units.toml", "reports.toml"):
        shutil.copy(os.path.join(EXAMPLE, name), os.path.join(workdir, name))
    public_port = public_port or free_port()
    admin_port = admin_port or free_port()
    path = os.path.join(workdir, "dondoc.toml")
    text = open(path, encoding="utf-8").read()
    state = os.path.join(workdir, "state")
    text = re.sub(r'(?m)^state_dir = .*$', f'state_dir = "{state}"', text)
    text = re.sub(r'(?m)^listen = .*$', f'listen = "127.0.0.1:{public_port}"', text)
    text = re.sub(r'(?m)^admin_listen = .*$', f'admin_listen = "{admin_listen or "127.0.0.1:%d" % admin_port}"', text)
    text = re.sub(r'(?m)^public_url = .*$', f'public_url = "http://127.0.0.1:{public_port}"', text)
    text = text.replace("[sending]", extra_main + "\n[sending]", 1) if extra_main else text
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path, f"127.0.0.1:{admin_port}"


# The scripted answers of June 2019 (L = Friday 14/6, T = 15/6 00:00).
REPLIES = [
    {"at": "2019-06-03T09:00:00+07:00", "unit": "so-tai-chinh", "action": "ack"},
    {"at": "2019-06-10T10:00:00+07:00", "unit": "so-tai-chinh", "action": "submit"},
    {"at": "2019-06-12T15:00:00+07:00", "unit": "so-noi-vu", "action": "submit"},
    {"at": "2019-06-13T16:00:00+07:00", "unit": "huyen-ba-to", "action": "submit"},
    {"at": "2019-06-05T08:30:00+07:00", "unit": "so-y-te", "action": "ack"},
    {"at": "2019-06-14T10:00:00+07:00", "unit": "van-phong-ubnd", "action": "ack"},
    {"at": "2019-06-06T09:00:00+07:00", "unit": "huyen-ly-son", "action": "exempt"},
    {"at": "2019-06-16T09:00:00+07:00", "unit": "ban-dan-toc", "action": "submit"},
]
EXPECTED = {"so-tai-chinh": "submitted", "so-noi-vu": "submitted", "huyen-ba-to": "submitted",
            "huyen-ly-son": "exempted", "ban-dan-toc": "submitted_late"}


def simulate(config, workdir, to="2019-06-16"):
    replies = os.path.join(workdir, "replies.jsonl")
    with open(replies, "w", encoding="utf-8") as f:
        for r in REPLIES:
            f.write(json.dumps(dict(r, occurrence=OCC)) + "\n")
    out = subprocess.run([DONDOC, "simulate", "--config", config, "--from", "2019-05-20", "--to", to,
                          "--replies", replies, "--keep-store", os.path.join(workdir, "state"), "--format", "json"],
                         capture_output=True, text=True, timeout=300)
    check(out.returncode == 0, "dondoc simulate works:\n" + out.stdout[-2000:] + out.stderr[-2000:])
    return out.stdout


def expected_statuses(db_path):
    """unit -> status the 2019 occurrence must show after the scripted answers (mid-run,
    past T): what was submitted or exempted as scripted, every other unit overdue."""
    conn = sqlite3.connect(db_path, timeout=10)
    units = [u for (u,) in conn.execute(
        "SELECT unit_id FROM items WHERE in_plan=1 AND occurrence=(SELECT id FROM occurrences WHERE name=?)", (OCC,))]
    conn.close()
    check(len(units) >= 30, "the 2019 occurrence has its units, got %d" % len(units))
    return {u: EXPECTED.get(u, "overdue") for u in units}


def status_of(row, occ_deadline, now):
    """The engine's precedence, recomputed from a row of `items`."""
    state, tracked, submitted_at, acknowledged_at, ext_deadline = row
    deadline = ext_deadline if ext_deadline is not None else occ_deadline
    if state == "exempted":
        return "exempted"
    if state == "submitted":
        return "submitted" if submitted_at is not None and submitted_at < deadline else "submitted_late"
    if not tracked:
        return "untracked"
    if now >= deadline:
        return "overdue"
    if acknowledged_at is not None:
        return "acknowledged"
    return "pending"


def store_units_by_status(db_path, now, since_nominal):
    """{(occurrence, status): n} for occurrences with nominal >= since_nominal, from the file."""
    conn = sqlite3.connect(db_path, timeout=10)
    out = {}
    for occ_id, name, deadline in conn.execute("SELECT id, name, deadline FROM occurrences WHERE nominal >= ?",
                                               (since_nominal,)):
        for row in conn.execute("SELECT state, tracked, submitted_at, acknowledged_at, ext_deadline FROM items "
                                "WHERE occurrence=? AND in_plan=1", (occ_id,)):
            k = (name, status_of(row, deadline, now))
            out[k] = out.get(k, 0) + 1
    conn.close()
    return out


def store_outbox_states(db_path):
    conn = sqlite3.connect(db_path, timeout=10)
    out = dict(conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
    conn.close()
    return out


def digest_key(day, contact):
    """The public key of a digest: base32 SHA-256 of "digest|DAY|CONTACT", 26 characters."""
    text = "digest|%s|%s" % (day, contact)
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode().lower()[:26]


_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_MODIFIERS = {"\u0306": "breve", "\u0302": "circumflex", "\u031b": "horn"}
_LETTERS = {("a", "breve"): "ă", ("a", "circumflex"): "â", ("e", "circumflex"): "ê", ("o", "circumflex"): "ô",
            ("o", "horn"): "ơ", ("u", "horn"): "ư"}


def vi_primary_key(s):
    """The primary level of Vietnamese collation: letters of the Vietnamese alphabet in
    order (ă, â, đ, ê, ô, ơ, ư are letters of their own), tones and case ignored."""
    key = []
    for ch in unicodedata.normalize("NFD", s.lower()):
        if unicodedata.combining(ch):
            mod = _MODIFIERS.get(ch)
            if mod and key and key[-1][1] is not None:
                letter = _LETTERS.get((key[-1][1], mod))
                if letter:
                    key[-1] = (100 + _ALPHABET.index(letter), letter)
            continue
        if ch in _ALPHABET:
            key.append((100 + _ALPHABET.index(ch), ch))
        elif ch.isspace():
            key.append((0, None))
        elif ch.isdigit():
            key.append((10 + int(ch), None))
        else:
            key.append((1000 + ord(ch), None))
    return [k for k, _ in key]


def parse_vn(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=VN)


__all__ = ["faketime_env", "copy_example", "simulate", "expected_statuses", "status_of", "store_units_by_status",
           "store_outbox_states", "digest_key", "vi_primary_key", "OCC", "REPLIES", "EXPECTED", "VN", "parse_vn",
           "TestFailure"]
