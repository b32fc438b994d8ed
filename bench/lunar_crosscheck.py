#!/usr/bin/python3
"""Cross-checks dondoc's lunar calendar against an independent ephemeris (PyEphem).

Not a test (it needs Debian's python3-ephem, which the build does not): a manual check
that the month starts dondoc computes from Meeus' series agree with the same calendar
rules applied to PyEphem's new moons and solar longitudes, every month of 1900-2100.

  apt-get install python3-ephem
  /usr/bin/python3 bench/lunar_crosscheck.py build/release/cli/dondoc

Rules (DOMAIN.md): a month starts on the civil day (UTC+7) of the new moon; month 11
holds the winter solstice; in a 13-month span between two months 11, the first month
without a principal term is leap. A principal term "falls in" a month when the sun's
apparent longitude at the local midnight starting the month differs in 30° sector from
the one starting the next month.
"""
import datetime
import json
import math
import subprocess
import sys

import ephem

OFFSET_HOURS = 7.0
EPOCH = datetime.date(1970, 1, 1)
DUBLIN_UNIX = 2440587.5 - 2415020.0  # ephem.Date (Dublin JD) of 1970-01-01 00:00 UT


def civil_day(when):
    return math.floor(float(when) - DUBLIN_UNIX + OFFSET_HOURS / 24.0)


def new_moon_days():
    days, d = [], ephem.Date("1898/10/1")
    while d < ephem.Date("2102/2/1"):
        d = ephem.next_new_moon(d)
        days.append(civil_day(d))
        d = ephem.Date(d + 1)
    return days


SUN = ephem.Sun()


def longitude_at_day_start(day):
    t = ephem.Date(DUBLIN_UNIX + day - OFFSET_HOURS / 24.0)
    SUN.compute(t)
    ecl = ephem.Ecliptic(ephem.Equatorial(SUN.g_ra, SUN.g_dec, epoch=t), epoch=t)
    return math.degrees(ecl.lon)


def months():
    nms = new_moon_days()

    def month11(y):
        dec31 = (datetime.date(y, 12, 31) - EPOCH).days
        i = max(j for j, n in enumerate(nms) if n <= dec31)
        while longitude_at_day_start(nms[i]) >= 270:
            i -= 1
        while longitude_at_day_start(nms[i + 1]) < 270:
            i += 1
        return i

    def sector(day):
        return int(longitude_at_day_start(day) // 30)

    out, k11 = [], month11(1899)
    for y in range(1900, 2102):
        n11 = month11(y)
        count, leap = n11 - k11, -1
        if count == 13:
            prev = sector(nms[k11 + 1])
            for i in range(1, count):
                nxt = sector(nms[k11 + i + 1])
                if nxt == prev:
                    leap = i
                    break
                prev = nxt
        number, lunar_year = 11, y - 1
        for i in range(count):
            is_leap = i == leap
            if i > 0 and not is_leap:
                number = number % 12 + 1
                if number == 1:
                    lunar_year = y
            out.append((nms[k11 + i], lunar_year, number, is_leap))
        k11 = n11
    return out


def main():
    dondoc = sys.argv[1] if len(sys.argv) > 1 else "dondoc"
    first, last = datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)
    checked = differ = 0
    for day, year, month, leap in months():
        date = EPOCH + datetime.timedelta(days=day)
        if not first <= date <= last:
            continue
        got = json.loads(subprocess.run([dondoc, "lunar", date.isoformat(), "--format", "json"],
                                        capture_output=True, text=True, check=True).stdout)
        checked += 1
        want = (1, month, year, leap)
        have = (got["lunar_day"], got["lunar_month"], got["lunar_year"], got["leap"])
        if have != want:
            differ += 1
            print(f"{date}: PyEphem starts month {month}{'L' if leap else ''}/{year}; dondoc says {have}")
    print(f"{checked} month starts checked, {differ} differ")


if __name__ == "__main__":
    main()
