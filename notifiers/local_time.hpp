// An instant in the roster's time zone, as the message texts need it: the local day, the
// time of day and the UTC offset then. Shared by the reminder composer (compose.cpp) and
// the digest (digest.cpp).
#pragma once

#include <date/date.h>
#include <date/tz.h>

#include <chrono>

#include "config/config.hpp"

namespace dondoc::notifiers {

struct local_time {
  config::sys_days day;
  std::chrono::minutes tod{0};
  std::chrono::minutes offset{7 * 60};  // UTC+7 when no zone is resolved
};

inline local_time to_local(const config::config& cfg, config::sys_seconds t) {
  using std::chrono::minutes;
  local_time lt;
  if (cfg.service.zone != nullptr) lt.offset = std::chrono::duration_cast<minutes>(cfg.service.zone->get_info(t).offset);
  const auto local = t + lt.offset;
  lt.day = std::chrono::floor<date::days>(local);
  lt.tod = std::chrono::duration_cast<minutes>(local - lt.day);
  return lt;
}

}  // namespace dondoc::notifiers
