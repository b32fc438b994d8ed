// The coordinator's pages rendered from view structs: Vietnamese labels, ICU `vi` order,
// the status filter, escaping, CSRF tokens in every form, masked phones, no external
// asset, and the CSV/XLSX writers of the export.
#include "web/views.hpp"

#include <doctest/doctest.h>

#include "web/export.hpp"

using namespace dondoc;

namespace {

web::page_context ctx() {
  web::page_context c;
  c.user = "Nguyễn Thị Lan";
  c.can_logout = true;
  c.csrf = "tok123";
  c.now_text = "thứ Hai, 17/06/2019 10:00";
  return c;
}

web::unit_row row(std::string id, std::string name, std::string status) {
  web::unit_row r;
  r.unit_id = std::move(id);
  r.name = std::move(name);
  r.kind = "huyen";
  r.status = std::move(status);
  return r;
}

// The data-unit attributes of the table's rows, in order. (No <regex>: GCC 12 reports a
// false -Wmaybe-uninitialized inside it at -O1 with sanitizers.)
std::vector<std::string> units_in_order(const std::string& html) {
  std::vector<std::string> out;
  const std::string attr = "data-unit=\"";
  for (auto p = html.find(attr); p != std::string::npos; p = html.find(attr, p + 1)) {
    const auto start = p + attr.size();
    out.push_back(html.substr(start, html.find('"', start) - start));
  }
  return out;
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("units sort in Vietnamese order, not byte order") {
  // Byte order would put "Đức Phổ" after every name starting with A–Z, and "Tư Nghĩa"
  // before "Trà Bồng"; ICU vi puts Đ after D and ư after u.
  std::vector<web::unit_row> rows{row("tu-nghia", "Tư Nghĩa", "pending"),   row("duc-pho", "Đức Phổ", "pending"),
                                  row("son-tay", "Sơn Tây", "pending"),     row("tra-bong", "Trà Bồng", "pending"),
                                  row("ba-to", "Ba Tơ", "pending"),         row("son-ha", "Sơn Hà", "pending"),
                                  row("duy-xuyen", "Duy Xuyên", "pending"), row("mo-duc", "Mộ Đức", "pending")};
  web::sort_vi(rows);
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.unit_id);
  CHECK(ids == std::vector<std::string>{"ba-to", "duy-xuyen", "duc-pho", "mo-duc", "son-ha", "son-tay", "tra-bong",
                                        "tu-nghia"});
}

TEST_CASE("the status filter keeps the matching rows") {
  struct c {
    const char* filter;
    const char* status;
    bool reported;
    bool match;
    const char* why;
  };
  const c cases[] = {
      {"", "submitted", false, true, "no filter shows everything"},
      {"overdue", "overdue", false, true, "a status filter keeps that status"},
      {"overdue", "acknowledged", false, false, "and drops the others"},
      {"outstanding", "pending", false, true, "outstanding includes pending"},
      {"outstanding", "acknowledged", false, true, "outstanding includes acknowledged"},
      {"outstanding", "overdue", false, true, "outstanding includes overdue"},
      {"outstanding", "submitted_late", false, false, "a late submission is not outstanding"},
      {"outstanding", "exempted", false, false, "nor is an exemption"},
      {"reported", "submitted", true, true, "reported keeps unit-reported submissions"},
      {"reported", "submitted", false, false, "but not confirmed ones"},
  };
  for (const auto& k : cases) {
    INFO(k.why);
    auto r = row("x", "X", k.status);
    r.unit_reported = k.reported;
    CHECK(web::row_matches(r, k.filter) == k.match);
  }
}

TEST_CASE("days left or overdue read as a coordinator says them") {
  CHECK(web::days_text(3, false, false) == "còn 3 ngày");
  CHECK(web::days_text(0, false, false) == "hôm nay là hạn cuối");
  CHECK(web::days_text(-2, true, false) == "quá hạn 2 ngày");
  CHECK(web::days_text(0, true, false) == "đã quá hạn");  // a deadline at a time of day
  CHECK(web::days_text(-5, true, true) == "đã xong");
}

TEST_CASE("the occurrence page lists units sorted, filtered, with Vietnamese statuses") {
  web::occurrence_view v;
  v.occurrence = "dan-van-6-thang@2019-06-15";
  v.title = "Báo cáo 6 tháng";
  v.last_day_text = "thứ Sáu, 14/06/2019";
  v.days_left = -3;
  v.past_deadline = true;
  v.rows = {row("son-tay", "Sơn Tây", "overdue"), row("ba-to", "Ba Tơ", "submitted"),
            row("duc-pho", "Đức Phổ", "overdue"), row("ly-son", "Lý Sơn", "exempted")};
  v.rows[1].unit_reported = true;
  web::sort_vi(v.rows);
  const std::string all = web::render_occurrence(ctx(), v);
  CHECK(units_in_order(all) == std::vector<std::string>{"ba-to", "duc-pho", "ly-son", "son-tay"});
  CHECK(all.find("quá hạn 3 ngày") != std::string::npos);
  CHECK(all.find("đơn vị báo đã nộp") != std::string::npos);
  CHECK(all.find("href=\"/export/dan-van-6-thang@2019-06-15.xlsx\"") != std::string::npos);
  CHECK(all.find("href=\"/export/dan-van-6-thang@2019-06-15.csv\"") != std::string::npos);
  CHECK(all.find("href=\"/o/dan-van-6-thang@2019-06-15?status=overdue\"") != std::string::npos);
  CHECK(all.find("<form method=\"get\"") != std::string::npos);  // the filter works without JavaScript

  v.filter = "overdue";
  const std::string overdue = web::render_occurrence(ctx(), v);
  CHECK(units_in_order(overdue) == std::vector<std::string>{"duc-pho", "son-tay"});
  CHECK(overdue.find("<option value=\"overdue\" selected>") != std::string::npos);
  CHECK(overdue.find("2/4 đơn vị") != std::string::npos);
}

TEST_CASE("pages escape what they show and load nothing from elsewhere") {
  web::occurrence_view v;
  v.occurrence = "r@2026-06-15";
  v.title = "Báo cáo <b>thử</b>";
  v.rows = {row("x", "Sở <script>alert(1)</script>", "pending")};
  v.rows[0].note = "ghi chú \"có\" dấu & <ký hiệu>";
  const std::string html = web::render_occurrence(ctx(), v);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("&lt;script&gt;") != std::string::npos);
  CHECK(html.find("&quot;có&quot;") != std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<meta name=\"viewport\"") != std::string::npos);
  CHECK(html.find("@media print") != std::string::npos);
  CHECK(html.find("<html lang=\"vi\">") != std::string::npos);
}

