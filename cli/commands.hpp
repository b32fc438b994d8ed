// The `dondoc` tool: one file per command group, each registering its subcommands.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}
namespace dondoc::config {
struct config;
}

namespace dondoc::cli {

// Exit codes of DESIGN.md.
enum exit_code : int { exit_ok = 0, exit_invalid = 1, exit_usage = 2, exit_unreachable = 3 };

inline constexpr const char* default_config_path = "/etc/dondoc/dondoc.toml";

struct registry {
  struct entry {
    CLI::App* app;
    std::function<int()> run;
  };
  std::vector<entry> commands;
  void add(CLI::App* app, std::function<int()> run) { commands.push_back({app, std::move(run)}); }
};

// Each adds its subcommand(s) to `app`.
void add_check(CLI::App& app, registry& reg);
void add_calendar_commands(CLI::App& app, registry& reg);  // calendar, lunar
void add_plan(CLI::App& app, registry& reg);
void add_templates(CLI::App& app, registry& reg);
void add_simulate(CLI::App& app, registry& reg);
void add_admin_commands(CLI::App& app, registry& reg);  // status, ack, submit, …

// "FILE: ok: 34 units (…), 70 contacts, 2 reports (2 yearly), 0 warnings"
std::string summary_line(const config::config& cfg, std::size_t warnings);


}  // namespace dondoc::cli
