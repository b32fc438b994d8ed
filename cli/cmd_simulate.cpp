// `dondoc simulate`: shows what dondoc would do over a period, on a virtual clock, with a
// fresh store and only the file outbox.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "daemon/simulate.hpp"
#include "text/text.hpp"

namespace dondoc::cli {
namespace {

struct simulate_args {
  std::string config = default_config_path;
  std::string from, to, replies, format = "table", keep_store, outbox;
};

const char* status_vi(const std::string& s) {
  if (s == "pending") return "chưa nhận";
  if (s == "acknowledged") return "đã nhận";
  if (s == "overdue") return "quá hạn";
  if (s == "submitted") return "đã nộp";
  if (s == "submitted_late") return "nộp muộn";
  if (s == "exempted") return "miễn";
  if (s == "untracked") return "không theo dõi";
  return s.c_str();
}

int run_simulate(const simulate_args& a) {
  auto from = parse_date(a.from), to = parse_date(a.to);
  if (!from || !to || *to < *from) {
    std::fprintf(stderr, "dondoc simulate: --from and --to must be dates YYYY-MM-DD, --to not before --from\n");
    return exit_usage;
  }
  auto cfg = load_or_report(a.config);
  if (!cfg) return exit_invalid;
  daemon::simulation_options opts;
  opts.from = *from;
  opts.to = *to;
  opts.store_dir = a.keep_store;
  opts.outbox_dir = a.outbox;
  if (!a.replies.empty()) {
    std::ifstream in(a.replies, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: error: cannot read the replies file\n", a.replies.c_str());
      return exit_invalid;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    std::vector<std::string> errors;
    auto replies = daemon::parse_replies(ss.str(), *cfg, errors);
    if (!replies) {
      for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
      return exit_invalid;
    }
    opts.replies = std::move(*replies);
  }
  const auto result = daemon::simulate(cfg, opts);
  for (const auto& w : result.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (a.format == "json") {
    for (const auto& o : result.occurrences) {
      nlohmann::ordered_json j;
      j["occurrence"] = o.occurrence;
      j["report"] = o.report;
      j["last_day"] = o.last_day;
      j["deadline"] = o.deadline;
      j["units"] = o.units;
      j["rows"] = o.rows;
      std::printf("%s\n", j.dump().c_str());
    }
    return exit_ok;
  }
  const bool kept = !a.keep_store.empty() || !a.outbox.empty();
  std::printf("Mô phỏng %s → %s: %lld email, %lld SMS vào hộp thư tệp%s%s\n\n", a.from.c_str(), a.to.c_str(),
              static_cast<long long>(result.emails), static_cast<long long>(result.sms),
              kept ? " " : "", kept ? result.outbox_dir.c_str() : "");
  for (const auto& o : result.occurrences) {
    std::printf("%s  (hạn chót %s)\n", o.occurrence.c_str(), o.deadline.c_str());
    std::string units;
    for (const auto& [k, v] : o.units) units += fmt::format("{}{} {}", units.empty() ? "" : ", ", v, status_vi(k));
    std::printf("  Đơn vị: %s\n", units.empty() ? "—" : units.c_str());
    for (const auto& [ch, states] : o.rows) {
      std::string line;
      for (const auto& [st, n] : states) line += fmt::format("{}{} {}", line.empty() ? "" : ", ", n, st);
      std::printf("  %-6s %s\n", ch.c_str(), line.c_str());
    }
    std::printf("\n");
  }
  return exit_ok;
}

}  // namespace

void add_simulate(CLI::App& app, registry& reg) {
  auto args = std::make_shared<simulate_args>();
  auto* cmd = app.add_subcommand("simulate", "Run the engine on a virtual clock with a fresh store and the file outbox");
  cmd->add_option("--config", args->config, "Configuration file")->capture_default_str();
  cmd->add_option("--from", args->from, "First day (YYYY-MM-DD); the run starts at 00:00")->required();
  cmd->add_option("--to", args->to, "Last day (YYYY-MM-DD), inclusive")->required();
  cmd->add_option("--replies", args->replies, "JSON Lines of scripted replies {at, unit, occurrence, action}");
  cmd->add_option("--format", args->format, "table or json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  cmd->add_option("--keep-store", args->keep_store, "Keep the store and outbox in this directory (new or empty)");
  cmd->add_option("--outbox", args->outbox, "Write the file outbox to this directory (new or empty)");
  reg.add(cmd, [args] { return run_simulate(*args); });
}

}  // namespace dondoc::cli
