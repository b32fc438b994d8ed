// Nominal dates of deadline rules. A day past a month's end means that month's last day,
// so `{ every = "month", day = 31 }` gives 28/2, 31/3, 30/4, …
#include "config/deadline.hpp"

#include <date/tz.h>
#include <fmt/format.h>

namespace dondoc::config {
namespace {

using namespace date;

sys_days clamped(int y, unsigned m, unsigned d) {
  const year_month_day_last last{year{y} / month{m} / date::last};
  const unsigned end = static_cast<unsigned>(last.day());
  return sys_days{year{y} / month{m} / day{d > end ? end : d}};
}

// Months (1..12) in which a periodic rule has a nominal date, ascending.
std::vector<unsigned> rule_months(const deadline_rule& r) {
  using e = deadline_rule::every_t;
  switch (r.every) {
    case e::year: return {r.month};
    case e::half_year: {
      unsigned a = r.month, b = (r.month + 5) % 12 + 1;
      if (b < a) std::swap(a, b);
      return {a, b};
    }
    case e::quarter: return {r.month, r.month + 3, r.month + 6, r.month + 9};
    case e::month: return {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    default: return {};
  }
}

std::optional<sys_days> one_off(const deadline_rule& r, const time_zone* zone) {
  if (r.every == deadline_rule::every_t::once_date) return r.date;
  if (r.every == deadline_rule::every_t::once_at && r.at) return civil_date(*r.at, zone);
  return std::nullopt;
}

}  // namespace

sys_days civil_date(sys_seconds t, const date::time_zone* zone) {
  if (zone == nullptr) return floor<days>(t);
  const auto local = zone->to_local(t);
  return sys_days{floor<days>(local).time_since_epoch()};
}

std::optional<sys_days> next_nominal(const deadline_rule& rule, sys_days d, const date::time_zone* zone) {
  if (!rule.periodic()) {
    auto x = one_off(rule, zone);
    if (x && *x >= d) return x;
    return std::nullopt;
  }
  const year_month_day ymd{d};
  const auto months = rule_months(rule);
  for (int y = static_cast<int>(ymd.year()); y <= static_cast<int>(ymd.year()) + 1; ++y)
    for (unsigned m : months) {
      const sys_days c = clamped(y, m, rule.day);
      if (c >= d) return c;
    }
  return std::nullopt;
}

std::optional<sys_days> previous_nominal(const deadline_rule& rule, sys_days d, const date::time_zone* zone) {
  if (!rule.periodic()) {
    auto x = one_off(rule, zone);
    if (x && *x <= d) return x;
    return std::nullopt;
  }
  const year_month_day ymd{d};
  const auto months = rule_months(rule);
  for (int y = static_cast<int>(ymd.year()); y >= static_cast<int>(ymd.year()) - 1; --y)
    for (auto it = months.rbegin(); it != months.rend(); ++it) {
      const sys_days c = clamped(y, *it, rule.day);
      if (c <= d) return c;
    }
  return std::nullopt;
}

std::string period_key(const deadline_rule& rule, sys_days nominal) {
  const year_month_day ymd{nominal};
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month());
  using e = deadline_rule::every_t;
  switch (rule.every) {
    case e::year: return fmt::format("{}", y);
    case e::half_year: return fmt::format("{}-H{}", y, m <= 6 ? 1 : 2);
    case e::quarter: return fmt::format("{}-Q{}", y, (m - 1) / 3 + 1);
    case e::month: return fmt::format("{}-{:02}", y, m);
    case e::once_date:
    case e::once_at: return "once";
  }
  return "once";
}

}  // namespace dondoc::config
