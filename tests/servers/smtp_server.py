#!/usr/bin/python3
"""A local SMTP sink for dondoc's tests and benchmarks (aiosmtpd, Debian's
python3-aiosmtpd, hence /usr/bin/python3).

    smtp_server.py --outdir DIR [--port 0] [--starttls CERT KEY | --implicit CERT KEY]
                   [--auth USER:PASS] [--fail-mode none|4xx|5xx|drop|4xx-data|5xx-data]
                   [--mode-file FILE] [--no-store] [--lifetime SECONDS]

- Listens on 127.0.0.1 only. The first line on stdout is the chosen port (use
  --port 0 to let the kernel pick one); then the server runs until SIGTERM/SIGINT or
  --lifetime seconds (default 600), so a forgotten server cannot outlive a test run.
- Every accepted message is appended to DIR/received.jsonl as one JSON line
  {"n", "mail_from", "rcpt_tos", "size", "file", "key", "peer_port"} ("key" from
  X-Dondoc-Key; one peer_port per connection) and,
  unless --no-store, written as DIR/NNNNNN.eml (the bytes as received, CRLF kept).
- --starttls: STARTTLS offered and required before MAIL; --implicit: TLS from the
  first byte (smtps). --auth: AUTH PLAIN/LOGIN required with these credentials.
- Failure modes, applied per message: 4xx / 5xx reject RCPT TO (451 / 550);
  4xx-data / 5xx-data reject the end of DATA (451 / 554); drop closes the connection
  at the end of DATA without an answer (nothing is recorded).
- --mode-file FILE: when the file exists, its first word replaces --fail-mode for the
  next message (re-read for every message), so a test can change the mode at runtime.
- Idle connections are closed after 30 s; messages are limited to 10 MB.
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import logging

from aiosmtpd.smtp import SMTP, AuthResult

# aiosmtpd warns on every AUTH that Session.login_data is deprecated; errors still show.
logging.getLogger("mail.log").setLevel(logging.ERROR)

MODES = ("none", "4xx", "5xx", "drop", "4xx-data", "5xx-data")


class Sink:
    def __init__(self, args):
        self.args = args
        self.count = 0
        os.makedirs(args.outdir, exist_ok=True)
        self.log = open(os.path.join(args.outdir, "received.jsonl"), "a", buffering=1)

    def mode(self):
        if self.args.mode_file:
            try:
                with open(self.args.mode_file) as f:
                    word = (f.read().split() or ["none"])[0]
                if word in MODES:
                    return word
            except OSError:
                pass
        return self.args.fail_mode

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        mode = self.mode()
        if mode == "4xx":
            return "451 4.3.0 Temporary failure (test sink)"
        if mode == "5xx":
            return "550 5.1.1 Mailbox unavailable (test sink)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mode = self.mode()
        if mode == "4xx-data":
            return "451 4.3.0 Try again later (test sink)"
        if mode == "5xx-data":
            return "554 5.6.0 Message rejected (test sink)"
        if mode == "drop":
            server.transport.abort()
            return "421 dropped"  # never reaches the client
        self.count += 1
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        key = ""
        head = data.split(b"\r\n\r\n", 1)[0]
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"x-dondoc-key:"):
                key = line.split(b":", 1)[1].strip().decode("ascii", "replace")
        name = ""
        if not self.args.no_store:
            name = "%06d.eml" % self.count
            with open(os.path.join(self.args.outdir, name), "wb") as f:
                f.write(data)
        self.log.write(json.dumps({"n": self.count, "mail_from": envelope.mail_from,
                                   "rcpt_tos": envelope.rcpt_tos, "size": len(data),
                                   "file": name, "key": key, "peer_port": session.peer[1]}) + "\n")
        return "250 2.0.0 OK queued as %06d" % self.count


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--outdir", required=True)
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--implicit", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth", metavar="USER:PASS")
    p.add_argument("--fail-mode", default="none", choices=MODES)
    p.add_argument("--mode-file")
    p.add_argument("--no-store", action="store_true")
    p.add_argument("--lifetime", type=float, default=600)
    args = p.parse_args()

    sink = Sink(args)
    tls = None
    pair = args.starttls or args.implicit
    if pair:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(pair[0], pair[1])

    authenticator = None
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (getattr(auth_data, "login", b"") == user.encode()
                  and getattr(auth_data, "password", b"") == password.encode())
            return AuthResult(success=ok, handled=False)

    def factory():
        kw = dict(hostname="sink.test", data_size_limit=10 * 1024 * 1024, timeout=30,
                  authenticator=authenticator, auth_required=bool(args.auth),
                  auth_require_tls=bool(args.starttls), enable_SMTPUTF8=True)
        if args.starttls:
            kw.update(tls_context=tls, require_starttls=True)
        return SMTP(sink, **kw)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(factory, "127.0.0.1", args.port, ssl=tls if args.implicit else None))
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    loop.call_later(args.lifetime, lambda: stop.done() or stop.set_result(None))
    loop.run_until_complete(stop)
    server.close()
    sink.log.close()


if __name__ == "__main__":
    main()
