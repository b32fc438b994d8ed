// Official holiday schedules as data files (calendar/vn/YYYY.toml): the days off and
// swapped working days the government publishes for civil servants each year. Shipped
// files are compiled into the binary; operators add more with [calendar] data_dir.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace dondoc::config {

// Parses one year's schedule. Errors are appended to `diags` with `file_name` and exact
// line:column; nullopt when the file is unusable.
std::optional<year_schedule> parse_year_schedule(std::string_view text, const std::string& file_name,
                                                 std::vector<diagnostic>& diags);

// The schedules shipped in calendar/vn/, as compiled in.
const std::vector<year_schedule>& builtin_year_schedules();

}  // namespace dondoc::config
