// New moons and solar terms from Jean Meeus, "Astronomical Algorithms" (2nd ed., 1998),
// then the rules of the Vietnamese (and Chinese) lunisolar calendar on top of them.
//
// Why this precision: the calendar only needs civil *days*, but a new moon or a principal
// term a few minutes from local midnight decides which day a month starts on or whether
// a month is leap. Meeus' new-moon series is good to seconds and the truncated VSOP87
// solar longitude to about a second of arc (≈ 25 s of time), so only events within a
// minute or so of midnight remain uncertain — the same margin ΔT's extrapolation leaves.
// Every month start of 1900-2100 was checked against PyEphem with the same rules
// (bench/lunar_crosscheck.py; results in bench/RESULTS.md): one differs, in 1967, where
// the new moon falls within seconds of midnight.
#include "scheduler/lunar_astronomy.hpp"

#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace dondoc::scheduler::astro {
namespace {

constexpr double pi = std::numbers::pi;
constexpr double deg = pi / 180.0;
constexpr double jd_j2000 = 2451545.0;
constexpr double synodic_month = 29.530588861;

double normalize_degrees(double x) {
  x = std::fmod(x, 360.0);
  return x < 0 ? x + 360.0 : x;
}

double sin_deg(double x) { return std::sin(x * deg); }

// --- VSOP87 Earth, heliocentric ecliptic longitude (Meeus appendix III) -----------------
struct vsop_term {
  double a, b, c;
};

constexpr vsop_term l0[] = {
    {175347046, 0, 0},
    {3341656, 4.6692568, 6283.0758500},
    {34894, 4.62610, 12566.15170},
    {3497, 2.7441, 5753.3849},
    {3418, 2.8289, 3.5231},
    {3136, 3.6277, 77713.7715},
    {2676, 4.4181, 7860.4194},
    {2343, 6.1352, 3930.2097},
    {1324, 0.7425, 11506.7698},
    {1273, 2.0371, 529.6910},
    {1199, 1.1096, 1577.3435},
    {990, 5.233, 5884.927},
    {902, 2.045, 26.298},
    {857, 3.508, 398.149},
    {780, 1.179, 5223.694},
    {753, 2.533, 5507.553},
    {505, 4.583, 18849.228},
    {492, 4.205, 775.523},
    {357, 2.920, 0.067},
    {317, 5.849, 11790.629},
    {284, 1.899, 796.298},
    {271, 0.315, 10977.079},
    {243, 0.345, 5486.778},
    {206, 4.806, 2544.314},
    {205, 1.869, 5573.143},
    {202, 2.458, 6069.777},
    {156, 0.833, 213.299},
    {132, 3.411, 2942.463},
    {126, 1.083, 20.775},
    {115, 0.645, 0.980},
    {103, 0.636, 4694.003},
    {102, 0.976, 15720.839},
    {102, 4.267, 7.114},
    {99, 6.21, 2146.17},
    {98, 0.68, 155.42},
    {86, 5.98, 161000.69},
    {85, 1.30, 6275.96},
    {85, 3.67, 71430.70},
    {80, 1.81, 17260.15},
    {79, 3.04, 12036.46},
    {75, 1.76, 5088.63},
    {74, 3.50, 3154.69},
    {74, 4.68, 801.82},
    {70, 0.83, 9437.76},
    {62, 3.98, 8827.39},
    {61, 1.82, 7084.90},
    {57, 2.78, 6286.60},
    {56, 4.39, 14143.50},
    {56, 3.47, 6279.55},
    {52, 0.19, 12139.55},
    {52, 1.33, 1748.02},
    {51, 0.28, 5856.48},
    {49, 0.49, 1194.45},
    {41, 5.37, 8429.24},
    {41, 2.40, 19651.05},
    {39, 6.17, 10447.39},
    {37, 6.04, 10213.29},
    {37, 2.57, 1059.38},
    {36, 1.71, 2352.87},
    {36, 1.78, 6812.77},
    {33, 0.59, 17789.85},
    {30, 0.44, 83996.85},
    {30, 2.74, 1349.87},
    {25, 3.16, 4690.48},
};
constexpr vsop_term l1[] = {
    {628331966747.0, 0, 0},
    {206059, 2.678235, 6283.075850},
    {4303, 2.6351, 12566.1517},
    {425, 1.590, 3.523},
    {119, 5.796, 26.298},
    {109, 2.966, 1577.344},
    {93, 2.59, 18849.23},
    {72, 1.14, 529.69},
    {68, 1.87, 398.15},
    {67, 4.41, 5507.55},
    {59, 2.89, 5223.69},
    {56, 2.17, 155.42},
    {45, 0.40, 796.30},
    {36, 0.47, 775.52},
    {29, 2.65, 7.11},
    {21, 5.34, 0.98},
    {19, 1.85, 5486.78},
    {19, 4.97, 213.30},
    {17, 2.99, 6275.96},
    {16, 0.03, 2544.31},
    {16, 1.43, 2146.17},
    {15, 1.21, 10977.08},
    {12, 2.83, 1748.02},
    {12, 3.26, 5088.63},
    {12, 5.27, 1194.45},
    {12, 2.08, 4694.00},
    {11, 0.77, 553.57},
    {10, 1.30, 6286.60},
    {10, 4.24, 1349.87},
    {9, 2.70, 242.73},
    {9, 5.64, 951.72},
    {8, 5.30, 2352.87},
    {6, 2.65, 9437.76},
    {6, 4.67, 4690.48},
};
constexpr vsop_term l2[] = {
    {52919, 0, 0},
    {8720, 1.0721, 6283.0758},
    {309, 0.867, 12566.152},
    {27, 0.05, 3.52},
    {16, 5.19, 26.30},
    {16, 3.68, 155.42},
    {10, 0.76, 18849.23},
    {9, 2.06, 77713.77},
    {7, 0.83, 775.52},
    {5, 4.66, 1577.34},
    {4, 1.03, 7.11},
    {4, 3.44, 5573.14},
    {3, 5.14, 796.30},
    {3, 6.05, 5507.55},
    {3, 1.19, 242.73},
    {3, 6.12, 529.69},
    {3, 0.31, 398.15},
    {3, 2.28, 553.57},
    {2, 4.38, 5223.69},
    {2, 3.75, 0.98},
};
constexpr vsop_term l3[] = {
    {289, 5.844, 6283.076}, {35, 0, 0},         {17, 5.49, 12566.15}, {3, 5.20, 155.42},
    {1, 4.72, 3.52},        {1, 5.30, 18849.23}, {1, 5.97, 242.73},
};
constexpr vsop_term l4[] = {{114, 3.142, 0}, {8, 4.13, 6283.08}, {1, 3.84, 12566.15}};
constexpr vsop_term l5[] = {{1, 3.14, 0}};

constexpr vsop_term r0[] = {
    {100013989, 0, 0},           {1670700, 3.0984635, 6283.0758500}, {13956, 3.05525, 12566.15170},
    {3084, 5.1985, 77713.7715},  {1628, 1.1739, 5753.3849},          {1576, 2.8469, 7860.4194},
    {925, 5.453, 11506.770},     {542, 4.564, 3930.210},             {472, 3.661, 5884.927},
};
constexpr vsop_term r1[] = {{103019, 1.107490, 6283.075850}, {1721, 1.0644, 12566.1517}, {702, 3.142, 0}};
constexpr vsop_term r2[] = {{4359, 5.7846, 6283.0758}, {124, 5.579, 12566.152}};

template <std::size_t N>
double series(const vsop_term (&terms)[N], double tau) {
  double sum = 0;
  for (const vsop_term& t : terms) sum += t.a * std::cos(t.b + t.c * tau);
  return sum;
}

// Nutation in longitude, arc seconds (Meeus chapter 22, the 0.5" short form).
double nutation_longitude_arcsec(double t) {
  const double omega = 125.04452 - 1934.136261 * t;
  const double l_sun = 280.4665 + 36000.7698 * t;
  const double l_moon = 218.3165 + 481267.8813 * t;
  return -17.20 * sin_deg(omega) - 1.32 * sin_deg(2 * l_sun) - 0.23 * sin_deg(2 * l_moon) +
         0.21 * sin_deg(2 * omega);
}

// --- Month placement -----------------------------------------------------------------------

// Civil day (days since 1970-01-01 at the given UTC offset) containing the instant `jd_ut`.
std::int32_t civil_day(double jd_ut, double utc_offset_hours) {
  return static_cast<std::int32_t>(std::floor(jd_ut - jd_unix_epoch + utc_offset_hours / 24.0));
}

double tt_to_ut(double jde) { return jde - delta_t_seconds(decimal_year(jde)) / 86400.0; }
double ut_to_tt(double jd) { return jd + delta_t_seconds(decimal_year(jd)) / 86400.0; }

struct placer {
  double offset;  // hours east of UTC

