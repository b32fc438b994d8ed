#!/usr/bin/python3
"""SMS replies, link confirmations and the public listener's limits, through the real
dondocd.

- eSMS: replies as eSMS posts them (GET /hooks/sms/esms with sign =
  Base64(MD5(cpid + smsid + content + receiverTime + key))), valid and wrong signs.
- The generic provider: JSON POST /hooks/sms/http with X-Dondoc-Signature: sha256=HMAC.
  Each answer stops exactly the rows DESIGN.md says and is audited; a number outside the
  roster and a code of another unit change nothing but the audit log.
- Links: GET shows the page and records nothing, POST records, twice is harmless; forged
  and altered tokens 404; once the occurrence has been closed longer than token_ttl,
  410, also for a replayed POST.
- Limits: an oversized body 413, oversized headers 431, headers sent too slowly cut off
  within the header timeout; the daemon still answers afterwards."""

import json
import re
import time
import urllib.parse

from dondoc_harness import Daemon, check, run_tests, roster
from replies_support import (UNITS, SmsGateway, audit, esms_sign, hmac_sign, item, near_deadline, raw_http, reports,
                             rows, wait_for, write_secret)

MO_SECRET = "khoá-bí-mật-MO-thử"
PHONE_A, PHONE_B = "0912000002", "0912000004"  # so-tai-chinh's and so-y-te's focal officials


def sms_config(d, gateway, secrets, provider):
    if provider == "esms":
        sms = f"""[channels.sms]
provider = "esms"
url = "http://127.0.0.1:{gateway.port}/MainService.svc/json/SendMultipleMessage_V4_post_json/"
api_key_file = "esms-api-key"
secret_key_file = "esms-secret-key"
brandname = "SNV-QNGAI"
reply_number = "8077"
mo_keyword = "SNV"
mo_secret_file = "sms-mo-secret"
"""
    elif provider == "speedsms":
        sms = f"""[channels.sms]
provider = "speedsms"
url = "http://127.0.0.1:{gateway.port}/index.php/sms/send"
api_key_file = "esms-api-key"
reply_number = "8077"
mo_secret_file = "sms-mo-secret"
"""
    else:
        sms = f"""[channels.sms]
provider = "http"
url = "http://127.0.0.1:{gateway.port}/send"
body = '{{"to": "{{to}}", "text": "{{text}}", "key": "{{key}}"}}'
reply_number = "8077"
mo_secret_file = "sms-mo-secret"
"""
    return roster(d.state_dir, UNITS, reports(near_deadline(), channels='["email", "sms"]'),
                  extra_service=f'secrets_dir = "{secrets}"', channels=sms)


def start_sms_daemon(d, gateway, provider):
    secrets = d.dir + "/secrets"
    for name, value in (("esms-api-key", "api-key"), ("esms-secret-key", "secret-key"), ("sms-mo-secret", MO_SECRET)):
        write_secret(secrets, name, value)
    d.write_config(sms_config(d, gateway, secrets, provider))
    d.start()
    check(wait_for(lambda: all(states(d, u)[("reminder", 0, 0, "sms")][0] == "sent" for u in ("so-tai-chinh", "so-y-te")),
                   30), "the first SMS reminders were sent:\n" + d.log_text())


def states(d, unit):
    return {(k, s, r, ch): (st, why) for k, s, r, st, why, ch in rows(d, unit)}


def check_ack(d, unit, before, who):
    """An acknowledgement: the pending repeats of the step already sent are cancelled
    (email and SMS), later steps still go."""
    after = states(d, unit)
    it = item(d, unit)
    check(it["acknowledged_at"] and it["acknowledged_by"] == who and it["state"] == "open", "acknowledged: %s" % it)
    for k, v in after.items():
        if k[0] == "reminder" and k[1] == 0 and k[2] == 1:
            check(v == ("cancelled", "acknowledged"), "repeat %s cancelled: %s" % (k, v))
        elif before[k][0] == "planned":
            check(v[0] == "planned", "%s still goes: %s" % (k, v))


def check_submit(d, unit):
    it = item(d, unit)
    check(it["state"] == "submitted" and it["submit_source"] == "unit", "submitted by the unit: %s" % it)
    after = states(d, unit)
    check(all(v[0] != "planned" for v in after.values()), "every later step cancelled: %s" % after)


