#!/usr/bin/python3
"""`dondoc simulate` as a user runs it: a kept store or outbox starts fresh (never an
earlier run's, never a directory of the user's changed), and the messages it writes are
the daemon's own — with the configured reply number and keyword, or, without an SMS
gateway, texts that end at the codes."""

import json
import os
import shutil
import stat
import tempfile

from dondoc_harness import DONDOC, SOURCE, check, run_tests

import subprocess

EXAMPLE = os.path.join(SOURCE, "examples", "quang-ngai-2019")
SMS_CHANNEL = """
[channels.sms]
provider = "http"
url = "http://127.0.0.1:9/send"
body = '{"to": "{to}", "text": "{text}"}'
reply_number = "8077"
mo_keyword = "SNV"
"""


def simulate(config, *extra):
    return subprocess.run([DONDOC, "simulate", "--config", config, "--from", "2019-06-01", "--to", "2019-06-12", *extra],
                          capture_output=True, text=True, timeout=300)


def sms_texts(outbox):
    with open(os.path.join(outbox, "sms.jsonl"), encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def test_kept_store_starts_fresh():
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(EXAMPLE, "dondoc.toml")
        kept = os.path.join(tmp, "kept")
        out = simulate(config, "--keep-store", kept)
        check(out.returncode == 0, "a new --keep-store directory is made: " + out.stderr)
        check(os.path.exists(os.path.join(kept, "dondoc.db")), "the store is kept")
        check(stat.S_IMODE(os.stat(kept).st_mode) == 0o700, "the directory made for it is 0700")
        texts = sms_texts(os.path.join(kept, "outbox"))
        check(texts and not any(t.rstrip().endswith(" gui") for t in texts),
              "without an SMS gateway no text ends in 'gui' and nothing: %s" % texts[:2])
        check(all(t.split()[-1] == t.split()[-5] for t in texts if t.startswith("Nhac han")),
              "a reminder ends at its reply code: %s" % texts[:1])
        # Again into the same directory: refused, the first run's store untouched.
        before = os.path.getsize(os.path.join(kept, "dondoc.db"))
        out = simulate(config, "--keep-store", kept)
        check(out.returncode == 1 and kept in out.stderr and "not empty" in out.stderr,
              "a second run into the kept store is refused (exit 1): %d %s" % (out.returncode, out.stderr))
        check(os.path.getsize(os.path.join(kept, "dondoc.db")) == before, "the kept store is not touched")
        # A directory of the user's: refused while it has anything, and its mode is kept.
        mine = os.path.join(tmp, "mine")
        os.mkdir(mine)
        os.chmod(mine, 0o755)
        with open(os.path.join(mine, "notes.txt"), "w") as f:
            f.write("keep me\n")
        out = simulate(config, "--keep-store", mine)
        check(out.returncode == 1, "a non-empty directory is refused: " + out.stderr)
        check(stat.S_IMODE(os.stat(mine).st_mode) == 0o755 and os.listdir(mine) == ["notes.txt"],
              "the user's directory is left as it was")
        os.remove(os.path.join(mine, "notes.txt"))
        out = simulate(config, "--keep-store", mine)
        check(out.returncode == 0 and stat.S_IMODE(os.stat(mine).st_mode) == 0o755,
              "an empty directory of the user's is used, its mode kept: " + out.stderr)


def test_outbox_and_reply_number():
    with tempfile.TemporaryDirectory() as tmp:
        roster = os.path.join(tmp, "roster")
        shutil.copytree(EXAMPLE, roster)
        with open(os.path.join(roster, "dondoc.toml"), "a", encoding="utf-8") as f:
            f.write(SMS_CHANNEL)
        outbox = os.path.join(tmp, "outbox")
        out = simulate(os.path.join(roster, "dondoc.toml"), "--outbox", outbox)
        check(out.returncode == 0 and outbox in out.stdout, "--outbox writes there and says so: " + out.stderr)
        texts = sms_texts(outbox)
        check(texts and all(t.endswith(" gui 8077") and " SNV DA " in t for t in texts if not t.startswith("Tong hop")),
              "the SMS carry the keyword and the reply number, as the daemon's would: %s" % texts[:2])
        check(os.listdir(os.path.join(outbox, "mail", "new")), "the emails are there too")


if __name__ == "__main__":
    run_tests([test_kept_store_starts_fresh, test_outbox_and_reply_number])
