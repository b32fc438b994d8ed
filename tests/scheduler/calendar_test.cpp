// The working calendar: official 2019-2026 schedules (DOMAIN.md), the rules for years
// without data (Tết, Quốc khánh's second day, compensatory days), data files replacing
// only the holidays they name, the roster's extra days, navigation between working days,
// concurrent use, and the data file parser.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "config/calendar_data.hpp"
#include "scheduler/working_calendar.hpp"
#include "text/text.hpp"
#include "text/vn_format.hpp"

using namespace dondoc;
using config::day_kind;
using date::sys_days;
using scheduler::calendar_entry;
using scheduler::working_calendar;

namespace {

sys_days ymd(int y, unsigned m, unsigned d) { return sys_days{date::year{y} / date::month{m} / date::day{d}}; }

std::string iso(sys_days d) { return date::format("%F", d); }

constexpr std::array<bool, 7> sat_sun{true, false, false, false, false, false, true};

config::calendar_settings official() {
  config::calendar_settings s;
  for (const auto& ys : config::builtin_year_schedules()) s.schedules.emplace(ys.year, ys);
  return s;
}

config::calendar_settings rules_only() { return config::calendar_settings{}; }

std::optional<calendar_entry> entry(const working_calendar& cal, sys_days d) {
  for (auto& e : cal.year_listing(static_cast<int>(date::year_month_day{d}.year())))
    if (e.date == d) return e;
  return std::nullopt;
}

std::optional<calendar_entry> find(const std::vector<calendar_entry>& v, sys_days d) {
  for (const auto& e : v)
    if (e.date == d) return e;
  return std::nullopt;
}

config::year_schedule parse(std::string_view text, const std::string& name = "test.toml") {
  std::vector<config::diagnostic> diags;
  auto s = config::parse_year_schedule(text, name, diags);
  for (const auto& d : diags) FAIL_CHECK(d.file << ":" << d.line << ":" << d.column << ": " << d.message);
  REQUIRE(s);
  return *s;
}

}  // namespace

TEST_CASE("the official 2024-2026 breaks are days off from end to end, with working days around them") {
  // Each row: first and last day off of a published break (DOMAIN.md), and what it is.
  struct row {
    sys_days first, last;
    const char* what;
  };
  const row rows[] = {
      {ymd(2024, 2, 8), ymd(2024, 2, 14), "Tết 2024"},
      {ymd(2024, 4, 18), ymd(2024, 4, 18), "Giỗ Tổ 2024, Thursday"},
      {ymd(2024, 4, 27), ymd(2024, 5, 1), "30/4-1/5 2024 with Monday 29/4 swapped"},
      {ymd(2024, 8, 31), ymd(2024, 9, 3), "Quốc khánh 2024"},
      {ymd(2025, 1, 1), ymd(2025, 1, 1), "Tết Dương lịch 2025"},
      {ymd(2025, 1, 25), ymd(2025, 2, 2), "Tết 2025"},
      {ymd(2025, 4, 5), ymd(2025, 4, 7), "Giỗ Tổ 2025, Monday after a weekend"},
      {ymd(2025, 4, 30), ymd(2025, 5, 4), "30/4-1/5 2025 with Friday 2/5 swapped"},
      {ymd(2025, 8, 30), ymd(2025, 9, 2), "Quốc khánh 2025"},
      {ymd(2026, 1, 1), ymd(2026, 1, 4), "Tết Dương lịch 2026 with Friday 2/1 swapped"},
      {ymd(2026, 2, 14), ymd(2026, 2, 22), "Tết 2026"},
      {ymd(2026, 4, 25), ymd(2026, 4, 27), "Giỗ Tổ 2026 on Sunday, Monday off"},
      {ymd(2026, 4, 30), ymd(2026, 5, 3), "30/4-1/5 2026"},
      {ymd(2019, 4, 27), ymd(2019, 5, 1), "30/4-1/5 2019 with Monday 29/4 swapped"},
      {ymd(2019, 2, 2), ymd(2019, 2, 10), "Tết 2019 (rules)"},
      {ymd(2019, 4, 13), ymd(2019, 4, 15), "Giỗ Tổ 2019 on Sunday (rules)"},
      {ymd(2018, 12, 29), ymd(2019, 1, 1), "Tết Dương lịch 2019 with Monday 31/12/2018 swapped"},
  };
  const working_calendar cal(official());
  for (const auto& r : rows) {
    CAPTURE(r.what);
    for (sys_days d = r.first; d <= r.last; d += date::days{1}) {
      if (cal.is_working(d)) FAIL_CHECK(iso(d) << " should be a day off");
    }
    CHECK(cal.is_working(r.first - date::days{1}));
    CHECK(cal.is_working(r.last + date::days{1}));
  }
}