  std::int32_t new_moon_day(std::int64_t k) const { return civil_day(tt_to_ut(new_moon_jde(k)), offset); }

  // Sun's longitude at the local midnight that starts civil day `day`.
  double sun_at_day_start(std::int32_t day) const {
    const double jd_ut = jd_unix_epoch + day - offset / 24.0;
    return sun_apparent_longitude(ut_to_tt(jd_ut));
  }

  // The principal-term sector (0..11) the sun is in when `day` starts.
  int sector(std::int32_t day) const { return static_cast<int>(sun_at_day_start(day) / 30.0); }

  // Lunation whose month contains the winter solstice of Gregorian year `y` (month 11):
  // the last new-moon day on which the sun, at the day's start, is still short of 270°.
  std::int64_t month11_lunation(int y) const {
    // Days from 1970-01-01 to 31 December of y, via a civil-from-days identity.
    const std::int32_t dec31 = days_from_civil(y, 12, 31);
    const double jd_dec31 = jd_unix_epoch + dec31;
    auto k = static_cast<std::int64_t>(std::floor((jd_dec31 - 2451550.09766) / synodic_month));
    // In November-January the longitude is far from the 0°/360° seam, so plain comparisons hold.
    while (sun_at_day_start(new_moon_day(k)) >= 270.0) --k;
    while (sun_at_day_start(new_moon_day(k + 1)) < 270.0) ++k;
    return k;
  }

