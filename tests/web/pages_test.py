#!/usr/bin/python3
"""What the coordinator sees, in a real browser against the real dondocd:

- The 2019 example mid-run: a scripted simulation (dondoc simulate --keep-store) up to
  Sunday 16/6/2019, then dondocd on that store with its clock at Monday 17/6 10:00
  (libfaketime). Headless Chromium over the DevTools protocol loads the overview, the
  occurrence page (the right units overdue, Vietnamese order, the filter by link and by
  the GET form), records actions through the forms (submitted with a time and a note,
  exempted, confirmed) and finds them on the page and in the audit log; the unit pages
  (masked phones, successor links, a unit that left the roster).
- The XLSX export opened with openpyxl and the CSV with the csv module: cells checked,
  Vietnamese text exact.
- /metrics parsed with prometheus_client: units by status and outbox rows as the store
  has them, HTTP requests by route.
- Login when the admin listener is not loopback: the login page, a wrong password, the
  HttpOnly SameSite=Strict session cookie, CSRF refusal, logout; HTTP Basic for the CLI.
Screenshots land in BUILD/web-screenshots/ for a person to look at."""

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cdp import Browser  # noqa: E402
from dondoc_harness import (BUILD, DONDOC, Daemon, NoRedirect, check, free_port, roster, run_tests,  # noqa: E402
                            unit_block)
from web_support import (EXPECTED, OCC, REPLIES, VN, copy_example, expected_statuses, faketime_env,  # noqa: E402
                         simulate, store_outbox_states, store_units_by_status, vi_primary_key)

SHOTS = os.path.join(BUILD, "web-screenshots")
FAKE_NOW = "2019-06-17 10:00:00"


