// Which civil days are working days for state agencies, and why the others are not:
// the configured weekend, Vietnamese public holidays (built-in rules of Bộ luật Lao động
// 2012/2019, with Tết and Giỗ Tổ from the lunar calendar), published official schedules
// (data files under calendar/vn/, which win over the rules for the holidays they name),
// and the roster's own extra days off / swapped working days.
// Pure: built once from config::calendar_settings, then only read (safe for concurrent
// const use; each year's table is built on first touch).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace dondoc::scheduler {

using config::sys_days;

struct calendar_entry {
  sys_days date;
  bool working = false;
  config::day_kind kind = config::day_kind::weekend;
  std::string reason;  // Vietnamese, e.g. "Thứ Bảy", "Tết Nguyên đán", "Nghỉ bù Quốc khánh"
  friend bool operator==(const calendar_entry&, const calendar_entry&) = default;
};

// Precedence of one day, lowest first: the weekend; then holiday days (rules, or a data
// file for the holidays it names; a holiday on a weekend day is listed as `holiday`, a
// swapped working Saturday as `swapped_working`); then the roster's `days_off`
// (`extra_off`) and `working_days` (`extra_working`), which win over everything.
// With vn_holidays = false neither the rules nor the shipped schedules apply (only
// schedules whose source is not "built-in:…", i.e. the operator's own data files).
class working_calendar {
 public:
  explicit working_calendar(const config::calendar_settings& settings);
  ~working_calendar();
  working_calendar(const working_calendar&) = delete;
  working_calendar& operator=(const working_calendar&) = delete;

  // Meaningful for any year (holiday rules from 2013 to 2100; elsewhere only the
  // weekend, the data files and the explicit days apply). O(1) after the first touch of
  // a year.
  bool is_working(sys_days d) const;

  // The first working day >= d / <= d. Throws std::domain_error when there is none within
  // ten years (a weekend of seven days).
  sys_days next_working_on_or_after(sys_days d) const;
  sys_days previous_working_on_or_before(sys_days d) const;
  // Moves n working days forward (n > 0) or back (n < 0) from d; from a non-working day,
  // the first step lands on the nearest working day in that direction. n = 0 gives d.
  sys_days add_working_days(sys_days d, std::int64_t n) const;

  // Every non-working day and every swapped/extra working day of `year`, in date order.
  std::vector<calendar_entry> year_listing(int year) const;

  const config::calendar_settings& settings() const { return settings_; }

 private:
  struct year_info;
  static constexpr int cached_first_year = 1900;
  static constexpr int cached_last_year = 2100;
  static constexpr std::size_t cached_years = cached_last_year - cached_first_year + 1;

  // The table of year y: cached for 1900-2100 (built once, under mutex_), else null.
  const year_info* cached(int y) const;
  std::unique_ptr<year_info> build(int y) const;
  bool is_working_uncached(sys_days d) const;

  config::calendar_settings settings_;
  mutable std::mutex mutex_;
  mutable std::array<std::atomic<const year_info*>, cached_years> cache_{};
  mutable std::vector<std::unique_ptr<year_info>> owned_;  // under mutex_
};

// The built-in name of a holiday id (tet_duong_lich, tet_am_lich, gio_to, giai_phong,
// quoc_te_lao_dong, quoc_khanh), e.g. "Tết Nguyên đán"; nullopt for other ids.
std::optional<std::string_view> builtin_holiday_name(std::string_view id);

// The holiday days of one year (no weekend entries): for each holiday `schedule` names,
// its days as published; for the others the statutory days from the rules, with a
// compensatory day for each statutory day on a weekly rest day. `schedule` may be null;
// with_rules = false gives the schedule's days alone.
// Rules exist for 2013-2100 (Bộ luật Lao động 2012, then 2019 from 2021); other years
// give only the schedule's days. Sorted by date; days may spill into adjacent years when
// a schedule says so.
std::vector<calendar_entry> holidays_of_year(int year, const std::array<bool, 7>& weekend,
                                             const config::year_schedule* schedule, bool with_rules = true);

// The built-in holiday days of one year from the rules alone (no data files, no
// weekend entries): statutory holidays and compensatory days, given the weekend.
std::vector<calendar_entry> rule_holidays(int year, const std::array<bool, 7>& weekend);

}  // namespace dondoc::scheduler