TEST_CASE("swapped Saturdays are working days listed as swapped_working") {
  // Each row: a Saturday worked in exchange for a weekday off, and that weekday.
  struct row {
    sys_days worked, off;
  };
  const row rows[] = {
      {ymd(2019, 1, 5), ymd(2018, 12, 31)}, {ymd(2019, 5, 4), ymd(2019, 4, 29)}, {ymd(2024, 5, 4), ymd(2024, 4, 29)},
      {ymd(2025, 4, 26), ymd(2025, 5, 2)},  {ymd(2026, 1, 10), ymd(2026, 1, 2)},
  };
  const working_calendar cal(official());
  for (const auto& r : rows) {
    CAPTURE(iso(r.worked));
    CHECK(cal.is_working(r.worked));
    const auto w = entry(cal, r.worked);
    REQUIRE(w);
    CHECK(w->kind == day_kind::swapped_working);
    CHECK(w->working);
    CHECK(w->reason == "Làm bù cho " + text::weekday_vn(r.off) + " " + text::date_vn(r.off));
    const auto o = entry(cal, r.off);
    REQUIRE(o);
    CHECK(o->kind == day_kind::swapped_off);
    CHECK_FALSE(o->working);
  }
}

TEST_CASE("Saturday 8/2/2025 is not worked: the approved Tết 2025 plan swaps no day") {
  // DOMAIN.md reported (to verify) Mon 27/1 off for Sat 8/2; Công văn 8726/VPCP-KGVX has
  // 27/1-31/1 as the five Tết days and no swap, so 27/1 is a holiday and 8/2 a weekend day.
  const working_calendar cal(official());
  CHECK_FALSE(cal.is_working(ymd(2025, 2, 8)));
  CHECK(entry(cal, ymd(2025, 2, 8))->kind == day_kind::weekend);
  CHECK(entry(cal, ymd(2025, 1, 27))->kind == day_kind::holiday);
  CHECK(entry(cal, ymd(2025, 1, 27))->reason == "Tết Nguyên đán");
}

