// The Vietnamese lunisolar calendar (âm lịch), computed at UTC+7 from astronomical
// formulas (Meeus, "Astronomical Algorithms": new moons and the sun's longitude) and the
// rules Hồ Ngọc Đức describes: a month starts on the day of the new moon, the winter
// solstice lies in month 11, and in a 13-month year the first month after the solstice
// without a principal term is the leap month. Not a Chinese (UTC+8) calendar: Tết differs
// in 1985, 2007, 2030 and 2053.
#pragma once

#include <optional>
#include <string>

#include <date/date.h>

namespace dondoc::scheduler {

struct lunar_date {
  int day = 0;     // 1..30
  int month = 0;   // 1..12
  int year = 0;    // the Gregorian year in which this lunar year began
  bool leap = false;
  friend bool operator==(const lunar_date&, const lunar_date&) = default;
};

inline constexpr int lunar_min_year = 1900;
inline constexpr int lunar_max_year = 2100;

// Solar (Gregorian) date -> lunar date. Dates outside 1900-01-01..2100-12-31 give nullopt.
std::optional<lunar_date> to_lunar(date::sys_days d);

// Lunar date -> solar date; nullopt when that lunar date does not exist (e.g. a leap
// month the year lacks, day 30 of a 29-day month) or is out of range.
std::optional<date::sys_days> from_lunar(const lunar_date& l);

// Can chi name of a lunar year, Vietnamese with diacritics: 2019 -> "Kỷ Hợi".
std::string year_name(int lunar_year);

}  // namespace dondoc::scheduler
