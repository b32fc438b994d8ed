// `dondoc simulate`: the daemon's engine on a virtual clock, with a fresh temporary
// store and only the file outbox, starting as a first start at FROM 00:00 and ending at
// TO+1 00:00 in the service zone. Scripted replies arrive at their times. The result is,
// per occurrence, units per status and rows per channel and state.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace dondoc::daemon {

struct scripted_reply {
  std::chrono::sys_seconds at;
  std::string unit;
  std::string occurrence;
  std::string action;  // ack | submit | exempt
  std::size_t line = 0;
};

// Parses JSON Lines {"at", "unit", "occurrence", "action"}; `at` is RFC 3339, or a local
// "YYYY-MM-DDTHH:MM[:SS]" / "YYYY-MM-DD HH:MM" read in the service zone. Errors name the line.
std::optional<std::vector<scripted_reply>> parse_replies(const std::string& text, const config::config& cfg,
                                                         std::vector<std::string>& errors);

struct occurrence_summary {
  std::string occurrence;
  std::string report;
  std::string last_day;  // YYYY-MM-DD
  std::string deadline;  // RFC 3339
  std::map<std::string, std::int64_t> units;  // status -> count
  std::map<std::string, std::map<std::string, std::int64_t>> rows;  // channel -> state -> count
};

struct simulation_result {
  std::vector<occurrence_summary> occurrences;
  std::int64_t emails = 0;
  std::int64_t sms = 0;
  std::int64_t rounds = 0;
  std::string outbox_dir;
  std::vector<std::string> warnings;
};

struct simulation_options {
  config::sys_days from;
  config::sys_days to;
  std::vector<scripted_reply> replies;
  std::string store_dir;   // empty: a temporary directory, removed afterwards
  std::string outbox_dir;  // empty: STORE_DIR/outbox
};

simulation_result simulate(std::shared_ptr<const config::config> cfg, const simulation_options& opts);

}  // namespace dondoc::daemon
