#!/usr/bin/python3
"""The SMTP sink's own limit: sends one message N times over C connections, each a
separate process reusing its connection (smtplib), and prints the rate.

    smtp_blast.py PORT FILE.eml N C
"""
import multiprocessing
import smtplib
import sys
import time


def worker(args):
    port, data, n = args
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    for _ in range(n):
        s.sendmail("dondoc@snv.example", ["binh.tv@stc.example"], data)
    s.quit()
    return n


def main():
    port, path, n, c = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    data = open(path, "rb").read()
    per = [n // c + (1 if i < n % c else 0) for i in range(c)]
    t0 = time.monotonic()
    with multiprocessing.Pool(c) as pool:
        sent = sum(pool.map(worker, [(port, data, k) for k in per]))
    dt = time.monotonic() - t0
    print("plain client: %d sent, %.2f s, %.0f msg/s (%d connections)" % (sent, dt, sent / dt, c))


if __name__ == "__main__":
    main()