def test_esms_replies():
    with Daemon() as d, SmsGateway(d.dir) as gateway:
        start_sms_daemon(d, gateway, "esms")
        code_a, code_b = item(d, "so-tai-chinh")["reply_code"], item(d, "so-y-te")["reply_code"]
        a0, b0 = states(d, "so-tai-chinh"), states(d, "so-y-te")
        n = [0]

        def esms(sender, content, key=MO_SECRET, sign=None, plus_unencoded=False):
            for _ in range(200):  # with plus_unencoded: until the sign has a '+' (about 1 in 3 do)
                n[0] += 1
                q = {"cpid": "CP123", "smsid": "MO%06d" % n[0], "sender": sender, "keyword": "SNV", "content": content,
                     "receiverTime": "2026-11-27 10:%02d:%02d" % (n[0] // 60 % 60, n[0] % 60)}
                q["sign"] = sign if sign is not None else esms_sign(q["cpid"], q["smsid"], content, q["receiverTime"], key)
                if not plus_unencoded:
                    return d.get_public("/hooks/sms/esms?" + urllib.parse.urlencode(q))
                if "+" in q["sign"]:
                    # As a gateway that does not percent-encode sends it: '+' reads as a space.
                    raw = q.pop("sign")
                    return d.get_public("/hooks/sms/esms?" + urllib.parse.urlencode(q) + "&sign=" + raw)
            raise AssertionError("no sign with a '+' in 200 tries")

        # Wrong signs: nothing is read or recorded.
        audited = len(audit(d))
        for bad in (esms(PHONE_A, "SNV DA NHAN " + code_a, key="wrong-key"),
                    esms(PHONE_A, "SNV DA NHAN " + code_a, sign=""),
                    esms(PHONE_A, "SNV DA NHAN " + code_a, sign="AAAAAAAAAAAAAAAAAAAAAA==")):
            check(bad[0] == 403, "a wrong sign is 403: %s" % (bad,))
        check(len(audit(d)) == audited and not item(d, "so-tai-chinh")["acknowledged_at"], "nothing recorded")

        # A number outside the roster: recorded, answered with help, nothing changed.
        status, _, body = esms("0987654321", "SNV DA NOP " + code_a)
        check(status == 200 and "Khong hieu" in body, "answered with help: %s %s" % (status, body))
        last = audit(d)[-1]
        check(last[2] == "reply_rejected" and last[3] == "unknown_sender", "audited as rejected: %s" % (last,))
        # A code of another unit from a roster number: the same.
        status, _, _ = esms(PHONE_A, "SNV DA NOP " + code_b)
        check(status == 200 and audit(d)[-1][3] == "code_of_another_unit", "another unit's code is refused")
        check(states(d, "so-tai-chinh") == a0 and states(d, "so-y-te") == b0, "nothing changed")

        # The focal official acknowledges (diacritics, lower-case code, spaces).
        status, _, body = esms(PHONE_A, "snv Đã nhận " + code_a[:3].lower() + " " + code_a[3:].lower())
        check(status == 200 and "<ClientResponse>" in body and "Da ghi nhan" in body, "eSMS answer: %s" % body)
        check_ack(d, "so-tai-chinh", a0, "stc-binh")
        check(states(d, "so-y-te") == b0, "the other unit is untouched")
        check(("stc-binh", "sms", "ack") in [(w, h, a) for w, h, a, _, _ in audit(d, "so-tai-chinh")], "audited")

        # The other unit submits without a code: its number has exactly one open item.
        status, _, _ = esms(PHONE_B, "SNV XONG", plus_unencoded=True)
        check(status == 200, "accepted, its sign's '+' sent without percent-encoding")
        check_submit(d, "so-y-te")
        check(states(d, "so-tai-chinh")[("reminder", 1, 0, "sms")][0] == "planned", "the first unit's later steps go")
        check(d.stop() == 0, "SIGTERM exits 0")


def test_generic_provider_replies():
    with Daemon() as d, SmsGateway(d.dir) as gateway:
        start_sms_daemon(d, gateway, "http")
        code_a = item(d, "so-tai-chinh")["reply_code"]
        a0, b0 = states(d, "so-tai-chinh"), states(d, "so-y-te")

        def post(payload, key=MO_SECRET, signature=None):
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            headers = {"Content-Type": "application/json"}
            sig = hmac_sign(body, key) if signature is None else signature
            if sig:
                headers["X-Dondoc-Signature"] = sig
            return d.post_public("/hooks/sms/http", body, headers=headers)

        audited = len(audit(d))
        for bad in (post({"from": "+84912000002", "text": "DA NHAN " + code_a}, key="wrong"),
                    post({"from": "+84912000002", "text": "DA NHAN " + code_a}, signature=""),
                    post({"from": "+84912000002", "text": "DA NHAN " + code_a}, signature="sha1=00")):
            check(bad[0] == 403, "a wrong signature is 403: %s" % (bad,))
        check(len(audit(d)) == audited, "nothing recorded")

        status, _, body = post({"from": "+84987654321", "text": "DA NHAN " + code_a})
        check(status == 200 and json.loads(body)["ok"], "recorded: %s" % body)
        check(audit(d)[-1][2] == "reply_rejected" and audit(d)[-1][3] == "unknown_sender", "rejected: %s" % (audit(d)[-1],))
        check(states(d, "so-tai-chinh") == a0, "nothing changed")

        status, _, body = post({"from": "+84912000002", "text": "DA NHAN " + code_a})
        check(status == 200 and "Da ghi nhan" in json.loads(body)["reply"], "acknowledged: %s" % body)
        check_ack(d, "so-tai-chinh", a0, "stc-binh")
        status, _, _ = post({"from": PHONE_B, "text": "Đã nộp"})
        check(status == 200, "accepted")
        check_submit(d, "so-y-te")
        # A reply to a closed item is audited only.
        status, _, body = post({"from": PHONE_B, "text": "DA NOP " + item(d, "so-y-te")["reply_code"]})
        check(status == 200 and audit(d)[-1][3] == "already_closed", "audited only: %s" % (audit(d)[-1],))
        check(d.stop() == 0, "SIGTERM exits 0")


def link_tokens(d):
    """{unit: token} from the links in the emails the daemon wrote to the file outbox."""
    out = {}
    for key, raw in d.emails().items():
        import email
        import email.policy
        m = email.message_from_bytes(raw, policy=email.policy.default)
        to = m["To"].addresses[0].addr_spec
        unit = "so-tai-chinh" if to == "binh.tv@stc.example" else "so-y-te" if to == "an.nv@syt.example" else None
        text = m.get_body(("plain",)).get_content()
        found = re.search(r"/a/([a-z2-7]{26})", text)
        if unit and found:
            out[unit] = found.group(1)
    return out


def test_speedsms_replies():
    """SpeedSMS posts replies as JSON {phone, content} and signs nothing: its callback URL
    carries the MO secret as ?token= (or a relay adds X-Dondoc-Signature)."""
    with Daemon() as d, SmsGateway(d.dir) as gateway:
        start_sms_daemon(d, gateway, "speedsms")
        code_a = item(d, "so-tai-chinh")["reply_code"]
        a0 = states(d, "so-tai-chinh")

        def post(payload, token=None):
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            path = "/hooks/sms/speedsms" + ("?" + urllib.parse.urlencode({"token": token}) if token is not None else "")
            return d.post_public(path, body, headers={"Content-Type": "application/json"})

        audited = len(audit(d))
        for bad in (post({"phone": "84912000002", "content": "DA NHAN " + code_a}),
                    post({"phone": "84912000002", "content": "DA NHAN " + code_a}, token=""),
                    post({"phone": "84912000002", "content": "DA NHAN " + code_a}, token=MO_SECRET + "x")):
            check(bad[0] == 403, "without the token (or with a wrong one) a reply is 403: %s" % (bad,))
        check(len(audit(d)) == audited and states(d, "so-tai-chinh") == a0, "nothing recorded")
        status, _, body = post({"phone": "84912000002", "content": "DA NHAN " + code_a}, token=MO_SECRET)
        check(status == 200 and "Da ghi nhan" in json.loads(body)["reply"], "acknowledged with the token: %s" % body)
        check_ack(d, "so-tai-chinh", a0, "stc-binh")
        check(d.stop() == 0, "SIGTERM exits 0")


def test_links_and_limits():
    with Daemon() as d:
        d.write_config(roster(d.state_dir, UNITS, reports(near_deadline()), extra_service='token_ttl = "3s"'))
        d.start()
        check(d.wait_outbox(emails=2, timeout=30), "the first reminders were written:\n" + d.log_text())
        tokens = link_tokens(d)
        check(set(tokens) == {"so-tai-chinh", "so-y-te"}, "a link per unit: %s" % tokens)
        a0 = states(d, "so-tai-chinh")
        ta, tb = tokens["so-tai-chinh"], tokens["so-y-te"]

        # GET shows the page and records nothing (mail scanners open every link).
        status, _, page = d.get_public("/a/" + ta)
        check(status == 200 and "Sở Tài chính" in page and "Đã nhận" in page and "method=\"post\"" in page,
              "the page: %s %s" % (status, page[:300]))
        check(not item(d, "so-tai-chinh")["acknowledged_at"] and states(d, "so-tai-chinh") == a0, "GET records nothing")

        # POST records; twice is harmless.
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        status, headers, _ = d.post_public("/a/" + ta, "action=ack", headers=form)
        check(status == 303 and headers.get("Location", "").startswith("/a/" + ta), "303 to the page: %s" % headers)
        check_ack(d, "so-tai-chinh", a0, "stc-binh")
        first = item(d, "so-tai-chinh")
        status, _, _ = d.post_public("/a/" + ta, "action=ack", headers=form)
        check(status == 303 and item(d, "so-tai-chinh") == first, "a second POST changes nothing")
        status, _, _ = d.post_public("/a/" + ta, "action=delete", headers=form)
        check(status == 400, "an unknown action is 400")
        check(any(w == "stc-binh" and h == "link" and a == "ack" for w, h, a, _, _ in audit(d, "so-tai-chinh")), "audited")

        # Forged and altered tokens.
        b32 = "abcdefghijklmnopqrstuvwxyz234567"
        padding_only = ta[:-1] + b32[b32.index(ta[-1]) ^ 1]  # differs only in the 2 bits past the 128
        for bad in ("a" * 26, padding_only, ta[:-1] + ("a" if ta[-1] != "a" else "b"), ("b" if ta[0] != "b" else "c") + ta[1:],
                    tb[:10] + ta[10:], ta + "a", ta[:-1], "../" + ta):
            status, _, _ = d.get_public("/a/" + urllib.parse.quote(bad, safe="/."))
            check(status == 404, "a forged or altered token is 404: %s -> %s" % (bad, status))
            status, _, _ = d.post_public("/a/" + urllib.parse.quote(bad, safe="/."), "action=submit", headers=form)
            check(status == 404, "also for POST: %s -> %s" % (bad, status))
        check(item(d, "so-y-te")["state"] == "open", "no forged POST recorded anything")

        # The other unit submits through its link; after token_ttl (3 s here) its link is gone.
        status, _, _ = d.post_public("/a/" + tb, "action=submit", headers=form)
        check(status == 303, "submitted through the link")
        check_submit(d, "so-y-te")
        time.sleep(4)
        status, _, page = d.get_public("/a/" + tb)
        check(status == 410 and "hết hạn" in page, "an expired link is 410: %s" % status)
        status, _, _ = d.post_public("/a/" + tb, "action=submit", headers=form)
        check(status == 410, "a replayed POST on an expired link is 410")
        status, _, _ = d.get_public("/a/" + ta)
        check(status == 200, "the open unit's link still works")

        # Limits of the public listener.
        public = d.public
        big = b"x" * (200 * 1024)
        answer, _ = raw_http(public, b"POST /hooks/sms/http HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                     b"Content-Length: %d\r\n\r\n" % len(big) + big)
        check(answer.startswith(b"HTTP/1.1 413"), "an oversized body is 413: %r" % answer[:60])
        answer, _ = raw_http(public, b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"y" * 20000 + b"\r\n\r\n")
        check(answer.startswith(b"HTTP/1.1 431"), "oversized headers are 431: %r" % answer[:60])
        answer, seconds = raw_http(public, b"GET /healthz HTTP/1.1\r\nHost: t\r\n", timeout=20, read_until_close=True)
        check(answer == b"" and 5 <= seconds <= 13, "slow headers: closed within the 10 s header timeout "
              "(after %.1f s, got %r)" % (seconds, answer[:60]))
        status, _, body = d.get_public("/healthz")
        check(status == 200 and body == "ok", "the daemon still answers")
        check(d.stop() == 0, "SIGTERM exits 0")


if __name__ == "__main__":
    run_tests([test_esms_replies, test_generic_provider_replies, test_speedsms_replies, test_links_and_limits])
