// The working-day calendar: one table per year (a bitset of days off plus the listing
// `dondoc calendar` prints), built on the first touch of that year and then only read.
//
// The plan asks is_working() millions of times, from several threads at once in the
// daemon, so the hot path is an acquire load of the year's pointer and a bit test; the
// mutex is taken only to build a year. Years outside 1900-2100 (no rules, no data) are
// answered without a table.
#include "scheduler/working_calendar.hpp"

#include <algorithm>
#include <bitset>
#include <map>
#include <stdexcept>

#include "text/vn_format.hpp"

namespace dondoc::scheduler {
namespace {

using config::day_kind;

constexpr std::int64_t search_limit_days = 3660;

int year_of(sys_days d) { return static_cast<int>(date::year_month_day{d}.year()); }
sys_days jan1(int y) { return sys_days{date::year{y} / 1 / 1}; }

bool is_builtin(const config::year_schedule& s) { return s.source.rfind("built-in:", 0) == 0; }

}  // namespace

struct working_calendar::year_info {
  sys_days first;        // 1 January
  std::bitset<366> off;  // bit i: first + i is not a working day
  std::vector<calendar_entry> listing;
};

working_calendar::working_calendar(const config::calendar_settings& settings) : settings_(settings) {
  auto sort_unique = [](std::vector<sys_days>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  sort_unique(settings_.days_off);
  sort_unique(settings_.working_days);
}

working_calendar::~working_calendar() = default;

const working_calendar::year_info* working_calendar::cached(int y) const {
  if (y < cached_first_year || y > cached_last_year) return nullptr;
  auto& slot = cache_[static_cast<std::size_t>(y - cached_first_year)];
  if (const year_info* p = slot.load(std::memory_order_acquire)) return p;
  std::lock_guard lock(mutex_);
  if (const year_info* p = slot.load(std::memory_order_relaxed)) return p;
  owned_.push_back(build(y));
  const year_info* p = owned_.back().get();
  slot.store(p, std::memory_order_release);
  return p;
}

std::unique_ptr<working_calendar::year_info> working_calendar::build(int y) const {
  const sys_days first = jan1(y), end = jan1(y + 1);
  std::map<sys_days, calendar_entry> days;

  for (sys_days d = first; d < end; d += date::days{1})
    if (settings_.weekend[date::weekday{d}.c_encoding()])
      days[d] = {d, false, day_kind::weekend, text::weekday_vn(d, true)};

  // Holiday days of the neighbouring years too: a schedule may place days across New Year.
  for (int hy = y - 1; hy <= y + 1; ++hy) {
    const config::year_schedule* schedule = nullptr;
    if (auto it = settings_.schedules.find(hy); it != settings_.schedules.end()) {
      if (settings_.vn_holidays || !is_builtin(it->second)) schedule = &it->second;
    }
    if (!settings_.vn_holidays && schedule == nullptr) continue;
    for (auto& e : holidays_of_year(hy, settings_.weekend, schedule, settings_.vn_holidays)) {
      if (e.date >= first && e.date < end) days[e.date] = std::move(e);
    }
  }

  for (sys_days d : settings_.days_off)
    if (d >= first && d < end) days[d] = {d, false, day_kind::extra_off, "Ngày nghỉ thêm"};
  for (sys_days d : settings_.working_days)
    if (d >= first && d < end) days[d] = {d, true, day_kind::extra_working, "Ngày làm việc bù"};

  auto info = std::make_unique<year_info>();
  info->first = first;
  info->listing.reserve(days.size());
  for (auto& [d, e] : days) {
    if (!e.working) info->off.set(static_cast<std::size_t>((d - first).count()));
    info->listing.push_back(std::move(e));
  }
  return info;
}

bool working_calendar::is_working_uncached(sys_days d) const {
  if (std::binary_search(settings_.working_days.begin(), settings_.working_days.end(), d)) return true;
  if (std::binary_search(settings_.days_off.begin(), settings_.days_off.end(), d)) return false;
  return !settings_.weekend[date::weekday{d}.c_encoding()];
}

bool working_calendar::is_working(sys_days d) const {
  const year_info* info = cached(year_of(d));
  if (info == nullptr) return is_working_uncached(d);
  return !info->off.test(static_cast<std::size_t>((d - info->first).count()));
}

sys_days working_calendar::next_working_on_or_after(sys_days d) const {
  for (std::int64_t i = 0; i < search_limit_days; ++i, d += date::days{1})
    if (is_working(d)) return d;
  throw std::domain_error("no working day within ten years: is every day of the week a weekend day?");
}

sys_days working_calendar::previous_working_on_or_before(sys_days d) const {
  for (std::int64_t i = 0; i < search_limit_days; ++i, d -= date::days{1})
    if (is_working(d)) return d;
  throw std::domain_error("no working day within ten years: is every day of the week a weekend day?");
}

sys_days working_calendar::add_working_days(sys_days d, std::int64_t n) const {
  for (; n > 0; --n) d = next_working_on_or_after(d + date::days{1});
  for (; n < 0; ++n) d = previous_working_on_or_before(d - date::days{1});
  return d;
}

std::vector<calendar_entry> working_calendar::year_listing(int y) const {
  if (const year_info* info = cached(y)) return info->listing;
  return build(y)->listing;
}

}  // namespace dondoc::scheduler