TEST_CASE("listed days carry the kind and the Vietnamese reason of the strongest cause") {
  // Each row: day, kind, working, reason, why.
  struct row {
    sys_days d;
    day_kind kind;
    bool working;
    const char* reason;
    const char* why;
  };
  const row rows[] = {
      {ymd(2024, 2, 10), day_kind::holiday, false, "Tết Nguyên đán", "mùng 1 on a Saturday is a holiday"},
      {ymd(2024, 2, 13), day_kind::compensatory, false, "Nghỉ bù Tết Nguyên đán", "published compensatory day"},
      {ymd(2024, 4, 27), day_kind::weekend, false, "Thứ Bảy", "plain Saturday inside a break"},
      {ymd(2024, 4, 28), day_kind::weekend, false, "Chủ nhật", "plain Sunday"},
      {ymd(2024, 4, 30), day_kind::holiday, false, "Ngày Giải phóng miền Nam, thống nhất đất nước", "30/4"},
      {ymd(2024, 5, 1), day_kind::holiday, false, "Ngày Quốc tế Lao động", "1/5, computed beside a data file"},
      {ymd(2024, 9, 3), day_kind::holiday, false, "Quốc khánh", "the second Quốc khánh day"},
      {ymd(2024, 1, 1), day_kind::holiday, false, "Tết Dương lịch", "computed: 2024 has no data for it"},
      {ymd(2026, 4, 26), day_kind::holiday, false, "Giỗ Tổ Hùng Vương", "Giỗ Tổ on a Sunday"},
      {ymd(2026, 4, 27), day_kind::compensatory, false, "Nghỉ bù Giỗ Tổ Hùng Vương", "its Monday"},
      {ymd(2024, 4, 29), day_kind::swapped_off, false, "Nghỉ hoán đổi, làm bù thứ Bảy 04/05/2024", "swap"},
  };
  const working_calendar cal(official());
  for (const auto& r : rows) {
    CAPTURE(r.why);
    const auto e = entry(cal, r.d);
    REQUIRE(e);
    CHECK(e->kind == r.kind);
    CHECK(e->working == r.working);
    CHECK(e->reason == r.reason);
    CHECK(cal.is_working(r.d) == r.working);
  }
}

