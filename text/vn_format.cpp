#include "text/vn_format.hpp"

#include <array>
#include <cstdio>

namespace dondoc::text {

std::string weekday_vn(date::sys_days d, bool capital) {
  static constexpr std::array<const char*, 7> lower{"Chủ nhật", "thứ Hai", "thứ Ba", "thứ Tư",
                                                    "thứ Năm",  "thứ Sáu", "thứ Bảy"};
  const unsigned wd = date::weekday{d}.c_encoding();
  std::string s = lower[wd];
  if (capital && s[0] == 't') s[0] = 'T';
  return s;
}

std::string date_vn(date::sys_days d) {
  const date::year_month_day ymd{d};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02u/%02u/%04d", static_cast<unsigned>(ymd.day()),
                static_cast<unsigned>(ymd.month()), static_cast<int>(ymd.year()));
  return buf;
}

std::string long_date_vn(date::sys_days d, bool capital) { return weekday_vn(d, capital) + ", " + date_vn(d); }

std::string date_time_vn(date::sys_days d, std::chrono::minutes time_of_day) {
  char buf[32];
  const auto m = time_of_day.count();
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(m / 60 % 100), static_cast<int>(m % 60));
  return date_vn(d) + " " + buf;
}

}  // namespace dondoc::text
