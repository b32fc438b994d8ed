#!/usr/bin/python3
"""Parses received messages with Python's `email` package (an independent MIME reader)
and prints one JSON object per file: decoded headers and bodies, plus the raw facts
tests check (longest encoded word, longest header line, CRLF everywhere).

    check_email.py FILE.eml [FILE.eml …]
"""
import email
import email.policy
import json
import re
import sys

WORD = re.compile(rb"=\?[^?]+\?[bBqQ]\?[^?]*\?=")


def part_text(msg, subtype):
    for part in msg.walk():
        if part.get_content_type() == "text/" + subtype:
            return part.get_content()
    return None


def main():
    for path in sys.argv[1:]:
        raw = open(path, "rb").read()
        head = raw.split(b"\r\n\r\n", 1)[0]
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        words = WORD.findall(head)
        out = {
            "file": path,
            "subject": str(msg["Subject"]),
            "from": str(msg["From"]),
            "from_name": msg["From"].addresses[0].display_name if msg["From"] else None,
            "to": str(msg["To"]),
            "to_name": msg["To"].addresses[0].display_name if msg["To"] else None,
            "reply_to": str(msg["Reply-To"]) if msg["Reply-To"] else None,
            "message_id": msg["Message-ID"],
            "in_reply_to": msg["In-Reply-To"],
            "references": msg["References"],
            "auto_submitted": msg["Auto-Submitted"],
            "date": msg["Date"],
            "x_dondoc_key": msg["X-Dondoc-Key"],
            "content_type": msg.get_content_type(),
            "text": part_text(msg, "plain"),
            "html": part_text(msg, "html"),
            "max_encoded_word": max((len(w) for w in words), default=0),
            "max_header_line": max((len(l) for l in head.split(b"\r\n")), default=0),
            "bare_lf": b"\n" in raw.replace(b"\r\n", b""),
            "defects": [str(d) for p in msg.walk() for d in p.defects],
        }
        print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
