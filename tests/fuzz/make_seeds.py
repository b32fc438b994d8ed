#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/TARGET/seed-*): small,
real-looking inputs. Run from the repository root; it rewrites only seed-* files, never
the crash-* regressions. Rosters come from examples/ (with their includes inlined) and
from tests/config/broken/ (the loader's own error cases)."""
import glob
import hashlib
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def put(target, data, name=None):
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def clear(target):
    for p in glob.glob(os.path.join(OUT, target, "seed-*")):
        os.remove(p)


def rosters():
    clear("roster")
    for ex in sorted(glob.glob(os.path.join(ROOT, "examples", "*", "dondoc.toml"))):
        d = os.path.dirname(ex)
        text = re.sub(r"^include\s*=.*$", "", open(ex, encoding="utf-8").read(), flags=re.M)
        units = os.path.join(d, "units.toml")
        if os.path.exists(units):  # the first 12 units keep the seed small
            blocks = open(units, encoding="utf-8").read().split("[[units]]")
            text += "\n" + "[[units]]".join(blocks[:13])
        reports = os.path.join(d, "reports.toml")
        if os.path.exists(reports):
            text += "\n" + open(reports, encoding="utf-8").read()
        put("roster", text, os.path.basename(d))
    for p in sorted(glob.glob(os.path.join(ROOT, "tests", "config", "broken", "*.toml"))):
        if not os.path.isfile(p):
            continue
        data = open(p, "rb").read()
        if b"include" in data or b"data_dir" in data or b"\\u" in data or b"\\U" in data or len(data) > 8192:
            continue
        put("roster", data, "broken-" + os.path.basename(p)[:-5])


def replies():
    clear("reply")
    lines = ["DA NHAN K7Q2AB", "SNV DA NHAN K7Q2AB", "snv da nop k7q 2ab", "Đã nhận", "ĐÃ NỘP BÁO CÁO K7Q2AB",
             "ok", "xong", "da nhan ma K7Q-2AB cam on", "Nhận được rồi ạ", "nop roi"]
    for i, line in enumerate(lines):
        put("reply", bytes([i % 5]) + line.encode())
    bodies = [
        "Đã nhận, cảm ơn.\n\nVào Th 6, 14 thg 6, 2019 lúc 08:00, Sở Nội vụ <dondoc@snv.example> đã viết:\n> Kính gửi…\n",
        "da nop\n-- \nNguyen Van A\nSo Tai chinh\n",
        "OK\r\n\r\n-----Original Message-----\r\nFrom: dondoc@snv.example\r\n",
        "> quoted only\n> DA NHAN K7Q2AB\n",
        "Em đã nhận được văn bản.\nTrân trọng.\n\nOn Fri, Jun 14, 2019 at 8:00 AM <dondoc@snv.example> wrote:\n> x\n",
    ]
    for i, b in enumerate(bodies):
        put("reply", bytes([0x30 + i]) + b.encode())


B32 = "abcdefghijklmnopqrstuvwxyz234567"


def tokens():
    clear("token")
    put("token", "aaaaaaaaaaaaaaaaaaaaaaaaaa")
    put("token", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    put("token", "aaaaaabbbbbbccccccdddddd2q")
    put("token", "short")
    put("token", bytes([0, 0, 0, 0, 0, 42]) + b"12\x00so-tai-chinh\x00stc-binh")
    put("token", bytes([0, 0, 1, 2, 3, 4]) + "7\x00ubnd-ba-to\x00bt-nam".encode())
    put("token", bytes([255] * 6) + b"\x00\x00")


def mime():
    clear("mime")
    subj = "[Nhắc hạn] Sở Tài chính — Báo cáo 6 tháng — hạn thứ Sáu, 14/06/2019"
    text = "Kính gửi: Trần Văn Bình.\n\nHạn nộp: thứ Sáu, 14/06/2019\nXác nhận: https://dondoc.snv.example/a/abc\n"
    html = "<p>Kính gửi: <b>Trần Văn Bình</b>.</p>\n<p>Hạn nộp: thứ Sáu, 14/06/2019</p>\n"
    put("mime", b"\x09" + "\x1f".join([subj, "Sở Nội vụ tỉnh Quảng Ngãi", "Trần Văn Bình", text, html]).encode())
    put("mime", b"\x09" + "\x1f".join(["Reminder: report due 14/06/2019", "SNV, Quang Ngai", "Binh \"TV\"",
                                       "Plain ASCII body.\r\nSecond line.  \n", ""]).encode())
    put("mime", b"\x28" + "\x1f".join(["ĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐ =?UTF-8?B?x?=", "", "",
                                       "x" * 200 + "\n", "<p>" + "ờ" * 100 + "</p>"]).encode())
    put("mime", b"\x00" + b"\xff\xfe bad \xc3\x28 utf8\x1f\xe1\xba\x1fname\rwith\ncontrols\x1fbody\r\r\n\x1f")


def sms_hooks():
    clear("sms_hooks")
    t = "receiverTime=2026-12-04%2009:00:00"
    # eSMS (bit 0 clear); bit 1 = sign; bit 2 = POST form.
    put("sms_hooks", b"\x02" + ("cpid=1&smsid=900001&sender=0912000002&content=SNV%20DA%20NHAN%20@C\x00&" + t).encode())
    put("sms_hooks", b"\x06" + ("cpid=1&smsid=900002&sender=84912000004&content=snv+da+nop+@C\x01&" + t).encode())
    put("sms_hooks", b"\x02" + ("cpid=1&smsid=900003&sender=0912000005&content=SNV%20ok&" + t).encode())
    put("sms_hooks", b"\x02" + ("cpid=1&SMSID=@P\x02&SendStatus=2&" + t).encode())
    put("sms_hooks", b"\x02" + ("cpid=1&SMSID=@P\x03&SendStatus=3&" + t).encode())
    put("sms_hooks", b"\x00" + ("cpid=1&smsid=1&sender=0912000002&content=DA%20NHAN&sign=forged&" + t).encode())
    # Generic provider (bit 0 set).
    put("sms_hooks", b"\x03" + '{"from": "0912000002", "text": "DA NHAN @C\x00"}'.encode())
    put("sms_hooks", b"\x03" + '{"phone": "+84912000006", "content": "Đã nộp @C\x03"}'.encode())
    put("sms_hooks", b"\x03" + '{"key": "@K\x01", "status": "delivered"}'.encode())
    put("sms_hooks", b"\x03" + '{"id": "@P\x00", "status": "failed"}'.encode())
    put("sms_hooks", b"\x01" + '{"from": "0912000002", "text": "DA NHAN"}'.encode())
    put("sms_hooks", b"\x03" + b'[1, 2, {"from": null}]')


def http():
    clear("http")
    put("http", "GET /healthz HTTP/1.1\r\nHost: dondoc.snv.example\r\n\r\n")
    put("http", "GET /a/@T\x00 HTTP/1.1\r\nHost: dondoc.snv.example\r\nUser-Agent: Mozilla/5.0\r\n\r\n")
    body = "action=ack"
    put("http", "POST /a/@T\x01 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: %d\r\n\r\n%s" % (len(body), body))
    body = "action=submit"
    put("http", "POST /a/@T\x02?done=ack HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    put("http", "GET /hooks/sms/esms?cpid=1&smsid=5&sender=0912000002&content=DA%20NHAN%20@C\x00&sign=x HTTP/1.1\r\n"
                "Host: x\r\n\r\n")
    body = '{"from": "0912000002", "text": "DA NHAN"}'
    put("http", "POST /hooks/sms/http HTTP/1.1\r\nHost: x\r\nX-Dondoc-Signature: sha256=00\r\n"
                "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    put("http", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /a/%2e%2e/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    put("http", "POST /hooks/sms/esms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\ncpid=\r\n0\r\n\r\n")
    put("http", "GET / HTTP/1.0\r\n\r\n")
    put("http", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a TLS ClientHello on plain HTTP


if __name__ == "__main__":
    rosters()
    replies()
    tokens()
    mime()
    sms_hooks()
    http()
    for t in sorted(os.listdir(OUT)):
        files = os.listdir(os.path.join(OUT, t))
        print("%-10s %3d files %6d bytes" % (t, len(files), sum(os.path.getsize(os.path.join(OUT, t, f)) for f in files)))