TEST_CASE("every form of the item page carries the session's CSRF token") {
  web::item_view v;
  v.occurrence = "r@2026-06-15";
  v.title = "Báo cáo thử";
  v.unit_id = "so-y-te";
  v.unit_name = "Sở Y tế";
  v.status = "overdue";
  v.open = true;
  v.min_extend = "2026-06-15";
  const std::string open = web::render_item(ctx(), v);
  for (const char* a : {"submit", "ack", "extend", "exempt"})
    CHECK(open.find(std::string("name=\"action\" value=\"") + a + "\"") != std::string::npos);
  CHECK(open.find("value=\"confirm\"") == std::string::npos);
  CHECK(open.find("value=\"reopen\"") == std::string::npos);
  // Every POST form (4 actions + logout) has the token.
  CHECK(count(open, "method=\"post\"") == 5);
  CHECK(count(open, "name=\"csrf\" value=\"tok123\"") == 5);
  CHECK(open.find("action=\"/o/r@2026-06-15/so-y-te\"") != std::string::npos);
  CHECK(open.find("type=\"datetime-local\" name=\"at\"") != std::string::npos);
  CHECK(open.find("min=\"2026-06-15\"") != std::string::npos);

  v.open = false;
  v.status = "submitted";
  v.unit_reported = true;
  v.done = "submit";
  const std::string closed = web::render_item(ctx(), v);
  CHECK(closed.find("value=\"confirm\"") != std::string::npos);
  CHECK(closed.find("value=\"reopen\"") != std::string::npos);
  CHECK(closed.find("value=\"submit\"") == std::string::npos);
  CHECK(closed.find("Đã ghi nhận: đơn vị đã nộp báo cáo.") != std::string::npos);
  v.changed = false;
  CHECK(web::render_item(ctx(), v).find("Không có thay đổi") != std::string::npos);
}

