// The Vietnamese lunar calendar: fixed dates from DOMAIN.md and well-known cases where
// Vietnam (UTC+7) and China (UTC+8) differ, leap months, year names, the ends of the
// range, and the astronomy underneath against Meeus' worked examples.
#include "scheduler/lunar.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "scheduler/lunar_astronomy.hpp"

using namespace dondoc::scheduler;
using date::sys_days;

namespace {

sys_days ymd(int y, unsigned m, unsigned d) { return sys_days{date::year{y} / date::month{m} / date::day{d}}; }

std::string iso(sys_days d) { return date::format("%F", d); }

// Mùng 1 Tết of the lunar year that begins in Gregorian year `y` at UTC+`offset`.
sys_days first_month_start(int y, double offset) {
  for (const auto& m : astro::month_starts(y, y, offset))
    if (m.month == 1 && !m.leap) return sys_days{date::days{m.day}};
  FAIL("no month 1");
  return {};
}

}  // namespace

TEST_CASE("Tết and Giỗ Tổ fall on the dates DOMAIN.md lists for 2019-2030") {
  // Each row: Gregorian year, mùng 1 tháng Giêng, 10 tháng 3 (Giỗ Tổ Hùng Vương).
  struct row {
    int year;
    sys_days tet, gio_to;
  };
  const row rows[] = {
      {2019, ymd(2019, 2, 5), ymd(2019, 4, 14)},  {2020, ymd(2020, 1, 25), ymd(2020, 4, 2)},
      {2021, ymd(2021, 2, 12), ymd(2021, 4, 21)}, {2022, ymd(2022, 2, 1), ymd(2022, 4, 10)},
      {2023, ymd(2023, 1, 22), ymd(2023, 4, 29)}, {2024, ymd(2024, 2, 10), ymd(2024, 4, 18)},
      {2025, ymd(2025, 1, 29), ymd(2025, 4, 7)},  {2026, ymd(2026, 2, 17), ymd(2026, 4, 26)},
      {2027, ymd(2027, 2, 6), ymd(2027, 4, 16)},  {2028, ymd(2028, 1, 26), ymd(2028, 4, 4)},
      {2029, ymd(2029, 2, 13), ymd(2029, 4, 23)}, {2030, ymd(2030, 2, 2), ymd(2030, 4, 12)},
  };
  for (const auto& r : rows) {
    CAPTURE(r.year);
    CHECK(from_lunar({1, 1, r.year, false}) == r.tet);
    CHECK(from_lunar({10, 3, r.year, false}) == r.gio_to);
    CHECK(to_lunar(r.tet) == lunar_date{1, 1, r.year, false});
    CHECK(to_lunar(r.gio_to) == lunar_date{10, 3, r.year, false});
    // The day before Tết is the last day of the previous lunar year's twelfth month.
    const auto eve = to_lunar(r.tet - date::days{1});
    REQUIRE(eve);
    CHECK(eve->month == 12);
    CHECK(eve->year == r.year - 1);
    CHECK((eve->day == 29 || eve->day == 30));
  }
}

TEST_CASE("Tết 2030 is on 2 February in Vietnam, not on 3 February as in China") {
  // The new moon of 2 February 2030 falls after 16:00 UTC: still the 2nd at UTC+7, the 3rd at UTC+8.
  CHECK(from_lunar({1, 1, 2030, false}) == ymd(2030, 2, 2));
  CHECK(to_lunar(ymd(2030, 2, 3)) == lunar_date{2, 1, 2030, false});
  CHECK(first_month_start(2030, 8.0) == ymd(2030, 2, 3));
}

