// `dondoc plan`: every message the roster would send in a date range, assuming nobody
// answers. Reads only the configuration — never the store or the clock.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "scheduler/ics.hpp"
#include "scheduler/plan_range.hpp"
#include "text/text.hpp"
#include "text/vn_format.hpp"

namespace dondoc::cli {
namespace {

struct plan_args {
  std::string config = default_config_path;
  std::string from, to;
  std::string format = "table";
  std::string unit, report;
};

void print_json(const scheduler::planner& p, const scheduler::range_plan& rp,
                const std::vector<scheduler::plan_send>& sends) {
  const auto& cfg = p.cfg();
  std::string out;
  for (const auto& s : sends) {
    const auto& o = rp.occurrences[static_cast<std::size_t>(s.occurrence)];
    nlohmann::ordered_json j;
    j["at"] = scheduler::rfc3339(s.at, cfg.service.zone);
    j["due"] = scheduler::rfc3339(s.due, cfg.service.zone);
    j["kind"] = scheduler::to_string(s.kind);
    j["report"] = cfg.reports[static_cast<std::size_t>(s.report)].id;
    j["occurrence"] = o.id;
    if (s.unit >= 0) {
      j["unit"] = cfg.units[static_cast<std::size_t>(s.unit)].id;
    } else {
      auto units = nlohmann::ordered_json::array();
      for (std::int32_t u : o.units) units.push_back(cfg.units[static_cast<std::size_t>(u)].id);
      j["units"] = std::move(units);
    }
    j["step"] = s.step;
    j["repeat"] = s.repeat;
    auto to = nlohmann::ordered_json::array();
    for (const auto* c : s.to) to.push_back(c->id);
    j["to"] = std::move(to);
    auto ch = nlohmann::ordered_json::array();
    if (s.channels[0]) ch.push_back("email");
    if (s.channels[1]) ch.push_back("sms");
    j["channels"] = std::move(ch);
    j["key"] = s.keys.front().str();
    auto keys = nlohmann::ordered_json::array();
    for (const auto& k : s.keys) keys.push_back(k.str());
    j["keys"] = std::move(keys);
    out += j.dump();
    out += '\n';
    if (out.size() > (1u << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void print_table(const scheduler::planner& p, const scheduler::range_plan& rp,
                 const std::vector<scheduler::plan_send>& sends) {
  const auto& cfg = p.cfg();
  struct line_t {
    std::string cells[8];
  };
  std::vector<line_t> lines;
  lines.push_back({{"Thời điểm", "Loại", "Báo cáo", "Hạn (ngày cuối)", "Đơn vị", "Bước", "Kênh", "Người nhận"}});
  for (const auto& s : sends) {
    const auto& o = rp.occurrences[static_cast<std::size_t>(s.occurrence)];
    const auto [day, tod] = p.sys_to_local(s.at);
    line_t l;
    l.cells[0] = text::weekday_vn(day, true) + " " + text::date_time_vn(day, tod);
    l.cells[1] = s.kind == scheduler::step_kind::reminder ? "nhắc" : "đôn đốc";
    l.cells[2] = cfg.reports[static_cast<std::size_t>(s.report)].id;
    l.cells[3] = text::date_vn(o.last_day);
    l.cells[4] = s.unit >= 0 ? cfg.units[static_cast<std::size_t>(s.unit)].id
                             : fmt::format("({} đơn vị)", o.units.size());
    const auto& r = cfg.reports[static_cast<std::size_t>(s.report)];
    const auto& st = s.kind == scheduler::step_kind::reminder ? r.reminders[s.step] : r.escalation[s.step];
    l.cells[5] = st.key_name.substr(2) + (s.repeat ? fmt::format(" (lần {})", s.repeat + 1) : "");
    l.cells[6] = s.channels[0] && s.channels[1] ? "email+sms" : (s.channels[0] ? "email" : "sms");
    std::string to;
    for (const auto* c : s.to) to += (to.empty() ? "" : ", ") + c->id;
    l.cells[7] = to;
    lines.push_back(std::move(l));
  }
  std::size_t width[8] = {};
  for (const auto& l : lines)
    for (int i = 0; i < 8; ++i) width[i] = std::max(width[i], text::code_points(l.cells[i]));
  for (const auto& l : lines) {
    std::string out;
    for (int i = 0; i < 8; ++i) {
      out += l.cells[i];
      if (i < 7) out.append(width[i] - text::code_points(l.cells[i]) + 2, ' ');
    }
    std::printf("%s\n", out.c_str());
  }
  std::printf("%zu tin nhắn\n", sends.size());
}

int run_plan(const plan_args& a) {
  auto from = parse_date(a.from), to = parse_date(a.to);
  if (!from || !to) {
    std::fprintf(stderr, "dondoc plan: --from and --to must be dates YYYY-MM-DD\n");
    return exit_usage;
  }
  if (*to < *from) {
    std::fprintf(stderr, "dondoc plan: --to is before --from\n");
    return exit_usage;
  }
  auto cfg = load_or_report(a.config);
  if (!cfg) return exit_invalid;
  scheduler::plan_filter filter;
  if (!a.report.empty()) {
    const auto* r = cfg->find_report(a.report);
    if (r == nullptr) {
      std::fprintf(stderr, "dondoc plan: unknown report \"%s\"\n", a.report.c_str());
      return exit_invalid;
    }
    filter.report = static_cast<std::int32_t>(r - cfg->reports.data());
  }
  if (!a.unit.empty()) {
    const auto u = cfg->unit_index(a.unit);
    if (u < 0) {
      std::fprintf(stderr, "dondoc plan: unknown unit \"%s\"\n", a.unit.c_str());
      return exit_invalid;
    }
    filter.unit = u;
  }
  scheduler::working_calendar cal(cfg->calendar);
  scheduler::planner p(*cfg, cal);
  if (a.format == "ics") {
    const std::string ics = scheduler::plan_ics(p, *from, *to, filter.report, filter.unit);
    std::fwrite(ics.data(), 1, ics.size(), stdout);
    return exit_ok;
  }
  const auto start = p.local_to_sys(*from, std::chrono::minutes{0});
  const auto end = p.local_to_sys(*to + date::days{1}, std::chrono::minutes{0});
  const auto rp = scheduler::plan_range(p, start, end, filter);
  auto sends = scheduler::gather_sends(p, rp);
  if (filter.unit) {
    // Grouped sends stay when they list the unit (plan_range already limits unit rows).
    std::erase_if(sends, [&](const scheduler::plan_send& s) {
      if (s.unit >= 0) return s.unit != *filter.unit;
      const auto& units = rp.occurrences[static_cast<std::size_t>(s.occurrence)].units;
      return std::find(units.begin(), units.end(), *filter.unit) == units.end();
    });
  }
  if (a.format == "json") print_json(p, rp, sends);
  else print_table(p, rp, sends);
  return exit_ok;
}

}  // namespace

void add_plan(CLI::App& app, registry& reg) {
  auto args = std::make_shared<plan_args>();
  auto* cmd = app.add_subcommand("plan", "List every message the roster plans in a date range");
  cmd->add_option("--config", args->config, "Configuration file")->capture_default_str();
  cmd->add_option("--from", args->from, "First day (YYYY-MM-DD)")->required();
  cmd->add_option("--to", args->to, "Last day (YYYY-MM-DD), inclusive")->required();
  cmd->add_option("--format", args->format, "table, json (JSON Lines) or ics")
      ->check(CLI::IsMember({"table", "json", "ics"}))
      ->capture_default_str();
  cmd->add_option("--unit", args->unit, "Only this unit (and grouped messages listing it)");
  cmd->add_option("--report", args->report, "Only this report");
  reg.add(cmd, [args] { return run_plan(*args); });
}

}  // namespace dondoc::cli
