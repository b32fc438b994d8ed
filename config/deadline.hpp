// Calendar arithmetic of deadline rules that needs no working-day calendar: which civil
// dates are nominal deadlines of a rule, and the period each belongs to. Shared by the
// loader (to check `first`) and the scheduler.
#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"

namespace dondoc::config {

// The first nominal date of `rule` on or after `d` (a one-off rule has one date only).
std::optional<sys_days> next_nominal(const deadline_rule& rule, sys_days d, const date::time_zone* zone);
// The last nominal date on or before `d`.
std::optional<sys_days> previous_nominal(const deadline_rule& rule, sys_days d, const date::time_zone* zone);

// The stable period label of a nominal date: "2019" (year), "2019-H1"/"2019-H2",
// "2019-Q3", "2019-06" (month), "once". The store keys occurrences by (report, period)
// so that editing a report's date renames its occurrences but keeps their history.
std::string period_key(const deadline_rule& rule, sys_days nominal);

// Civil date of a one-off `at` instant in the service zone.
sys_days civil_date(sys_seconds t, const date::time_zone* zone);

}  // namespace dondoc::config