  static std::int32_t days_from_civil(int y, unsigned m, unsigned d) {
    // Howard Hinnant's days_from_civil, spelled out to keep this file free of <chrono>.
    y -= m <= 2 ? 1 : 0;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int32_t>(doe) - 719468;
  }
};

}  // namespace

double decimal_year(double jd) { return 2000.0 + (jd - jd_j2000) / 365.2425; }

double delta_t_seconds(double y) {
  // Espenak & Meeus (NASA Five Millennium Canon), 1900-2150 branches.
  if (y < 1900) {
    const double t = y - 1860;
    return 7.62 + 0.5737 * t - 0.251754 * t * t + 0.01680668 * t * t * t -
           0.0004473624 * t * t * t * t + t * t * t * t * t / 233174;
  }
  if (y < 1920) {
    const double t = y - 1900;
    return -2.79 + 1.494119 * t - 0.0598939 * t * t + 0.0061966 * t * t * t - 0.000197 * t * t * t * t;
  }
  if (y < 1941) {
    const double t = y - 1920;
    return 21.20 + 0.84493 * t - 0.076100 * t * t + 0.0020936 * t * t * t;
  }
  if (y < 1961) {
    const double t = y - 1950;
    return 29.07 + 0.407 * t - t * t / 233 + t * t * t / 2547;
  }
  if (y < 1986) {
    const double t = y - 1975;
    return 45.45 + 1.067 * t - t * t / 260 - t * t * t / 718;
  }
  if (y < 2005) {
    const double t = y - 2000;
    return 63.86 + 0.3345 * t - 0.060374 * t * t + 0.0017275 * t * t * t + 0.000651814 * t * t * t * t +
           0.00002373599 * t * t * t * t * t;
  }
  if (y < 2050) {
    const double t = y - 2000;
    return 62.92 + 0.32217 * t + 0.005589 * t * t;
  }
  const double u = (y - 1820) / 100;
  return -20 + 32 * u * u - 0.5628 * (2150 - y);
}