TEST_CASE("Quốc khánh's second day follows the rule of Bộ luật Lao động 2019") {
  // Each row: year, the second day (or none before 2021), compensatory day or none, why.
  struct row {
    int year;
    std::optional<sys_days> second, compensatory;
    const char* why;
  };
  const row rows[] = {
      {2019, std::nullopt, std::nullopt, "Bộ luật Lao động 2012: one day"},
      {2020, std::nullopt, std::nullopt, "still one day in 2020"},
      {2021, ymd(2021, 9, 3), std::nullopt, "2/9 Thu: both neighbours work, 3/9 touches the weekend"},
      {2022, ymd(2022, 9, 1), std::nullopt, "2/9 Fri: 3/9 is a Saturday"},
      {2023, ymd(2023, 9, 1), ymd(2023, 9, 4), "2/9 Sat: 1/9 works; 2/9 gives Monday off"},
      {2024, ymd(2024, 9, 3), std::nullopt, "2/9 Mon: 1/9 is a Sunday (31/8-3/9 off)"},
      {2025, ymd(2025, 9, 1), std::nullopt, "2/9 Tue: 1/9 Monday touches the weekend (30/8-2/9 off)"},
      {2026, ymd(2026, 9, 3), std::nullopt, "2/9 Wed: neither touches a weekend, so 3/9"},
      {2028, ymd(2028, 9, 1), ymd(2028, 9, 4), "2/9 Sat: like 2023"},
      {2029, ymd(2029, 9, 3), ymd(2029, 9, 4), "2/9 Sun: 1/9 is Saturday; Tuesday compensates"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    const auto h = scheduler::rule_holidays(r.year, sat_sun);
    std::vector<sys_days> national;
    for (const auto& e : h)
      if (e.reason == "Quốc khánh") national.push_back(e.date);
    const sys_days second_september = ymd(r.year, 9, 2);
    CHECK(std::count(national.begin(), national.end(), second_september) == 1);
    CHECK(national.size() == (r.second ? 2u : 1u));
    if (r.second) CHECK(std::count(national.begin(), national.end(), *r.second) == 1);
    const auto comp = find(h, r.compensatory.value_or(sys_days{}));
    if (r.compensatory) {
      REQUIRE(comp);
      CHECK(comp->kind == day_kind::compensatory);
      CHECK(comp->reason == "Nghỉ bù Quốc khánh");
    }
  }
}

TEST_CASE("without data, Tết is the last day of the lunar year and mùng 1-4, compensated after weekends") {
  // Each row: year, the five Tết days' first day, the compensatory days, why.
  struct row {
    int year;
    sys_days first;
    std::vector<sys_days> compensatory;
    const char* why;
  };
  const row rows[] = {
      {2019, ymd(2019, 2, 4), {}, "Mon-Fri: matches the published 2/2-10/2 with weekends"},
      {2022, ymd(2022, 1, 31), {}, "Mon-Fri"},
      {2026, ymd(2026, 2, 16), {}, "Mon-Fri: matches the published 14/2-22/2"},
      {2027, ymd(2027, 2, 5), {ymd(2027, 2, 10), ymd(2027, 2, 11)}, "Fri-Tue: Sat and Sun give Wed and Thu"},
      {2024, ymd(2024, 2, 9), {ymd(2024, 2, 14), ymd(2024, 2, 15)}, "the rule, not the published 8/2-14/2"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    const auto h = scheduler::rule_holidays(r.year, sat_sun);
    std::vector<sys_days> tet, comp;
    for (const auto& e : h) {
      if (e.reason == "Tết Nguyên đán") tet.push_back(e.date);
      if (e.reason == "Nghỉ bù Tết Nguyên đán") comp.push_back(e.date);
    }
    REQUIRE(tet.size() == 5);
    CHECK(tet.front() == r.first);
    CHECK(tet.back() == r.first + date::days{4});
    CHECK(comp == r.compensatory);
  }
}

TEST_CASE("a statutory day on a weekly rest day gives the next working day off") {
  // Each row: year, the compensatory day expected, its reason, why.
  struct row {
    int year;
    sys_days day;
    const char* reason;
    const char* why;
  };
  const row rows[] = {
      {2019, ymd(2019, 4, 15), "Nghỉ bù Giỗ Tổ Hùng Vương", "Giỗ Tổ Sun 14/4/2019"},
      {2022, ymd(2022, 1, 3), "Nghỉ bù Tết Dương lịch", "1/1/2022 a Saturday"},
      {2023, ymd(2023, 1, 2), "Nghỉ bù Tết Dương lịch", "1/1/2023 a Sunday"},
      {2022, ymd(2022, 5, 2), "Nghỉ bù Ngày Giải phóng miền Nam, thống nhất đất nước", "30/4/2022 Saturday"},
      {2022, ymd(2022, 5, 3), "Nghỉ bù Ngày Quốc tế Lao động", "1/5/2022 Sunday, after 30/4's Monday"},
      {2023, ymd(2023, 5, 2), "Nghỉ bù Giỗ Tổ Hùng Vương", "Giỗ Tổ Sat 29/4/2023, 30/4 Sun, 1/5 Mon"},
      {2023, ymd(2023, 5, 3), "Nghỉ bù Ngày Giải phóng miền Nam, thống nhất đất nước", "…then Wednesday"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    const auto e = find(scheduler::rule_holidays(r.year, sat_sun), r.day);
    REQUIRE(e);
    CHECK(e->kind == day_kind::compensatory);
    CHECK(e->reason == r.reason);
  }
}

TEST_CASE("every year 2013-2100 has its statutory days and nothing before 2013") {
  // 10 holiday days a year under Bộ luật Lao động 2012 (2013-2020), 11 from 2021; no two
  // holidays coincide in that range; the rules begin in 2013.
  for (int y = 2013; y <= 2100; ++y) {
    CAPTURE(y);
    const auto h = scheduler::rule_holidays(y, sat_sun);
    const auto holidays = std::count_if(h.begin(), h.end(), [](const auto& e) { return e.kind == day_kind::holiday; });
    CHECK(holidays == (y >= 2021 ? 11 : 10));
    for (const auto& e : h) {
      CHECK_FALSE(e.working);
      CHECK(text::valid_utf8(e.reason));
      CHECK(text::nfc(e.reason) == e.reason);
      if (e.kind == day_kind::compensatory) CHECK_FALSE(sat_sun[date::weekday{e.date}.c_encoding()]);
    }
  }
  CHECK(scheduler::rule_holidays(2012, sat_sun).empty());
  CHECK(scheduler::rule_holidays(2101, sat_sun).empty());
}

TEST_CASE("a data file replaces only the holidays it names") {
  // The file names giai_phong for 2027 (Fri 30/4; Mon 3/5 swapped for Sat 8/5): Tết,
  // 1/5 and the others are still computed; 30/4's computed day gives way.
  const auto s = parse(R"(
year = 2027
[[holidays]]
id = "giai_phong"
days = [
  { date = 2027-04-30, kind = "holiday" },
  { date = 2027-05-03, kind = "swapped_off" },
  { date = 2027-05-08, kind = "swapped_working", reason = "Làm bù" },
]
)");
  const auto h = scheduler::holidays_of_year(2027, sat_sun, &s);
  CHECK(find(h, ymd(2027, 5, 3))->kind == day_kind::swapped_off);
  CHECK(find(h, ymd(2027, 5, 3))->reason == "Nghỉ hoán đổi, làm bù thứ Bảy 08/05/2027");
  CHECK(find(h, ymd(2027, 5, 8))->reason == "Làm bù");
  CHECK(find(h, ymd(2027, 5, 8))->working);
  CHECK(find(h, ymd(2027, 2, 6))->reason == "Tết Nguyên đán");         // computed Tết
  CHECK(find(h, ymd(2027, 5, 1))->reason == "Ngày Quốc tế Lao động");  // computed, a Saturday
  // 1/5/2027 is a Saturday: its compensatory day skips the swapped Monday and lands on Tuesday.
  CHECK(find(h, ymd(2027, 5, 4))->reason == "Nghỉ bù Ngày Quốc tế Lao động");

  // The shipped 2024 file replaces Tết: the rule's Thursday 15/2 is a working day, 8/2 is not.
  const working_calendar cal(official());
  CHECK(cal.is_working(ymd(2024, 2, 15)));
  CHECK_FALSE(cal.is_working(ymd(2024, 2, 8)));
  const working_calendar rules(rules_only());
  CHECK_FALSE(rules.is_working(ymd(2024, 2, 15)));
  CHECK(rules.is_working(ymd(2024, 2, 8)));
}

TEST_CASE("a holiday only a data file knows is added with its own name") {
  // A proposed 24/11 "Ngày Văn hóa Việt Nam" is data, not code (DOMAIN.md).
  auto s = parse(R"(
year = 2026
[[holidays]]
id = "van_hoa"
name = "Ngày Văn hóa Việt Nam"
days = [{ date = 2026-11-24, kind = "holiday" }]
)");
  config::calendar_settings settings;
  settings.schedules[2026] = s;
  const working_calendar cal(settings);
  CHECK_FALSE(cal.is_working(ymd(2026, 11, 24)));
  CHECK(entry(cal, ymd(2026, 11, 24))->reason == "Ngày Văn hóa Việt Nam");
  CHECK_FALSE(cal.is_working(ymd(2026, 9, 2)));  // the rest of 2026 is still computed
}

TEST_CASE("the roster's extra days win over everything") {
  // days_off adds a day off (even a swapped Saturday); working_days makes a holiday a working day.
  auto settings = official();
  settings.days_off = {ymd(2024, 6, 14), ymd(2024, 5, 4)};
  settings.working_days = {ymd(2024, 2, 13), ymd(2024, 6, 15)};
  const working_calendar cal(settings);
  // Each row: day, kind, working, reason.
  struct row {
    sys_days d;
    day_kind kind;
    bool working;
    const char* reason;
  };
  const row rows[] = {
      {ymd(2024, 6, 14), day_kind::extra_off, false, "Ngày nghỉ thêm"},
      {ymd(2024, 5, 4), day_kind::extra_off, false, "Ngày nghỉ thêm"},
      {ymd(2024, 2, 13), day_kind::extra_working, true, "Ngày làm việc bù"},
      {ymd(2024, 6, 15), day_kind::extra_working, true, "Ngày làm việc bù"},
  };
  for (const auto& r : rows) {
    CAPTURE(iso(r.d));
    CHECK(cal.is_working(r.d) == r.working);
    const auto e = entry(cal, r.d);
    REQUIRE(e);
    CHECK(e->kind == r.kind);
    CHECK(e->reason == r.reason);
  }
}

TEST_CASE("the weekend comes from the settings, Sunday being index 0") {
  // A Sunday-only weekend: Saturdays work; Giỗ Tổ on Sunday 26/4/2026 still gives Monday.
  auto settings = official();
  settings.weekend = {true, false, false, false, false, false, false};
  const working_calendar cal(settings);
  CHECK(cal.is_working(ymd(2024, 6, 15)));
  CHECK_FALSE(cal.is_working(ymd(2024, 6, 16)));
  CHECK_FALSE(cal.is_working(ymd(2026, 4, 27)));
  CHECK_FALSE(entry(cal, ymd(2024, 6, 15)).has_value());
  // With Saturday working, the rule's compensatory day for 1/5/2027 (a Saturday) vanishes.
  const auto h = scheduler::rule_holidays(2027, settings.weekend);
  CHECK_FALSE(find(h, ymd(2027, 5, 3)).has_value());
}

TEST_CASE("holidays = \"none\" keeps the weekend, the operator's data and the extra days only") {
  // The shipped schedules (source "built-in:…") and the rules are off; an operator's file applies.
  auto settings = official();
  settings.vn_holidays = false;
  auto own = parse(R"(
year = 2024
[[holidays]]
id = "ngay_le_tinh"
name = "Ngày lễ của tỉnh"
days = [{ date = 2024-03-15, kind = "holiday" }]
)");
  settings.schedules[2024] = own;
  settings.days_off = {ymd(2024, 7, 1)};
  const working_calendar cal(settings);
  CHECK(cal.is_working(ymd(2024, 1, 1)));
  CHECK(cal.is_working(ymd(2024, 2, 12)));
  CHECK(cal.is_working(ymd(2025, 1, 27)));
  CHECK_FALSE(cal.is_working(ymd(2024, 3, 15)));
  CHECK_FALSE(cal.is_working(ymd(2024, 7, 1)));
  CHECK_FALSE(cal.is_working(ymd(2024, 6, 15)));
}

TEST_CASE("stepping between working days skips weekends and holidays") {
  // Each row: start, n, expected, why.
  struct row {
    sys_days from;
    std::int64_t n;
    sys_days to;
    const char* why;
  };
  const row rows[] = {
      {ymd(2024, 2, 7), 1, ymd(2024, 2, 15), "over Tết 2024"},
      {ymd(2024, 2, 15), -1, ymd(2024, 2, 7), "back over Tết 2024"},
      {ymd(2024, 6, 15), 1, ymd(2024, 6, 17), "from a Saturday, the first step lands on Monday"},
      {ymd(2024, 6, 15), -1, ymd(2024, 6, 14), "from a Saturday back, on Friday"},
      {ymd(2024, 6, 14), 0, ymd(2024, 6, 14), "zero steps"},
      {ymd(2024, 6, 15), 0, ymd(2024, 6, 15), "zero steps from a day off stays put"},
      {ymd(2024, 6, 10), 10, ymd(2024, 6, 24), "two working weeks"},
      {ymd(2024, 5, 6), -3, ymd(2024, 5, 2), "back over the swapped Saturday 4/5 (worked)"},
      {ymd(2024, 12, 31), 1, ymd(2025, 1, 2), "across New Year"},
  };
  const working_calendar cal(official());
  for (const auto& r : rows) {
    CAPTURE(r.why);
    CHECK(iso(cal.add_working_days(r.from, r.n)) == iso(r.to));
  }
  CHECK(cal.next_working_on_or_after(ymd(2024, 2, 8)) == ymd(2024, 2, 15));
  CHECK(cal.next_working_on_or_after(ymd(2024, 2, 15)) == ymd(2024, 2, 15));
  CHECK(cal.previous_working_on_or_before(ymd(2024, 2, 14)) == ymd(2024, 2, 7));
  CHECK(cal.previous_working_on_or_before(ymd(2024, 9, 3)) == ymd(2024, 8, 30));
}

TEST_CASE("years outside 1900-2100 have only the weekend and the extra days") {
  // No lunar calendar there, so no holidays; the calendar still answers.
  auto settings = official();
  settings.days_off = {ymd(2150, 3, 2)};
  const working_calendar cal(settings);
  CHECK(cal.is_working(ymd(2150, 1, 1)));        // a Thursday
  CHECK_FALSE(cal.is_working(ymd(2150, 1, 3)));  // a Saturday
  CHECK_FALSE(cal.is_working(ymd(2150, 3, 2)));  // extra day off
  CHECK(cal.is_working(ymd(1899, 12, 29)));      // a Friday
  CHECK(cal.year_listing(2150).size() == 105);   // 104 weekend days + 1 extra
}

TEST_CASE("a year's listing reaches across New Year when a schedule does") {
  // The 2019 file swaps Monday 31/12/2018 for Saturday 5/1/2019.
  const working_calendar cal(official());
  const auto e = entry(cal, ymd(2018, 12, 31));
  REQUIRE(e);
  CHECK(e->kind == day_kind::swapped_off);
  CHECK(e->reason == "Nghỉ hoán đổi, làm bù thứ Bảy 05/01/2019");
  const auto listing = cal.year_listing(2024);
  CHECK(std::is_sorted(listing.begin(), listing.end(), [](const auto& a, const auto& b) { return a.date < b.date; }));
  for (const auto& x : listing) CHECK(static_cast<int>(date::year_month_day{x.date}.year()) == 2024);
}

TEST_CASE("concurrent readers see the same calendar as a single reader") {
  // Four threads touch every year at once (each year's table is built on first touch).
  const working_calendar shared(official());
  const working_calendar reference(official());
  std::vector<char> expected;
  for (sys_days d = ymd(1990, 1, 1); d <= ymd(2060, 12, 31); d += date::days{1})
    expected.push_back(reference.is_working(d) ? 1 : 0);
  std::vector<std::int64_t> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::size_t i = 0;
      for (sys_days d = ymd(1990, 1, 1); d <= ymd(2060, 12, 31); d += date::days{1}, ++i)
        if ((shared.is_working(d) ? 1 : 0) != expected[i]) ++mismatches[t];
    });
  }
  for (auto& th : threads) th.join();
  for (auto m : mismatches) CHECK(m == 0);
}

