// Vietnamese renderings of dates and times used in messages, pages and tables.
#pragma once

#include <chrono>
#include <string>

#include <date/date.h>

namespace dondoc::text {

// "thứ Hai" … "thứ Bảy", "Chủ nhật" (capitalised: "Thứ Hai" when `capital`).
std::string weekday_vn(date::sys_days d, bool capital = false);
// "14/06/2019"
std::string date_vn(date::sys_days d);
// "thứ Sáu, 14/06/2019"
std::string long_date_vn(date::sys_days d, bool capital = false);
// "14/06/2019 07:30" from a local date and minutes after midnight.
std::string date_time_vn(date::sys_days d, std::chrono::minutes time_of_day);

}  // namespace dondoc::text
