// Times the lunar calendar and the working calendar over their whole range, 1900-2100:
// the one-off construction of the month table (the astronomy), converting every day
// both ways, and building then querying the working calendar for every day. Prints
// figures; asserts nothing (see bench/RESULTS.md).
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "config/calendar_data.hpp"
#include "scheduler/lunar.hpp"
#include "scheduler/lunar_astronomy.hpp"
#include "scheduler/working_calendar.hpp"

namespace {

using namespace dondoc;
using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

const date::sys_days first_day{date::year{1900} / 1 / 1};
const date::sys_days last_day{date::year{2100} / 12 / 31};

}  // namespace

int main() {
  const std::int64_t days = (last_day - first_day).count() + 1;
  std::printf("range: 1900-01-01..2100-12-31, %lld days\n", static_cast<long long>(days));

  auto t = clock_type::now();
  const auto months = scheduler::astro::month_starts(1900, 2101, 7.0);
  std::printf("astronomy alone: %zu month starts in %.2f ms\n", months.size(), ms_since(t));

  t = clock_type::now();
  const auto tet = scheduler::to_lunar(first_day);  // builds the month table once
  std::printf("first to_lunar (builds the month table): %.2f ms\n", ms_since(t));

  t = clock_type::now();
  std::int64_t checksum = tet ? tet->day : 0;
  for (auto d = first_day; d <= last_day; d += date::days{1}) checksum += scheduler::to_lunar(d)->day;
  const double to_ms = ms_since(t);
  std::printf("to_lunar, every day: %.2f ms (%.1f ns/day)\n", to_ms, to_ms * 1e6 / static_cast<double>(days));

  t = clock_type::now();
  for (auto d = first_day; d <= last_day; d += date::days{1})
    checksum += scheduler::from_lunar(*scheduler::to_lunar(d))->time_since_epoch().count() & 1;
  const double round_ms = ms_since(t);
  std::printf("to_lunar + from_lunar, every day: %.2f ms (%.1f ns/day)\n", round_ms,
              round_ms * 1e6 / static_cast<double>(days));

  config::calendar_settings settings;
  for (const auto& ys : config::builtin_year_schedules()) settings.schedules.emplace(ys.year, ys);
  t = clock_type::now();
  const scheduler::working_calendar cal(settings);
  std::int64_t working = 0;
  for (auto d = first_day; d <= last_day; d += date::days{1}) working += cal.is_working(d) ? 1 : 0;
  const double build_ms = ms_since(t);
  std::printf("working calendar, first is_working of every day (builds 201 years): %.2f ms\n", build_ms);

  constexpr int passes = 20;
  t = clock_type::now();
  for (int p = 0; p < passes; ++p)
    for (auto d = first_day; d <= last_day; d += date::days{1}) working += cal.is_working(d) ? 1 : 0;
  const double hot_ms = ms_since(t);
  std::printf("is_working, built years: %.1f ns/call (%d passes)\n", hot_ms * 1e6 / static_cast<double>(days * passes),
              passes);

  t = clock_type::now();
  std::size_t listed = 0;
  for (int y = 2013; y <= 2100; ++y) listed += cal.year_listing(y).size();
  std::printf("year_listing 2013-2100: %zu entries in %.2f ms\n", listed, ms_since(t));

  std::printf("(checksum %lld, working days %lld)\n", static_cast<long long>(checksum),
              static_cast<long long>(working));
  return 0;
}