// ---- data files -------------------------------------------------------------------------

TEST_CASE("every shipped schedule parses and is compiled in") {
  // calendar/vn/*.toml: 2019, 2020, 2023, 2024, 2025, 2026.
  std::set<int> years;
  for (const auto& s : config::builtin_year_schedules()) {
    years.insert(s.year);
    CHECK(s.source == "built-in:" + std::to_string(s.year));
    CHECK_FALSE(s.holidays.empty());
  }
  CHECK(years == std::set<int>{2019, 2020, 2023, 2024, 2025, 2026});
}

TEST_CASE("a schedule file reads its holidays, days, kinds and reasons") {
  // Names are optional for built-in ids; kind defaults to holiday; reasons are NFC.
  const auto s = parse(R"(year = 2024
[[holidays]]
id = "giai_phong"
days = [
  { date = 2024-04-29, kind = "swapped_off" },
  { date = 2024-04-30 },
  { date = 2024-05-04, kind = "swapped_working", reason = "Làm bù cho thứ Hai 29/4" },
]
)",
                       "2024.toml");
  CHECK(s.year == 2024);
  REQUIRE(s.holidays.size() == 1);
  CHECK(s.holidays[0].id == "giai_phong");
  CHECK(s.holidays[0].name.empty());
  REQUIRE(s.holidays[0].days.size() == 3);
  CHECK(s.holidays[0].days[0].kind == day_kind::swapped_off);
  CHECK(s.holidays[0].days[1].kind == day_kind::holiday);
  CHECK(s.holidays[0].days[2].reason == "Làm bù cho thứ Hai 29/4");
}

