// Which civil days are working days for state agencies, and why the others are not:
// the configured weekend, Vietnamese public holidays (built-in rules of Bộ luật Lao động
// 2012/2019, with Tết and Giỗ Tổ from the lunar calendar), published official schedules
// (data files under calendar/vn/, which win over the rules for the holidays they name),
// and the roster's own extra days off / swapped working days.
// Pure: built once from config::calendar_settings, then only read.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace dondoc::scheduler {

using config::sys_days;

struct calendar_entry {
  sys_days date;
  bool working = false;
  config::day_kind kind = config::day_kind::weekend;
  std::string reason;  // Vietnamese, e.g. "Thứ Bảy", "Tết Nguyên đán", "Nghỉ bù Quốc khánh"
};

class working_calendar {
 public:
  explicit working_calendar(const config::calendar_settings& settings);

  // Meaningful for any year (the rules reach 1900-2100; outside that, only the weekend
  // and explicit days apply).
  bool is_working(sys_days d) const;

  // The first working day >= d / <= d.
  sys_days next_working_on_or_after(sys_days d) const;
  sys_days previous_working_on_or_before(sys_days d) const;
  // Moves n working days forward (n > 0) or back (n < 0) from d; from a non-working day,
  // the first step lands on the nearest working day in that direction.
  sys_days add_working_days(sys_days d, std::int64_t n) const;

  // Every non-working day and every swapped/extra working day of `year`, in date order.
  std::vector<calendar_entry> year_listing(int year) const;

 private:
  struct year_info;
  const year_info& year(int y) const;

  config::calendar_settings settings_;
  mutable std::mutex mutex_;
  mutable std::map<int, year_info*> years_;  // owned; built lazily, never freed before *this
  std::vector<std::unique_ptr<year_info>> owned_;
};

// The built-in holiday days of one year from the rules alone (no data files, no
// weekend entries): statutory holidays and compensatory days, given the weekend.
std::vector<calendar_entry> rule_holidays(int year, const std::array<bool, 7>& weekend);

}  // namespace dondoc::scheduler
