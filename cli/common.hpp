// Helpers shared by the `dondoc` commands.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <date/date.h>

#include "config/config.hpp"

namespace dondoc::cli {

// Loads the configuration, printing diagnostics to stderr; null on error.
std::shared_ptr<const config::config> load_or_report(const std::string& path);

// Strict YYYY-MM-DD.
std::optional<date::sys_days> parse_date(const std::string& s);

}  // namespace dondoc::cli