TEST_CASE("the other years where the UTC+7 and UTC+8 calendars give different Tết dates") {
  // Each row: year, Tết in Vietnam (UTC+7), Tết in China (UTC+8). 1968: the North
  // adopted UTC+7 and celebrated a day before the South; 1985: a whole month apart.
  struct row {
    int year;
    sys_days vietnam, china;
  };
  const row rows[] = {
      {1968, ymd(1968, 1, 29), ymd(1968, 1, 30)}, {1985, ymd(1985, 1, 21), ymd(1985, 2, 20)},
      {2007, ymd(2007, 2, 17), ymd(2007, 2, 18)}, {2030, ymd(2030, 2, 2), ymd(2030, 2, 3)},
      {2053, ymd(2053, 2, 18), ymd(2053, 2, 19)},
  };
  for (const auto& r : rows) {
    CAPTURE(r.year);
    CHECK(from_lunar({1, 1, r.year, false}) == r.vietnam);
    CHECK(first_month_start(r.year, 7.0) == r.vietnam);
    CHECK(first_month_start(r.year, 8.0) == r.china);
  }
}

TEST_CASE("leap months start where the calendar puts them and repeat the month before") {
  // Each row: year, leap month number, its first day, its length.
  struct row {
    int year, month;
    sys_days first;
    int length;
  };
  const row rows[] = {
      {2020, 4, ymd(2020, 5, 23), 29},    // tháng 4 nhuận Canh Tý (DOMAIN.md)
      {2023, 2, ymd(2023, 3, 22), 29},    // tháng 2 nhuận Quý Mão
      {2025, 6, ymd(2025, 7, 25), 29},    // tháng 6 nhuận Ất Tỵ
      {2028, 5, ymd(2028, 6, 23), 29},    // tháng 5 nhuận Mậu Thân
      {2031, 3, ymd(2031, 4, 21), 30},    // tháng 3 nhuận Tân Hợi
      {2033, 11, ymd(2033, 12, 22), 29},  // tháng 11 nhuận Quý Sửu: the "2033 problem" (DOMAIN.md)
  };
  for (const auto& r : rows) {
    CAPTURE(r.year);
    CAPTURE(r.month);
    CHECK(from_lunar({1, r.month, r.year, true}) == r.first);
    CHECK(to_lunar(r.first) == lunar_date{1, r.month, r.year, true});
    // The regular month of the same number comes right before the leap one.
    const auto before = to_lunar(r.first - date::days{1});
    REQUIRE(before);
    CHECK(before->month == r.month);
    CHECK_FALSE(before->leap);
    CHECK(from_lunar({r.length, r.month, r.year, true}).has_value());
    CHECK_FALSE(from_lunar({r.length + 1, r.month, r.year, true}).has_value());
  }
}

TEST_CASE("a 13-month year has exactly one leap month and others have none") {
  // 2020, 2023, 2025 have one; 2019, 2021, 2022, 2024, 2026 have none.
  for (int y = 2019; y <= 2026; ++y) {
    CAPTURE(y);
    int leaps = 0;
    for (int m = 1; m <= 12; ++m) leaps += from_lunar({1, m, y, true}).has_value() ? 1 : 0;
    const bool expected = y == 2020 || y == 2023 || y == 2025;
    CHECK(leaps == (expected ? 1 : 0));
  }
}