TEST_CASE("schedule file errors name the file, line, column and key") {
  // Each row: file text, file name, expected line, column, a fragment of the message.
  struct row {
    const char* text;
    const char* file;
    std::uint32_t line, column;
    const char* message;
  };
  const row rows[] = {
      {"year = 2024\nholidayz = 1\n", "a.toml", 2, 1, "unknown key \"holidayz\""},
      {"year = 2024\n[[holidays]]\nid = \"gio_to\"\ndays = [{ date = 2024-04-18, kind = \"off\" }]\n", "a.toml", 4, 37,
       "\"kind\" must be one of"},
      {"year = 2024\n[[holidays]]\nid = \"gio_to\"\ndays = [{ date = 2027-04-18 }]\n", "a.toml", 4, 18,
       "too far from the schedule's year 2024"},
      {"year = 2024\n[[holidays]]\nid = \"gio_to\"\ndays = [{ date = \"2024-04-18\" }]\n", "a.toml", 4, 18,
       "must be a TOML date"},
      {"year = 2024\n[[holidays]]\nid = \"le_moi\"\ndays = [{ date = 2024-04-18 }]\n", "a.toml", 2, 1,
       "needs a \"name\""},
      {"year = 2025\n[[holidays]]\nid = \"gio_to\"\ndays = [{ date = 2025-04-07 }]\n", "calendar/2024.toml", 1, 8,
       "the file name says 2024"},
      {"year = 2024\n[[holidays]]\nid = \"gio_to\"\ndays = [{ date = 2024-04-18 }]\n[[holidays]]\nid = \"gio_to\"\n"
       "days = [{ date = 2024-04-18 }]\n",
       "a.toml", 5, 1, "listed twice (first at line 2)"},
      {"year = 2024\n[[holidays]]\nid = \"gio_to\"\ndays = [{ date = 2024-04-18 }, { date = 2024-04-18 }]\n", "a.toml",
       4, 32, "2024-04-18 is listed twice"},
      {"year = 2024\n[[holidays]]\nid = \"gio_to\"\ndays = [{ date = 2024-04-18 }\n", "a.toml", 4, 31, ""},
      {"[[holidays]]\nid = \"gio_to\"\ndays = [{ date = 2024-04-18 }]\n", "a.toml", 0, 0, "missing \"year\""},
      {"year = \"2024\"\n", "a.toml", 1, 8, "\"year\" must be an integer"},
      {"year = 2024\n[[holidays]]\nid = \"Giỗ Tổ\"\ndays = [{ date = 2024-04-18 }]\n", "a.toml", 3, 6,
       "\"id\" must be a string of lower-case letters"},
  };
  for (const auto& r : rows) {
    const std::string text = r.text;
    CAPTURE(text);
    std::vector<config::diagnostic> diags;
    CHECK_FALSE(config::parse_year_schedule(r.text, r.file, diags).has_value());
    REQUIRE_FALSE(diags.empty());
    CHECK(std::is_sorted(diags.begin(), diags.end(), [](const auto& a, const auto& b) {
      return std::pair{a.line, a.column} < std::pair{b.line, b.column};
    }));
    auto it = std::find_if(diags.begin(), diags.end(),
                           [&](const auto& d) { return d.message.find(r.message) != std::string::npos; });
    REQUIRE(it != diags.end());
    const auto& d = *it;
    CHECK(d.file == r.file);
    CHECK(d.severity == config::diagnostic::severity_t::error);
    CHECK(d.line == r.line);
    CHECK(d.column == r.column);
  }
}
