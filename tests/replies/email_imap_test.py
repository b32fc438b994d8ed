#!/usr/bin/python3
"""Email replies through the real dondocd and a real Dovecot IMAP server on loopback.

The daemon sends its first reminders (a catch-up at the first start) to the loopback SMTP
sink; the test answers them as mail clients would — an Outlook HTML-only reply in
Windows-1258, a Gmail multipart reply from a colleague's personal address carrying the
valid Reply-To token, an auto-reply, a forged token, a delivery failure — by delivering
them into the Dovecot Maildir, and checks what the daemon made of each: exactly the rows
DESIGN.md says are cancelled, the audit log, the \\Seen flag, nothing applied twice after a
restart even when the server lost its flags, IMAP errors in /api/v1/health, and the poller
restarted by a reload."""

import time

from dondoc_harness import Daemon, check, run_tests, roster
from replies_support import (IMAP_PASSWORD, IMAP_USER, UNITS, Dovecot, SmtpSink, audit, dsn_bounce, gmail_alternative,
                             item, near_deadline, original_of, outlook_html_1258, plain_reply, reports, rows,
                             wait_for, write_secret)


def config(d, dovecot, sink, secrets, poll="1s"):
    channels = f"""
[channels.email]
url = "smtp://127.0.0.1:{sink.port}"
tls = "none"
from = "Sở Nội vụ tỉnh Quảng Ngãi <dondoc@snv.example>"
reply_to = "dondoc-replies@snv.example"

[channels.email.replies]
url = "{dovecot.url}"
tls = "none"
username = "{IMAP_USER}"
password_file = "imap-password"
poll = "{poll}"
"""
    return roster(d.state_dir, UNITS, reports(near_deadline()), extra_service=f'secrets_dir = "{secrets}"',
                  channels=channels)


def by_unit(sink):
    """The first reminder each focal official got, keyed by unit."""
    out = {}
    for entry in sink.received():
        o = original_of(sink.message(entry))
        unit = "so-tai-chinh" if o["to"] == "binh.tv@stc.example" else "so-y-te" if o["to"] == "an.nv@syt.example" else None
        if unit and unit not in out:
            out[unit] = o
    return out


def states(d, unit):
    """{(kind, step, repeat): (state, reason)} of a unit's email rows."""
    return {(k, s, r): (st, why) for k, s, r, st, why, ch in rows(d, unit) if ch == "email"}


def actions(d, unit=None):
    return [(who, how, action) for who, how, action, _, _ in audit(d, unit)]