class Example:
    """The 2019 example's daemon, mid-run, shared by the tests below."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="dondoc-web-")
        self.dir = self.tmp.name
        self.config, _ = copy_example(self.dir)
        simulate(self.config, self.dir)
        self.db_path = os.path.join(self.dir, "state", "dondoc.db")
        self.expected = expected_statuses(self.db_path)
        self.daemon = Daemon(workdir=self.dir, env=faketime_env(FAKE_NOW))
        self.daemon.start()
        self.base = "http://" + self.daemon.admin
        self.browser = Browser()
        os.makedirs(SHOTS, exist_ok=True)

    def close(self):
        try:
            self.browser.close()
        finally:
            code = self.daemon.stop()
            self.daemon.__exit__(None, None, None)
            self.tmp.cleanup()
            check(code == 0, "dondocd exits 0 on SIGTERM, got %s" % code)

    def get(self, path, headers=None):
        req = urllib.request.Request(self.base + path, headers=headers or {})
        opener = urllib.request.build_opener(NoRedirect())
        try:
            with opener.open(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def rows(self):
        """(unit, status, reported, name) of the occurrence table as the browser shows it."""
        return self.browser.evaluate(
            "[...document.querySelectorAll('table.units tbody tr')].map(tr => [tr.dataset.unit, tr.dataset.status, "
            "tr.dataset.reported === '1', tr.querySelector('td[data-label=\"Đơn vị\"] a').textContent])")


EX = None


def example():
    global EX
    if EX is None:
        EX = Example()
    return EX


def test_overview_shows_the_occurrence_with_its_counts():
    ex = example()
    b = ex.browser
    b.navigate(ex.base + "/")
    b.screenshot(os.path.join(SHOTS, "overview.png"))
    check(b.evaluate("document.documentElement.lang") == "vi", "the page says it is Vietnamese")
    counts = b.evaluate(
        "Object.fromEntries([...document.querySelectorAll('tr[data-occurrence=\"%s\"] td.num')]"
        ".filter(td => [...td.classList].some(c => c.startsWith('c-')))"
        ".map(td => [[...td.classList].find(c => c.startsWith('c-')).slice(2), Number(td.textContent)]))" % OCC)
    want = {}
    for s in ex.expected.values():
        want[s] = want.get(s, 0) + 1
    for s in ("pending", "acknowledged", "submitted", "submitted_late", "overdue", "exempted"):
        check(counts.get(s) == want.get(s, 0), "overview count %s: page %s, expected %s" % (s, counts.get(s), want.get(s, 0)))
    text = b.evaluate("document.querySelector('tr[data-occurrence=\"%s\"]').textContent" % OCC)
    check("quá hạn 3 ngày" in text, "the overview says how long it is overdue: " + text)
    check("thứ Sáu, 14/06/2019" in text, "and the last day in Vietnamese: " + text)
    for label in ("chưa nhận", "đã nhận", "đã nộp", "nộp muộn", "quá hạn", "miễn"):
        check(label in b.html(), "the overview has the column " + label)


def test_occurrence_page_shows_the_right_units_overdue_in_vietnamese_order():
    ex = example()
    b = ex.browser
    b.navigate(ex.base + "/o/" + OCC)
    b.screenshot(os.path.join(SHOTS, "occurrence.png"))
    rows = ex.rows()
    got = {u: s for u, s, _, _ in rows}
    check(got == ex.expected, "statuses on the page match the script: differ at %s" %
          {u: (got.get(u), ex.expected.get(u)) for u in set(got) | set(ex.expected) if got.get(u) != ex.expected.get(u)})
    reported = {u for u, _, r, _ in rows if r}
    check(reported == {u for u, s in EXPECTED.items() if s.startswith("submitted")},
          "units that reported a submission show 'đơn vị báo đã nộp' until confirmed: %s" % reported)
    names = [n for _, _, _, n in rows]
    keys = [vi_primary_key(n) for n in names]
    check(keys == sorted(keys), "units are in Vietnamese order: %s" % names)
    check(names.index("UBND huyện Bình Sơn") < names.index("UBND huyện Đức Phổ") < names.index("UBND huyện Lý Sơn"),
          "Đ sorts after B and before L (byte order would put it after every ASCII letter)")
    check(names.index("UBND huyện Trà Bồng") < names.index("UBND huyện Tư Nghĩa"), "ư sorts after r")
    html = b.html()
    check("0900 000" not in html, "no phone number on the occurrence page")
    # The last message column: when, channel, and whether it went.
    cell = b.evaluate("document.querySelector('tr[data-unit=\"so-y-te\"] td[data-label=\"Tin nhắn gần nhất\"]')"
                      ".textContent")
    check(re.search(r"\d\d/06/2019 \d\d:\d\d", cell) and ("email" in cell or "SMS" in cell) and "đã gửi" in cell,
          "the last message says when, on which channel, and that it was sent: " + cell)
    ack = b.evaluate("document.querySelector('tr[data-unit=\"so-y-te\"] td[data-label=\"Đã nhận lúc\"]').textContent")
    check(ack == "05/06/2019 08:30", "the acknowledgement time is shown: " + ack)
    # On a phone the table becomes cards: no horizontal scrolling of the page.
    b.set_viewport(390, 844, mobile=True)
    b.navigate(ex.base + "/o/" + OCC + "?status=overdue")
    width = b.evaluate("document.documentElement.scrollWidth")
    b.screenshot(os.path.join(SHOTS, "occurrence-phone.png"), full_page=False)
    b.call("Emulation.clearDeviceMetricsOverride")
    check(width <= 400, "the page fits a 390 px phone screen, scrollWidth=%s" % width)


def test_the_filter_works_by_link_and_by_form_without_javascript_on_the_page():
    ex = example()
    b = ex.browser
    b.navigate(ex.base + "/o/" + OCC)
    check(b.evaluate("document.scripts.length") == 0, "the page has no script at all")
    # The chip link for "quá hạn".
    url = b.submit_and_wait("document.querySelector('a.chip.st-overdue').click()")
    check(url.endswith("?status=overdue"), "the chip links to ?status=overdue: " + url)
    overdue = {u for u, s, _, _ in ex.rows()}
    check(overdue == {u for u, s in ex.expected.items() if s == "overdue"}, "the overdue filter shows exactly the "
          "overdue units")
    # The GET form with its select.
    url = b.submit_and_wait("document.querySelector('select[name=status]').value = 'submitted';"
                            "document.querySelector('form.filter').submit()")
    check("status=submitted" in url, "the form submits by GET: " + url)
    shown = {u for u, s, _, _ in ex.rows()}
    check(shown == {u for u, s in ex.expected.items() if s == "submitted"}, "the submitted filter: %s" % shown)
    url = b.submit_and_wait("document.querySelector('select[name=status]').value = 'outstanding';"
                            "document.querySelector('form.filter').submit()")
    shown = {u for u, s, _, _ in ex.rows()}
    check(shown == {u for u, s in ex.expected.items() if s in ("pending", "acknowledged", "overdue")},
          "the 'chưa nộp' filter shows every unit not yet submitted")


def audit_rows(ex, unit):
    conn = sqlite3.connect(ex.db_path, timeout=10)
    rows = conn.execute("SELECT who, how, action, detail FROM audit WHERE unit_id=? AND occurrence=? ORDER BY id",
                        (unit, OCC)).fetchall()
    conn.close()
    return rows


def test_coordinator_actions_through_the_forms_are_recorded_and_shown():
    ex = example()
    b = ex.browser
    # so-y-te: overdue; the coordinator records a late submission with a time and a note.
    b.navigate(ex.base + "/o/" + OCC)
    url = b.submit_and_wait("document.querySelector('tr[data-unit=\"so-y-te\"] a[href$=\"/so-y-te\"]:not([href^=\"/u/\"])')"
                            ".click()")
    check(url.endswith("/o/%s/so-y-te" % OCC), "the row links to the unit's item page: " + url)
    b.screenshot(os.path.join(SHOTS, "item.png"))
    note = "Đã nhận bản giấy qua văn thư, số 125/BC-SYT"
    url = b.submit_and_wait(
        "const f = document.getElementById('f-submit');"
        "f.querySelector('[name=at]').value = '2019-06-17T09:15';"
        "f.querySelector('[name=note]').value = %s;"
        "f.querySelector('button').click()" % json.dumps(note))
    check("done=submit" in url and "changed=1" in url, "the action answers with a redirect to the page: " + url)
    check(b.evaluate("document.getElementById('status').dataset.status") == "submitted_late",
          "after T the submission is late")
    check("Đã ghi nhận: đơn vị đã nộp báo cáo." in b.html(), "the page confirms what was recorded")
    audit = audit_rows(ex, "so-y-te")
    check(any(a[0] == "web:local" and a[1] == "web" and a[2] == "submit" and note in a[3] and "2019-06-17T09:15:00+07:00"
              in a[3] for a in audit), "the audit log has the web submission with its note and time: %s" % audit)
    check(b.evaluate("[...document.querySelectorAll('table.audit tr[data-action=submit]')].length") >= 1,
          "the item page lists it in its log")

    # huyen-ba-to: reported by the unit; the coordinator confirms it.
    b.navigate(ex.base + "/o/%s/huyen-ba-to" % OCC)
    url = b.submit_and_wait("document.querySelector('#f-confirm button').click()")
    check("done=confirm" in url, "confirm recorded: " + url)
    check("đơn vị báo đã nộp" not in b.evaluate("document.getElementById('status').textContent"),
          "after confirmation the unit no longer shows 'đơn vị báo đã nộp'")

    # huyen-son-tay: exempted with a reason; an empty reason is refused first.
    b.navigate(ex.base + "/o/%s/huyen-son-tay" % OCC)
    b.evaluate("document.querySelector('#f-exempt textarea').removeAttribute('required')")
    b.submit_and_wait("document.querySelector('#f-exempt button').click()")
    check("Cần ghi lý do miễn nộp." in b.html(), "an exemption without a reason is refused")
    b.submit_and_wait("document.querySelector('#f-exempt textarea').value = 'Đơn vị đang sáp nhập';"
                      "document.querySelector('#f-exempt button').click()")
    check(b.evaluate("document.getElementById('status').dataset.status") == "exempted", "exempted")

    # so-xay-dung: an extension to Friday 21/6 makes it no longer overdue.
    b.navigate(ex.base + "/o/%s/so-xay-dung" % OCC)
    check(b.evaluate("document.querySelector('#f-extend input[name=to]').min") == "2019-06-14",
          "an extension cannot go before the common last day")
    b.submit_and_wait("document.querySelector('#f-extend input[name=to]').value = '2019-06-21';"
                      "document.querySelector('#f-extend textarea').value = 'Đơn vị xin gia hạn do thay đổi nhân sự';"
                      "document.querySelector('#f-extend button').click()")
    check(b.evaluate("document.getElementById('status').dataset.status") == "pending", "extended: chưa nhận again")
    check("đã gia hạn đến thứ Sáu, 21/06/2019" in b.html(), "the page shows the new last day")
    audit = audit_rows(ex, "so-xay-dung")
    check([a[2] for a in audit[-2:]] == ["extend", "note"] and "Đơn vị xin gia hạn do thay đổi nhân sự" in audit[-1][3],
          "the extension and its note are in the audit log: %s" % audit[-2:])

    # so-noi-vu: reopened (the submission was a mistake): overdue again.
    b.navigate(ex.base + "/o/%s/so-noi-vu" % OCC)
    b.submit_and_wait("document.querySelector('#f-reopen textarea').value = 'Văn bản gửi nhầm kỳ';"
                      "document.querySelector('#f-reopen button').click()")
    check(b.evaluate("document.getElementById('status').dataset.status") == "overdue", "reopened: overdue again")

    # The occurrence page shows them all.
    b.navigate(ex.base + "/o/" + OCC)
    rows = {u: (s, r) for u, s, r, _ in ex.rows()}
    check(rows["so-y-te"] == ("submitted_late", False), "so-y-te now nộp muộn: %s" % (rows["so-y-te"],))
    check(rows["huyen-ba-to"] == ("submitted", False), "huyen-ba-to confirmed: %s" % (rows["huyen-ba-to"],))
    check(rows["huyen-son-tay"][0] == "exempted", "huyen-son-tay miễn")
    note_cell = b.evaluate("document.querySelector('tr[data-unit=\"so-y-te\"] td[data-label=\"Ghi chú\"]').textContent")
    check(note_cell == note, "the note is on the occurrence page: " + note_cell)
    check(rows["so-xay-dung"] == ("pending", False), "so-xay-dung extended: %s" % (rows["so-xay-dung"],))
    check(rows["so-noi-vu"] == ("overdue", False), "so-noi-vu reopened: %s" % (rows["so-noi-vu"],))
    ext = b.evaluate("document.querySelector('tr[data-unit=\"so-xay-dung\"] td[data-label=\"Trạng thái\"]').textContent")
    check("gia hạn đến 21/06/2019" in ext, "the row says until when: " + ext)
    changes = {"so-y-te": "submitted_late", "huyen-son-tay": "exempted", "so-xay-dung": "pending",
               "so-noi-vu": "overdue"}
    ex.expected.update(changes)
    EXPECTED_AFTER.update(changes)

    # A POST without the session's CSRF token changes nothing.
    before = len(audit_rows(ex, "so-tai-chinh"))
    body = urllib.parse.urlencode({"action": "exempt", "note": "giả mạo"}).encode()
    req = urllib.request.Request(ex.base + "/o/%s/so-tai-chinh" % OCC, data=body, method="POST")
    try:
        urllib.request.build_opener(NoRedirect()).open(req, timeout=30)
        code = 200
    except urllib.error.HTTPError as e:
        code = e.code
    check(code == 403, "a form without the CSRF token is refused with 403, got %s" % code)
    check(len(audit_rows(ex, "so-tai-chinh")) == before, "and nothing is recorded")


EXPECTED_AFTER = {}


def test_unit_pages_mask_phones_and_link_successors_and_keep_history():
    ex = example()
    b = ex.browser
    b.navigate(ex.base + "/u/so-y-te")
    b.screenshot(os.path.join(SHOTS, "unit.png"))
    phones = b.evaluate("[...document.querySelectorAll('td.phone')].map(td => td.textContent)")
    check(phones and all(re.fullmatch(r"\+84\d{3}\*+\d{3}", p) for p in phones), "phones are masked: %s" % phones)
    check(not re.search(r"0900 ?000 ?0\d\d|\+8490000\d{4}", b.html()), "no full phone number on the unit page")
    hist = b.evaluate("[...document.querySelectorAll('table.history tr[data-occurrence]')]"
                      ".map(tr => [tr.dataset.occurrence, tr.dataset.status])")
    check([OCC, "submitted_late"] in hist, "the history lists the 2019 occurrence: %s" % hist)
    b.navigate(ex.base + "/u/huyen-duc-pho")
    succ = b.evaluate("[...document.querySelectorAll('dd.successors a')].map(a => a.getAttribute('href'))")
    check(succ == ["/u/tx-duc-pho"], "Đức Phổ (huyện) links to its successor, the thị xã: %s" % succ)
    b.navigate(ex.base + "/u/tx-duc-pho")
    pred = b.evaluate("[...document.querySelectorAll('dd.predecessors a')].map(a => a.getAttribute('href'))")
    check(pred == ["/u/huyen-duc-pho"], "and back: %s" % pred)
    code, _, _ = ex.get("/u/khong-co")
    check(code == 404, "an unknown unit is 404, got %s" % code)


def export_rows(ws, header_row):
    header = [c.value for c in ws[header_row]]
    rows = {}
    for r in ws.iter_rows(min_row=header_row + 1, values_only=True):
        if r[1] is None:
            continue
        rows[r[1]] = dict(zip(header, r))
    return header, rows


def test_xlsx_and_csv_exports_open_in_real_readers():
    import openpyxl
    ex = example()
    # The occurrence page links both.
    ex.browser.navigate(ex.base + "/o/" + OCC)
    links = ex.browser.evaluate("[...document.querySelectorAll('p.export a')].map(a => a.getAttribute('href'))")
    check(links == ["/export/%s.xlsx" % OCC, "/export/%s.csv" % OCC], "export links: %s" % links)

    code, headers, body = ex.get("/export/%s.xlsx" % OCC)
    check(code == 200, "the XLSX export answers 200, got %s" % code)
    check(headers.get("Content-Type") == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "XLSX content type: %s" % headers.get("Content-Type"))
    check('attachment; filename="dondoc-dan-van-6-thang_2019-06-15.xlsx"' == headers.get("Content-Disposition"),
          "a download with a file name: %s" % headers.get("Content-Disposition"))
    wb = openpyxl.load_workbook(io.BytesIO(body))
    check(wb.sheetnames == ["Tình hình nộp", "Tổng hợp"], "sheets: %s" % wb.sheetnames)
    ws = wb["Tình hình nộp"]
    check(ws["A1"].value == "Báo cáo 6 tháng kết quả thực hiện Kết luận số 43-KL/TW của Ban Bí thư về công tác dân vận",
          "the title is exact: %r" % ws["A1"].value)
    check(ws["A2"].value == "Kỳ báo cáo: %s — Hạn nộp: thứ Sáu, 14/06/2019" % OCC, "second line: %r" % ws["A2"].value)
    header, rows = export_rows(ws, 5)
    check(header == ["STT", "Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Trạng thái", "Hạn nộp", "Đã nhận lúc",
                     "Đã nộp lúc", "Ghi nhận nộp", "Tin nhắn gần nhất lúc", "Kênh", "Kết quả gửi", "Ghi chú"],
          "header: %s" % header)
    labels = {"pending": "chưa nhận", "acknowledged": "đã nhận", "overdue": "quá hạn", "submitted": "đã nộp",
              "submitted_late": "nộp muộn", "exempted": "miễn"}
    check(set(rows) == set(ex.expected), "every unit is exported once")
    for unit, status in ex.expected.items():
        check(rows[unit]["Trạng thái"] == labels[status], "%s: %r in the sheet, %r expected" %
              (unit, rows[unit]["Trạng thái"], labels[status]))
    stc = rows["so-tai-chinh"]
    check(stc["Tên đơn vị"] == "Sở Tài chính" and stc["Loại đơn vị"] == "Sở", "Vietnamese names exact: %s" % stc)
    check(stc["Hạn nộp"] == datetime(2019, 6, 14), "the last day is a date cell: %r" % stc["Hạn nộp"])
    check(stc["Đã nhận lúc"] == datetime(2019, 6, 3, 9, 0), "the acknowledgement time is a date-time: %r" %
          stc["Đã nhận lúc"])
    check(stc["Đã nộp lúc"] == datetime(2019, 6, 10, 10, 0), "the submission time: %r" % stc["Đã nộp lúc"])
    check(stc["Ghi nhận nộp"] == "đơn vị báo, chờ xác nhận", "who recorded it: %r" % stc["Ghi nhận nộp"])
    check(stc["Kênh"] in ("email", "SMS") and stc["Kết quả gửi"] == "đã gửi", "last channel and result: %s" % stc)
    check(ws.cell(row=6, column=6).number_format == "dd/mm/yyyy", "dates are formatted dd/mm/yyyy")
    if "so-y-te" in EXPECTED_AFTER:
        check(rows["so-y-te"]["Ghi chú"] == "Đã nhận bản giấy qua văn thư, số 125/BC-SYT", "the web note is exported")
        check(rows["so-y-te"]["Ghi nhận nộp"] == "Sở Nội vụ ghi nhận", "recorded by the coordinator")
    names = [r[2] for r in ws.iter_rows(min_row=6, values_only=True) if r[2]]
    check([vi_primary_key(n) for n in names] == sorted(vi_primary_key(n) for n in names), "rows in Vietnamese order")
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=5, values_only=True) if r[0]}
    check(summary.get("Tổng số đơn vị") == len(ex.expected), "summary total: %s" % summary)
    check(summary.get("quá hạn") == sum(1 for s in ex.expected.values() if s == "overdue"), "summary overdue")

    code, headers, body = ex.get("/export/%s.csv" % OCC)
    check(code == 200 and headers.get("Content-Type") == "text/csv; charset=utf-8", "the CSV export answers")
    check(body.startswith(b"\xef\xbb\xbf"), "the CSV starts with a UTF-8 BOM")
    check(b"\r\n" in body, "CRLF line ends")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    check(table[0] == header, "the CSV header is the sheet's: %s" % table[0])
    by_unit = {r[1]: dict(zip(table[0], r)) for r in table[1:]}
    check(set(by_unit) == set(ex.expected), "every unit in the CSV")
    c = by_unit["so-tai-chinh"]
    check(c["Tên đơn vị"] == "Sở Tài chính" and c["Trạng thái"] == labels[ex.expected["so-tai-chinh"]] and
          c["Hạn nộp"] == "2019-06-14" and c["Đã nhận lúc"] == "2019-06-03 09:00", "CSV cells exact: %s" % c)
    for unit in ex.expected:
        check(by_unit[unit]["Trạng thái"] == rows[unit]["Trạng thái"], "CSV and XLSX agree on " + unit)

    code, _, body = ex.get("/export/%s.xlsx?status=overdue" % OCC)
    _, only = export_rows(openpyxl.load_workbook(io.BytesIO(body))["Tình hình nộp"], 5)
    check(set(only) == {u for u, s in ex.expected.items() if s == "overdue"}, "the export takes the page's filter")
    check(ex.get("/export/khong-co@2019-06-15.csv")[0] == 404, "an unknown occurrence is 404")


def test_metrics_parse_and_match_the_store():
    from prometheus_client.parser import text_string_to_metric_families
    ex = example()
    for attempt in range(5):
        before = store_outbox_states(ex.db_path)
        code, _, body = ex.get("/metrics")
        after = store_outbox_states(ex.db_path)
        if before == after:
            break
        time.sleep(1)
    check(code == 200, "/metrics answers 200")
    fams = {f.name: f for f in text_string_to_metric_families(body.decode())}
    for name in ("dondoc_messages", "dondoc_outbox_depth", "dondoc_outbox_oldest_due_age_seconds", "dondoc_units",
                 "dondoc_occurrences", "dondoc_last_plan_success_timestamp_seconds",
                 "dondoc_last_reload_success_timestamp_seconds", "dondoc_http_requests", "dondoc_sms_segments",
                 "dondoc_digests"):
        check(name in fams, "the metric family %s is exported (have %s)" % (name, sorted(fams)))
    rows = {s.labels["state"]: s.value for s in fams["dondoc_outbox_rows"].samples}
    for state in ("planned", "sending", "sent", "delivered", "failed", "cancelled", "skipped"):
        check(rows[state] == after.get(state, 0), "outbox %s: metric %s, store %s" % (state, rows[state], after.get(state)))
    depth = fams["dondoc_outbox_depth"].samples[0].value
    check(depth == after.get("planned", 0) + after.get("sending", 0), "outbox depth = planned + sending")
    # Units by status: the store's, recomputed here from the file at the daemon's (fake) now.
    now = int(datetime(2019, 6, 17, 10, 0, tzinfo=VN).timestamp()) + 600
    want = store_units_by_status(ex.db_path, now, "2019-02-17")
    got = {(s.labels["occurrence"], s.labels["status"]): s.value for s in fams["dondoc_units"].samples}
    check(got == want, "units by status match the store: metric-only %s, store-only %s" %
          ({k: v for k, v in got.items() if want.get(k) != v}, {k: v for k, v in want.items() if got.get(k) != v}))
    check(got[(OCC, "overdue")] == sum(1 for s in ex.expected.values() if s == "overdue"), "overdue units of 2019")
    occ = {s.labels["status"]: s.value for s in fams["dondoc_occurrences"].samples}
    check(occ["overdue"] >= 1, "the 2019 occurrence counts as overdue: %s" % occ)
    plan_ts = fams["dondoc_last_plan_success_timestamp_seconds"].samples[0].value
    started = datetime(2019, 6, 17, 10, 0, tzinfo=VN).timestamp()
    check(started - 5 <= plan_ts <= started + 3600, "the last plan is stamped with the daemon's clock: %s" % plan_ts)
    http = {(s.labels["route"], s.labels["code"]): s.value for s in fams["dondoc_http_requests"].samples
            if s.name == "dondoc_http_requests_total"}
    check(http.get(("/o/:occurrence", "200"), 0) >= 3, "page requests are counted by route: %s" % http)
    check(http.get(("/export/:occurrence", "200"), 0) >= 2, "exports are counted")
    check(http.get(("/o/:occurrence", "403"), 0) >= 1, "the refused CSRF post is counted with its code")
    msgs = {(s.labels["channel"], s.labels["result"]): s.value for s in fams["dondoc_messages"].samples
            if s.name == "dondoc_messages_total"}
    check(all(v >= 0 for v in msgs.values()), "messages by channel and result: %s" % msgs)


def test_a_unit_that_left_the_roster_keeps_its_history():
    ex = example()
    check(ex.daemon.stop() == 0, "dondocd stops")
    units = os.path.join(ex.dir, "units.toml")
    text = open(units, encoding="utf-8").read()
    start = text.index('[[units]]\nid = "huyen-tay-tra"')
    end = text.index("[[units]]", start + 10)
    with open(units, "w", encoding="utf-8") as f:
        f.write(text[:start] + text[end:])
    ex.daemon.start()
    ex.base = "http://" + ex.daemon.admin
    b = ex.browser
    b.navigate(ex.base + "/u/huyen-tay-tra")
    html = b.html()
    check("không còn trong danh sách hiện hành" in html, "the page says the unit left the roster")
    hist = b.evaluate("[...document.querySelectorAll('table.history tr[data-occurrence]')].map(tr => tr.dataset.occurrence)")
    check(OCC in hist, "its 2019 history is still there: %s" % hist)
    check("UBND huyện Tây Trà" in html, "under its stored name")


def test_login_when_the_admin_listener_is_not_loopback():
    global EX
    if EX is not None:
        EX.close()
        EX = None
    with Daemon() as d:
        secrets = os.path.join(d.dir, "secrets")
        os.makedirs(secrets, mode=0o700)
        with open(os.path.join(secrets, "admin"), "w") as f:
            f.write("mật-khẩu-thử 123\n")
        port = free_port()
        units = unit_block("so-tai-chinh", "Sở Tài chính", "binh@stc.example", "0900 000 101")
        day = (datetime.now(VN) + timedelta(days=30)).strftime("%Y-%m-%d")
        reports = ('[[reports]]\nid = "r"\ntitle = "Báo cáo thử"\nunits = ["all"]\n'
                   'deadline = { date = %s }\nreminders = [{ before = "1wd", to = ["focal"], channels = ["email"] }]\n'
                   % day)
        text = roster(d.state_dir, units, reports, admin_port=port,
                      extra_service='secrets_dir = "%s"\nadmin_password_file = "admin"' % secrets)
        text = text.replace('admin_listen = "127.0.0.1:%d"' % port, 'admin_listen = "0.0.0.0:%d"' % port)
        d.write_config(text)
        d.start()
        d.admin = "127.0.0.1:%d" % port  # listening on 0.0.0.0; the test talks to loopback only
        base = "http://127.0.0.1:%d" % port
        occ = "r@" + day
        with Browser() as b:
            url = b.navigate(base + "/o/" + occ)
            check(url.startswith(base + "/login?next="), "a page without a session goes to the login page: " + url)
            b.screenshot(os.path.join(SHOTS, "login.png"))
            b.submit_and_wait("document.querySelector('[name=name]').value = 'Nguyễn Thị Lan';"
                              "document.querySelector('[name=password]').value = 'sai';"
                              "document.querySelector('form.login button').click()")
            check("Mật khẩu không đúng." in b.html(), "a wrong password is refused")
            url = b.submit_and_wait("document.querySelector('[name=password]').value = 'mật-khẩu-thử 123';"
                                    "document.querySelector('form.login button').click()")
            check(url == base + "/o/" + occ, "after login the browser is back where it was going: " + url)
            check("Nguyễn Thị Lan" in b.html(), "the page shows who is logged in")
            cookies = [c for c in b.cookies(base + "/") if c["name"] == "dondoc_session"]
            check(len(cookies) == 1, "one session cookie: %s" % cookies)
            c = cookies[0]
            check(c["httpOnly"] and c["sameSite"] == "Strict" and c["path"] == "/", "HttpOnly, SameSite=Strict: %s" % c)
            check(not c.get("session", False) and c["expires"] > time.time() and c["expires"] < time.time() + 9 * 3600,
                  "the cookie expires within the session lifetime: %s" % c)
            check(b.evaluate("document.cookie") == "", "scripts cannot read the session cookie")
            # An action through the form is recorded under the login name.
            b.navigate(base + "/o/%s/so-tai-chinh" % occ)
            b.submit_and_wait("document.querySelector('#f-ack button').click()")
            conn = d.db()
            who = conn.execute("SELECT who FROM audit WHERE action='ack'").fetchall()
            conn.close()
            check(who == [("web:Nguyễn Thị Lan",)], "the audit log names the logged-in user: %s" % who)
            # The session does not open the API; HTTP Basic does (the CLI).
            cookie = "dondoc_session=" + c["value"]
            code, _, _ = d.get_admin("/api/v1/status", headers={"Cookie": cookie})
            check(code == 401, "the API still needs HTTP Basic, got %s" % code)
            out = subprocess.run([DONDOC, "status", "--config", d.config_path, "--admin", "127.0.0.1:%d" % port,
                                  "--password-file", os.path.join(secrets, "admin")],
                                 capture_output=True, text=True, timeout=60)
            check(out.returncode == 0, "dondoc status works with the password file: %s" % out.stderr)
            code, _, _ = d.get_admin("/o/" + occ)
            check(code == 303, "a page without a session redirects, got %s" % code)
            import base64
            auth = "Basic " + base64.b64encode("dondoc:mật-khẩu-thử 123".encode()).decode()
            code, _, body = d.get_admin("/o/" + occ, headers={"Authorization": auth})
            check(code == 200 and "Sở Tài chính" in body, "HTTP Basic opens the pages too, got %s" % code)
            # Logout ends the session; the old cookie is worth nothing.
            url = b.submit_and_wait("document.querySelector('form[action=\"/logout\"] button').click()")
            check(url.startswith(base + "/login"), "logout goes to the login page: " + url)
            code, headers, _ = d.get_admin("/o/" + occ, headers={"Cookie": cookie})
            check(code == 303 and headers.get("Location", "").startswith("/login"), "the old cookie is refused")
        check(d.stop() == 0, "dondocd exits 0")


def cleanup():
    global EX
    if EX is not None:
        EX.close()
        EX = None


if __name__ == "__main__":
    import atexit
    atexit.register(cleanup)
    run_tests([test_overview_shows_the_occurrence_with_its_counts,
               test_occurrence_page_shows_the_right_units_overdue_in_vietnamese_order,
               test_the_filter_works_by_link_and_by_form_without_javascript_on_the_page,
               test_coordinator_actions_through_the_forms_are_recorded_and_shown,
               test_unit_pages_mask_phones_and_link_successors_and_keep_history,
               test_xlsx_and_csv_exports_open_in_real_readers,
               test_metrics_parse_and_match_the_store,
               test_a_unit_that_left_the_roster_keeps_its_history,
               test_login_when_the_admin_listener_is_not_loopback])