double new_moon_jde(std::int64_t k_int) {
  const auto k = static_cast<double>(k_int);
  const double t = k / 1236.85;
  const double t2 = t * t, t3 = t2 * t, t4 = t3 * t;
  double jde = 2451550.09766 + synodic_month * k + 0.00015437 * t2 - 0.000000150 * t3 + 0.00000000073 * t4;

  const double e = 1 - 0.002516 * t - 0.0000074 * t2;
  const double m = 2.5534 + 29.10535670 * k - 0.0000014 * t2 - 0.00000011 * t3;        // sun's anomaly
  const double mp = 201.5643 + 385.81693528 * k + 0.0107582 * t2 + 0.00001238 * t3 - 0.000000058 * t4;
  const double f = 160.7108 + 390.67050284 * k - 0.0016118 * t2 - 0.00000227 * t3 + 0.000000011 * t4;
  const double om = 124.7746 - 1.56375588 * k + 0.0020672 * t2 + 0.00000215 * t3;

  jde += -0.40720 * sin_deg(mp) + 0.17241 * e * sin_deg(m) + 0.01608 * sin_deg(2 * mp) +
         0.01039 * sin_deg(2 * f) + 0.00739 * e * sin_deg(mp - m) - 0.00514 * e * sin_deg(mp + m) +
         0.00208 * e * e * sin_deg(2 * m) - 0.00111 * sin_deg(mp - 2 * f) - 0.00057 * sin_deg(mp + 2 * f) +
         0.00056 * e * sin_deg(2 * mp + m) - 0.00042 * sin_deg(3 * mp) + 0.00042 * e * sin_deg(m + 2 * f) +
         0.00038 * e * sin_deg(m - 2 * f) - 0.00024 * e * sin_deg(2 * mp - m) - 0.00017 * sin_deg(om) -
         0.00007 * sin_deg(mp + 2 * m) + 0.00004 * sin_deg(2 * mp - 2 * f) + 0.00004 * sin_deg(3 * m) +
         0.00003 * sin_deg(mp + m - 2 * f) + 0.00003 * sin_deg(2 * mp + 2 * f) -
         0.00003 * sin_deg(mp + m + 2 * f) + 0.00003 * sin_deg(mp - m + 2 * f) -
         0.00002 * sin_deg(mp - m - 2 * f) - 0.00002 * sin_deg(3 * mp + m) + 0.00002 * sin_deg(4 * mp);

  // Planetary arguments (common to all phases).
  constexpr std::array<std::array<double, 3>, 14> planetary{{
      {299.77, 0.107408, 0.000325},
      {251.88, 0.016321, 0.000165},
      {251.83, 26.651886, 0.000164},
      {349.42, 36.412478, 0.000126},
      {84.66, 18.206239, 0.000110},
      {141.74, 53.303771, 0.000062},
      {207.14, 2.453732, 0.000060},
      {154.84, 7.306860, 0.000056},
      {34.52, 27.261239, 0.000047},
      {207.19, 0.121824, 0.000042},
      {291.34, 1.844379, 0.000040},
      {161.72, 24.198154, 0.000037},
      {239.56, 25.513099, 0.000035},
      {331.55, 3.592518, 0.000023},
  }};
  for (std::size_t i = 0; i < planetary.size(); ++i) {
    double a = planetary[i][0] + planetary[i][1] * k;
    if (i == 0) a -= 0.009173 * t2;
    jde += planetary[i][2] * sin_deg(a);
  }
  return jde;
}

double sun_apparent_longitude(double jde) {
  const double tau = (jde - jd_j2000) / 365250.0;  // Julian millennia
  const double t = tau * 10.0;                      // Julian centuries
  const double l = (series(l0, tau) +
                    tau * (series(l1, tau) +
                           tau * (series(l2, tau) + tau * (series(l3, tau) + tau * (series(l4, tau) +
                                                                                      tau * series(l5, tau)))))) /
                   1e8;
  const double r = (series(r0, tau) + tau * (series(r1, tau) + tau * series(r2, tau))) / 1e8;

  double sun = l / deg + 180.0;           // geocentric, dynamical ecliptic and equinox of date
  sun += -0.09033 / 3600.0;               // to FK5
  sun += nutation_longitude_arcsec(t) / 3600.0;
  sun += -20.4898 / 3600.0 / r;           // aberration
  return normalize_degrees(sun);
}

std::vector<month_start> month_starts(int first_year, int last_year, double utc_offset_hours) {
  if (first_year > last_year) throw std::invalid_argument("month_starts: empty range");
  const placer p{utc_offset_hours};
  std::vector<month_start> out;
  out.reserve(static_cast<std::size_t>(last_year - first_year + 1) * 13);

  std::int64_t k11 = p.month11_lunation(first_year - 1);
  for (int y = first_year; y <= last_year; ++y) {
    const std::int64_t next11 = p.month11_lunation(y);
    const auto count = static_cast<int>(next11 - k11);  // 12 or 13 months
    if (count != 12 && count != 13) throw std::logic_error("month_starts: impossible lunation count");

    std::vector<std::int32_t> starts(static_cast<std::size_t>(count) + 1);
    for (int i = 0; i <= count; ++i) starts[static_cast<std::size_t>(i)] = p.new_moon_day(k11 + i);

    int leap_index = -1;
    if (count == 13) {
      // Month 11 itself holds the solstice; look from the month after it.
      int previous = p.sector(starts[1]);
      for (int i = 1; i < count; ++i) {
        const int next = p.sector(starts[static_cast<std::size_t>(i) + 1]);
        if (next == previous) {
          leap_index = i;
          break;
        }
        previous = next;
      }
      if (leap_index < 0) throw std::logic_error("month_starts: 13 months without a leap month");
    }

    int number = 11;
    int lunar_year = y - 1;
    for (int i = 0; i < count; ++i) {
      const bool leap = i == leap_index;
      if (i > 0 && !leap) {
        number = number % 12 + 1;
        if (number == 1) lunar_year = y;
      }
      out.push_back({starts[static_cast<std::size_t>(i)], static_cast<std::int16_t>(lunar_year),
                     static_cast<std::int8_t>(number), leap});
    }
    k11 = next11;
  }
  return out;
}

}  // namespace dondoc::scheduler::astro