def test_email_replies_through_dovecot():
    with Daemon() as d:
        tmp = d.dir
        secrets = tmp + "/secrets"
        write_secret(secrets, "imap-password", IMAP_PASSWORD)
        with Dovecot(tmp) as dovecot, SmtpSink(tmp) as sink:
            d.write_config(config(d, dovecot, sink, secrets))
            d.start()
            check(sink.wait(2), "the first reminders went out by SMTP:\n" + d.log_text())
            sent = by_unit(sink)
            check(set(sent) == {"so-tai-chinh", "so-y-te"}, "one reminder per focal official: %s" % sent)
            for o in sent.values():
                check(o["reply_to"].startswith("dondoc-replies+") and o["reply_to"].endswith("@snv.example"),
                      "Reply-To is tagged: %s" % o["reply_to"])
            check(wait_for(lambda: d.health()[1]["imap"] == "ok", 20), "health says IMAP ok: %s" % (d.health(),))
            a0, b0 = states(d, "so-tai-chinh"), states(d, "so-y-te")
            check(a0[("reminder", 0, 0)][0] == "sent" and a0[("reminder", 0, 1)][0] == "planned" and
                  a0[("reminder", 1, 0)][0] == "planned" and
                  a0[("escalation", 0, 0)][0] == "planned", "before any reply: %s" % a0)

            # 1. Outlook, HTML only, Windows-1258: "Đã nhận" from the focal official.
            name = dovecot.deliver(outlook_html_1258(sent["so-tai-chinh"], "binh.tv@stc.example",
                                                     "Đã nhận ạ. Đơn vị sẽ gửi báo cáo đúng hạn."))
            check(wait_for(lambda: item(d, "so-tai-chinh")["acknowledged_at"], 20),
                  "the Outlook reply acknowledged:\n" + d.log_text())
            a1 = states(d, "so-tai-chinh")
            # An acknowledgement cancels the pending repeats of the step already sent; later steps still go.
            check(a1[("reminder", 0, 1)] == ("cancelled", "acknowledged"), "the repeat is cancelled: %s" % a1)
            check(a1[("reminder", 1, 0)][0] == "planned" and a1[("escalation", 0, 0)][0] == "planned",
                  "later steps still go: %s" % a1)
            check(states(d, "so-y-te") == b0, "the other unit is untouched")
            check(item(d, "so-tai-chinh")["acknowledged_by"] == "stc-binh", "acknowledged by the focal official")
            check(("stc-binh", "email", "ack") in actions(d, "so-tai-chinh"), "the ack is in the audit log")
            check(wait_for(lambda: dovecot.flags(name) == "S", 10), "the reply is flagged \\Seen: %s" % dovecot.flags(name))

            # 2. Gmail, multipart/alternative, from a colleague's personal address with the valid token.
            dovecot.deliver(gmail_alternative(sent["so-y-te"], "vanthu.syt@gmail.example",
                                              "Sở Y tế đã nộp báo cáo qua hệ thống văn bản."))
            check(wait_for(lambda: item(d, "so-y-te")["state"] == "submitted", 20),
                  "the Gmail reply submitted:\n" + d.log_text())
            b2 = states(d, "so-y-te")
            check(all(st != "planned" for st, _ in b2.values()), "a submission cancels every later step: %s" % b2)
            check(b2[("reminder", 1, 0)] == ("cancelled", "submitted") and
                  b2[("escalation", 0, 0)] == ("cancelled", "submitted"), "cancelled as submitted: %s" % b2)
            check(item(d, "so-y-te")["submit_source"] == "unit", "recorded as reported by the unit")
            unverified = [x for x in audit(d, "so-y-te") if x[2] == "unverified_sender"]
            check(len(unverified) == 1 and "v***@gmail.example" in unverified[0][3] and "token" in unverified[0][3],
                  "the unverified sender is in the audit detail: %s" % unverified)
            check(states(d, "so-tai-chinh") == a1, "the first unit is untouched")

            # 3. An auto-reply (it even says "Đã nộp"), a forged token, a bounce.
            dovecot.deliver(plain_reply("cuc.lt@stc.example", sent["so-tai-chinh"]["reply_to"],
                                        "Trả lời tự động: " + sent["so-tai-chinh"]["subject"],
                                        "Tôi đang nghỉ phép. Đã nộp.", "Auto-Submitted: auto-replied\n"))
            tok = sent["so-tai-chinh"]["reply_to"].split("+", 1)[1].split("@", 1)[0]
            forged = "dondoc-replies+%s%s@snv.example" % (tok[:-1], "a" if tok[-1] != "a" else "b")
            dovecot.deliver(plain_reply("someone@evil.example", forged, "DA NOP", "DA NOP"))
            dovecot.deliver(dsn_bounce(sent["so-y-te"]))
            check(wait_for(lambda: len([x for x in actions(d) if x[2] in ("reply_ignored", "reply_rejected", "bounce")]) >= 3, 20),
                  "the three are recorded: %s\n%s" % (actions(d), d.log_text()))
            check(item(d, "so-tai-chinh")["state"] == "open", "neither the auto-reply nor the forgery submitted")
            check(states(d, "so-tai-chinh") == a1, "the first unit's rows are unchanged")
            kinds = {a for _, _, a in actions(d)}
            check({"reply_ignored", "reply_rejected", "bounce"} <= kinds, "audited: %s" % kinds)
            rejected = [x for x in audit(d) if x[2] == "reply_rejected"]
            check(any("bad_token" in x[3] for x in rejected), "the forgery is rejected as a bad token: %s" % rejected)
            b3 = states(d, "so-y-te")
            check(b3[("reminder", 0, 0)] == ("failed", "bounced"), "the bounce marks the reminder failed: %s" % b3)

            # 4. A restart applies nothing twice, even when the server lost every \Seen flag.
            check(d.stop() == 0, "SIGTERM exits 0")
            before = audit(d)
            acked_at = item(d, "so-tai-chinh")["acknowledged_at"]
            dovecot.unflag_all()
            d.start()
            sentinel = dovecot.deliver(plain_reply("binh.tv@stc.example", "dondoc-replies@snv.example", "Hỏi",
                                                   "Cho hỏi hạn nộp là ngày nào?"))
            check(wait_for(lambda: len(audit(d)) > len(before), 20), "the sentinel is read after the restart")
            time.sleep(1.5)  # one more poll
            after = audit(d)
            check(after[:len(before)] == before and len(after) == len(before) + 1,
                  "only the new message was read after the restart: %s" % after[len(before):])
            check(after[-1][2] == "reply_rejected" and "not_understood" in after[-1][3], "the question is not understood")
            check(item(d, "so-tai-chinh")["acknowledged_at"] == acked_at, "the acknowledgement time is kept")
            check(wait_for(lambda: dovecot.flags(sentinel) == "S", 10), "flagged after the restart too")

            # 5. The IMAP server goes away: the error is in the health detail, logged once,
            # and a reply delivered meanwhile is read when it is back.
            dovecot.stop()
            def imap_error():
                try:
                    return d.health()[1]["imap"] != "ok"
                except OSError:
                    return False
            check(wait_for(imap_error, 20), "health shows the IMAP error:\n" + d.log_text())
            time.sleep(3)  # three more polls
            failures = [line for line in d.log_text().splitlines() if "trying again in" in line]
            check(len(failures) <= 2, "a repeated failure is logged once:\n" + "\n".join(failures))
            late = dovecot.deliver(plain_reply("cuc.lt@stc.example", sent["so-tai-chinh"]["reply_to"], "Re",
                                               "Đã nộp báo cáo."))
            dovecot.start()
            check(wait_for(lambda: item(d, "so-tai-chinh")["state"] == "submitted", 30),
                  "the reply delivered during the outage is read:\n" + d.log_text())
            check(wait_for(lambda: d.health()[1]["imap"] == "ok", 10), "health is ok again")
            check(wait_for(lambda: dovecot.flags(late) == "S", 10), "and flagged")
            a5 = states(d, "so-tai-chinh")
            check(all(st != "planned" for st, _ in a5.values()), "the submission cancelled every later step: %s" % a5)

            # 6. A reload with a wrong password restarts the poller and shows the error;
            # the right one again recovers.
            write_secret(secrets, "imap-password", "wrong")
            d.reload()
            check(wait_for(lambda: "authentication" in d.health()[1]["imap"].lower() or
                           "login" in d.health()[1]["imap"].lower(), 20),
                  "a wrong password shows in health: %s" % (d.health()[1]["imap"],))
            write_secret(secrets, "imap-password", IMAP_PASSWORD)
            d.write_config(config(d, dovecot, sink, secrets, poll="2s"))
            d.reload()
            check(d.wait_log(r"reading replies from imap://127\.0\.0\.1:\d+/INBOX every 2 s"), "the poller restarted")
            check(wait_for(lambda: d.health()[1]["imap"] == "ok", 20), "and reads again")
            check(d.stop() == 0, "SIGTERM exits 0")


if __name__ == "__main__":
    run_tests([test_email_replies_through_dovecot])
