#include "cli/common.hpp"

#include <cstdio>
#include "config/values.hpp"

namespace dondoc::cli {

std::shared_ptr<const config::config> load_or_report(const std::string& path) {
  auto result = config::load(path);
  for (const auto& d : result.diagnostics)
    if (!result.ok() || d.severity == config::diagnostic::severity_t::error)
      std::fprintf(stderr, "%s\n", config::format(d).c_str());
  return result.cfg;
}

std::optional<date::sys_days> parse_date(const std::string& s) {
  return config::parse_iso_date(s);
}

}  // namespace dondoc::cli
