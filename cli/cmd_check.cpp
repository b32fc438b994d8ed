// `dondoc check`: validates the roster and says exactly what is wrong, or one line
// saying what it holds.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <map>

#include <unistd.h>

#include "cli/commands.hpp"
#include "config/config.hpp"

namespace dondoc::cli {
namespace {

std::string deadline_kind(const config::deadline_rule& d) {
  using e = config::deadline_rule::every_t;
  switch (d.every) {
    case e::year: return "yearly";
    case e::half_year: return "half-yearly";
    case e::quarter: return "quarterly";
    case e::month: return "monthly";
    case e::once_date:
    case e::once_at: return "one-off";
  }
  return "?";
}

std::string counts(const std::map<std::string, int>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", v, k);
  return out;
}

}  // namespace

std::string summary_line(const config::config& cfg, std::size_t warnings) {
  std::map<std::string, int> unit_kinds, report_kinds;
  std::size_t contacts = cfg.contacts.size();
  for (const auto& u : cfg.units) {
    ++unit_kinds[u.kind.empty() ? "(no kind)" : u.kind];
    contacts += u.contacts.size();
  }
  for (const auto& r : cfg.reports) ++report_kinds[deadline_kind(r.deadline)];
  auto plural = [](std::size_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); };
  auto detail = [&](const std::map<std::string, int>& m) { return m.empty() ? std::string() : " (" + counts(m) + ")"; };
  return fmt::format("{}: ok: {}{}, {}, {}{}, {}", cfg.files.front(), plural(cfg.units.size(), "unit"),
                     detail(unit_kinds), plural(contacts, "contact"), plural(cfg.reports.size(), "report"),
                     detail(report_kinds), plural(warnings, "warning"));
}

void add_check(CLI::App& app, registry& reg) {
  auto* cmd = app.add_subcommand("check", "Validate the configuration and roster");
  auto path = std::make_shared<std::string>(default_config_path);
  cmd->add_option("--config", *path, "Configuration file")->capture_default_str();
  reg.add(cmd, [path] {
    const auto result = config::load(*path);
    for (const auto& d : result.diagnostics) std::fprintf(stderr, "%s\n", config::format(d).c_str());
    if (!result.ok()) {
      // Every stderr line is a diagnostic in the contract's format when a program reads
      // it; a person at a terminal also gets the count.
      if (::isatty(STDERR_FILENO) == 1)
        std::fprintf(stderr, "%zu error%s\n", result.errors(), result.errors() == 1 ? "" : "s");
      return static_cast<int>(exit_invalid);
    }
    std::printf("%s\n", summary_line(*result.cfg, result.warnings()).c_str());
    return static_cast<int>(exit_ok);
  });
}

}  // namespace dondoc::cli
