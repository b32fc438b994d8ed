// `dondoc`: the administrator's and coordinator's tool. main() only parses and dispatches.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace dondoc::cli;
  CLI::App app{"dondoc — deadlines, reminders and escalation for government reports"};
  app.require_subcommand(1);
  app.set_version_flag("--version", DONDOC_VERSION);
  registry reg;
  add_check(app, reg);
  add_calendar_commands(app, reg);
  add_plan(app, reg);
  add_templates(app, reg);
  add_simulate(app, reg);
  add_admin_commands(app, reg);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_usage;
  }
  try {
    for (auto& c : reg.commands)
      if (c.app->parsed()) return c.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dondoc: error: %s\n", e.what());
    return exit_invalid;
  }
  return exit_usage;
}