TEST_CASE("the unit page shows masked phones, successor links and history") {
  web::unit_view v;
  v.id = "tra-bong";
  v.name = "UBND huyện Trà Bồng";
  v.kind = "huyen";
  v.predecessors = {{"tay-tra", "UBND huyện Tây Trà"}};
  v.contacts = {{"Phạm Văn An", "Chánh Văn phòng", "đầu mối", "an@trabong.example", "+84900***001"}};
  web::history_line h;
  h.occurrence = "dan-van-6-thang@2019-06-15";
  h.title = "Báo cáo 6 tháng";
  h.status = "submitted_late";
  v.history.push_back(h);
  const std::string html = web::render_unit(ctx(), v);
  CHECK(html.find("+84900***001") != std::string::npos);
  CHECK(html.find("href=\"/u/tay-tra\"") != std::string::npos);
  CHECK(html.find("Kế thừa từ") != std::string::npos);
  CHECK(html.find("nộp muộn") != std::string::npos);
  CHECK(html.find("href=\"/o/dan-van-6-thang@2019-06-15/tra-bong\"") != std::string::npos);

  v.in_roster = false;
  CHECK(web::render_unit(ctx(), v).find("không còn trong danh sách hiện hành") != std::string::npos);
}

TEST_CASE("the login page posts to /login and keeps where the user was going") {
  const std::string html = web::render_login("/o/r@2026-06-15?status=overdue", "Mật khẩu không đúng.", "Lan");
  CHECK(html.find("action=\"/login\"") != std::string::npos);
  CHECK(html.find("type=\"password\"") != std::string::npos);
  CHECK(html.find("value=\"/o/r@2026-06-15?status=overdue\"") != std::string::npos);
  CHECK(html.find("Mật khẩu không đúng.") != std::string::npos);
}

TEST_CASE("the overview links each count to the filtered occurrence page") {
  web::overview_view v;
  web::overview_row r;
  r.occurrence = "r@2026-06-15";
  r.title = "Báo cáo thử";
  r.last_day_text = "thứ Hai, 15/06/2026";
  r.days_left = 2;
  r.counts = {{"pending", 3}, {"submitted", 1}};
  r.total = 4;
  v.rows.push_back(r);
  const std::string html = web::render_overview(ctx(), v);
  CHECK(html.find("href=\"/o/r@2026-06-15?status=pending\">3</a>") != std::string::npos);
  CHECK(html.find("còn 2 ngày") != std::string::npos);
  for (const char* label : {"chưa nhận", "đã nhận", "đã nộp", "nộp muộn", "quá hạn", "miễn"})
    CHECK(html.find(std::string(">") + label + "</th>") != std::string::npos);
}

TEST_CASE("paths keep the occurrence's @ and encode the rest") {
  CHECK(web::occurrence_path("r@2026-06-15") == "/o/r@2026-06-15");
  CHECK(web::item_path("r@2026-06-15", "so y") == "/o/r@2026-06-15/so%20y");
  CHECK(web::unit_path("a/b") == "/u/a%2Fb");
}

TEST_CASE("the CSV has a BOM, CRLF lines, quoting, and no formulas") {
  web::export_table t;
  t.header = {"Đơn vị", "Ghi chú", "Hạn nộp", "Lúc"};
  t.rows.push_back({web::cell::of("Sở Tài chính"), web::cell::of("nộp qua \"eOffice\", bản giấy sau"),
                    web::cell::of_date(date::sys_days{date::year{2019} / 6 / 14}),
                    web::cell::of_time(date::sys_days{date::year{2019} / 6 / 13}, std::chrono::minutes{9 * 60 + 5})});
  t.rows.push_back({web::cell::of("=HYPERLINK(\"x\")"), web::cell{}, web::cell::of(std::int64_t{7}), web::cell{}});
  const std::string csv = web::to_csv(t);
  CHECK(csv.substr(0, 3) == "\xEF\xBB\xBF");
  CHECK(csv.substr(3) ==
        "Đơn vị,Ghi chú,Hạn nộp,Lúc\r\n"
        "Sở Tài chính,\"nộp qua \"\"eOffice\"\", bản giấy sau\",2019-06-14,2019-06-13 09:05\r\n"
        "\"'=HYPERLINK(\"\"x\"\")\",,7,\r\n");
}

TEST_CASE("the XLSX is a zip with a worksheet and the summary sheet") {
  web::export_table t;
  t.title = {"Báo cáo thử"};
  t.header = {"STT", "Đơn vị"};
  t.rows.push_back({web::cell::of(std::int64_t{1}), web::cell::of("Sở Tài chính")});
  t.summary = {{"quá hạn", 1}};
  const std::string x = web::to_xlsx(t);
  REQUIRE(x.size() > 1000);
  CHECK(x.substr(0, 4) == std::string("PK\x03\x04", 4));
  CHECK(x.find("xl/worksheets/sheet1.xml") != std::string::npos);
  CHECK(x.find("xl/worksheets/sheet2.xml") != std::string::npos);
}