TEST_CASE("lunar dates that do not exist convert to nothing") {
  // Each row: a lunar date that the calendar lacks, and why.
  struct row {
    lunar_date l;
    const char* why;
  };
  const row rows[] = {
      {{1, 4, 2021, true}, "2021 has no leap month"},
      {{30, 12, 2024, false}, "tháng Chạp Giáp Thìn has 29 days (Tết 2025 follows 28/1)"},
      {{0, 1, 2024, false}, "day 0"},
      {{31, 1, 2024, false}, "day 31"},
      {{1, 13, 2024, false}, "month 13"},
      {{1, 11, 1899, false}, "before 1900-01-01"},
      {{1, 1, 2101, false}, "after 2100-12-31"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    CHECK_FALSE(from_lunar(r.l).has_value());
  }
}

TEST_CASE("year names follow the sexagenary cycle in Vietnamese") {
  // Each row: lunar year, its can chi name.
  struct row {
    int year;
    const char* name;
  };
  const row rows[] = {
      {1900, "Canh Tý"},   {1945, "Ất Dậu"},   {1968, "Mậu Thân"},  {1984, "Giáp Tý"},  {2019, "Kỷ Hợi"},
      {2020, "Canh Tý"},   {2021, "Tân Sửu"},  {2022, "Nhâm Dần"},  {2023, "Quý Mão"},  {2024, "Giáp Thìn"},
      {2025, "Ất Tỵ"},     {2026, "Bính Ngọ"}, {2027, "Đinh Mùi"},  {2028, "Mậu Thân"}, {2029, "Kỷ Dậu"},
      {2030, "Canh Tuất"}, {2031, "Tân Hợi"},  {2100, "Canh Thân"}, {1899, "Kỷ Hợi"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.year);
    CHECK(year_name(r.year) == r.name);
  }
}

TEST_CASE("the range ends at 1900-01-01 and 2100-12-31") {
  // 1900-01-01 is mùng 1 tháng Chạp Kỷ Hợi (1899); 2100-12-31 opens tháng Chạp Canh Thân.
  CHECK(to_lunar(ymd(1900, 1, 1)) == lunar_date{1, 12, 1899, false});
  CHECK(from_lunar({1, 12, 1899, false}) == ymd(1900, 1, 1));
  CHECK(to_lunar(ymd(2100, 12, 31)) == lunar_date{1, 12, 2100, false});
  CHECK_FALSE(to_lunar(ymd(1899, 12, 31)).has_value());
  CHECK_FALSE(to_lunar(ymd(2101, 1, 1)).has_value());
  CHECK_FALSE(from_lunar({2, 12, 2100, false}).has_value());  // 2101-01-01
}

TEST_CASE("every day of 1900-2100 converts and converts back to itself") {
  // Consecutive days advance the lunar day by one or start a new month at day 1, months
  // have 29 or 30 days, and from_lunar inverts to_lunar.
  lunar_date prev{};
  std::int64_t days = 0, month_starts = 0;
  for (sys_days d = ymd(1900, 1, 1); d <= ymd(2100, 12, 31); d += date::days{1}, ++days) {
    const auto l = to_lunar(d);
    REQUIRE(l);
    if (from_lunar(*l) != d) FAIL_CHECK("round trip fails on " << iso(d));
    if (days > 0) {
      if (l->day == 1) {
        ++month_starts;
        if (prev.day != 29 && prev.day != 30) FAIL_CHECK("month of " << prev.day << " days before " << iso(d));
      } else if (l->day != prev.day + 1 || l->month != prev.month || l->leap != prev.leap || l->year != prev.year) {
        FAIL_CHECK("discontinuity on " << iso(d));
      }
    }
    prev = *l;
  }
  CHECK(days == 73414);
  // 201 years of 365.2425 days hold about 2486 lunations.
  CHECK(month_starts == doctest::Approx(2486).epsilon(0.001));
}

TEST_CASE("the new-moon series reproduces Meeus' example 49.a") {
  // The new moon of February 1977 (k = -283): JDE 2443192.65118.
  CHECK(astro::new_moon_jde(-283) == doctest::Approx(2443192.65118).epsilon(1e-11));
}

TEST_CASE("the sun's apparent longitude matches Meeus' worked examples") {
  // 1992-10-13 0h TD (example 25.b): 199°54'21.8"; June solstice 1962 (example 27.a):
  // JDE 2437837.39245, where the longitude is 90°. Tolerance 0.001° ≈ 25 s of time.
  CHECK(astro::sun_apparent_longitude(2448908.5) == doctest::Approx(199.906061).epsilon(5e-6));
  CHECK(std::fabs(astro::sun_apparent_longitude(2437837.39245) - 90.0) < 0.001);
}

TEST_CASE("ΔT follows the observed values of the twentieth century") {
  // 1900: about -3 s; 1950: 29 s; 2000: 64 s (Espenak & Meeus).
  CHECK(astro::delta_t_seconds(1900.0) == doctest::Approx(-2.79).epsilon(0.01));
  CHECK(astro::delta_t_seconds(1950.0) == doctest::Approx(29.07).epsilon(0.01));
  CHECK(astro::delta_t_seconds(2000.0) == doctest::Approx(63.86).epsilon(0.01));
}
