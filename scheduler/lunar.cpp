// Solar <-> lunar conversion over a table of month starts built once, at first use, from
// the astronomy in lunar_astronomy.cpp (UTC+7). About 2 500 months cover 1900-2100; a
// conversion is then a binary search, so converting every day of the range costs
// milliseconds and the table's construction (a few thousand series evaluations)
// dominates. The function-local static makes the first use thread-safe.
#include "scheduler/lunar.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "scheduler/lunar_astronomy.hpp"

namespace dondoc::scheduler {
namespace {

constexpr double vietnam_utc_offset_hours = 7.0;

// Orders months within the table: lunar year, then month number, a leap month after the
// regular month of the same number.
constexpr std::int32_t month_key(int year, int month, bool leap) { return (year * 16 + month) * 2 + (leap ? 1 : 0); }

struct month_table {
  std::vector<astro::month_start> months;  // in date order; also in month_key order
  std::int32_t end_day = 0;                // first day after the last month

  month_table() {
    // From month 11 of 1899 (holding 1900-01-01) to the month before month 11 of 2101
    // (holding 2100-12-31).
    months = astro::month_starts(lunar_min_year, lunar_max_year + 1, vietnam_utc_offset_hours);
    // The start of month 11 of 2101 closes the last month.
    const auto tail = astro::month_starts(lunar_max_year + 2, lunar_max_year + 2, vietnam_utc_offset_hours);
    end_day = tail.front().day;
  }

  std::int32_t month_length(std::size_t i) const {
    return (i + 1 < months.size() ? months[i + 1].day : end_day) - months[i].day;
  }
};

const month_table& table() {
  static const month_table t;
  return t;
}

constexpr date::sys_days first_day = date::sys_days{date::year{lunar_min_year} / 1 / 1};
constexpr date::sys_days last_day = date::sys_days{date::year{lunar_max_year} / 12 / 31};

}  // namespace

std::optional<lunar_date> to_lunar(date::sys_days d) {
  if (d < first_day || d > last_day) return std::nullopt;
  const month_table& t = table();
  const auto day = static_cast<std::int32_t>(d.time_since_epoch().count());
  auto it = std::upper_bound(t.months.begin(), t.months.end(), day,
                             [](std::int32_t v, const astro::month_start& m) { return v < m.day; });
  --it;  // the table starts before first_day, so `it` was not begin()
  return lunar_date{day - it->day + 1, it->month, it->year, it->leap};
}

std::optional<date::sys_days> from_lunar(const lunar_date& l) {
  if (l.month < 1 || l.month > 12 || l.day < 1 || l.day > 30) return std::nullopt;
  if (l.year < lunar_min_year - 1 || l.year > lunar_max_year) return std::nullopt;
  const month_table& t = table();
  const std::int32_t key = month_key(l.year, l.month, l.leap);
  auto it = std::lower_bound(t.months.begin(), t.months.end(), key, [](const astro::month_start& m, std::int32_t k) {
    return month_key(m.year, m.month, m.leap) < k;
  });
  if (it == t.months.end() || month_key(it->year, it->month, it->leap) != key) return std::nullopt;
  if (l.day > t.month_length(static_cast<std::size_t>(it - t.months.begin()))) return std::nullopt;
  const date::sys_days d{date::days{it->day + l.day - 1}};
  if (d < first_day || d > last_day) return std::nullopt;
  return d;
}

std::string year_name(int lunar_year) {
  static constexpr std::array<const char*, 10> stems{"Giáp", "Ất",   "Bính", "Đinh", "Mậu",
                                                     "Kỷ",   "Canh", "Tân",  "Nhâm", "Quý"};
  static constexpr std::array<const char*, 12> branches{"Tý",  "Sửu", "Dần",  "Mão", "Thìn", "Tỵ",
                                                        "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi"};
  // 1984 was Giáp Tý, the first of the sexagenary cycle.
  const int stem = ((lunar_year - 1984) % 10 + 10) % 10;
  const int branch = ((lunar_year - 1984) % 12 + 12) % 12;
  return std::string{stems[static_cast<std::size_t>(stem)]} + " " + branches[static_cast<std::size_t>(branch)];
}

}  // namespace dondoc::scheduler
