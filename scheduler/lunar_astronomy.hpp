// The astronomy under the lunar calendar, and the calendar rules applied to it.
// Kept apart from lunar.hpp so that tests (and a verification against other ephemerides)
// can reach the pieces: Meeus' new-moon series, the sun's apparent longitude, ΔT, and
// the month starts the rules give for any UTC offset (UTC+7 is Vietnam's; UTC+8 gives
// the Chinese calendar, handy for checking against published Chinese tables).
#pragma once

#include <cstdint>
#include <vector>

namespace dondoc::scheduler::astro {

// Julian Day of 1970-01-01T00:00 UT, the epoch of date::sys_days.
inline constexpr double jd_unix_epoch = 2440587.5;

// ΔT = TT − UT in seconds for a decimal year (Espenak & Meeus polynomials; the post-2005
// branches are extrapolations, good to a minute or so by 2100).
double delta_t_seconds(double decimal_year);

// Julian Ephemeris Day (TT) of the true new moon of lunation k (k = 0: 2000-01-06),
// Meeus, "Astronomical Algorithms" 2nd ed., chapter 49, with all periodic and
// planetary terms; a few seconds from the modern ephemerides.
double new_moon_jde(std::int64_t k);

// The sun's apparent geocentric longitude in degrees [0, 360) at `jde` (TT): VSOP87
// truncated as in Meeus chapter 32/appendix III, FK5 correction, nutation in longitude
// and aberration (chapter 25, "higher accuracy"); about one arc second.
double sun_apparent_longitude(double jde);

// Decimal year of a Julian Day (for ΔT).
double decimal_year(double jd);

// One lunar month as the rules place it.
struct month_start {
  std::int32_t day = 0;   // its first day, days since 1970-01-01 (local civil date)
  std::int16_t year = 0;  // lunar year: the Gregorian year in which that year's month 1 began
  std::int8_t month = 0;  // 1..12
  bool leap = false;
};

// Every lunar month that starts between month 11 of Gregorian year first_year − 1 and
// month 11 of last_year (exclusive), in order, computed with civil days at UTC +
// utc_offset_hours: a month starts on the day of a new moon; month 11 contains the
// winter solstice; in a 13-month span between two months 11, the first month without a
// principal term (the sun's longitude crossing a multiple of 30°) is leap and repeats the
// number of the month before it.
std::vector<month_start> month_starts(int first_year, int last_year, double utc_offset_hours);

}  // namespace dondoc::scheduler::astro
