// RFC 5545 calendars of deadlines: one all-day event on L per occurrence and unit, with
// an alarm at each reminder, so Outlook or Thunderbird can subscribe to the plan.
#pragma once

#include <string>
#include <vector>

#include "scheduler/plan.hpp"

namespace dondoc::scheduler {

struct ics_event {
  const occurrence* occ = nullptr;
  std::int32_t unit = -1;             // -1: one event for the whole occurrence
  std::vector<sys_seconds> alarms;    // reminder times
};

// A VCALENDAR with the events, CRLF line ends, lines folded at 75 octets.
std::string write_ics(const planner& p, const std::vector<ics_event>& events, const std::string& calendar_name);

// Events for occurrences whose L lies in [from, to] (civil dates), one per unit.
std::string plan_ics(const planner& p, sys_days from, sys_days to, std::optional<std::int32_t> report,
                     std::optional<std::int32_t> unit);

}  // namespace dondoc::scheduler
