// `dondoc plan`: every message the roster would send in a date range, assuming nobody
// answers. Reads only the configuration — never the store or the clock.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

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

// JSON text of a string (ids are plain identifiers, but the escaping keeps any text valid).
void append_json_string(std::string& out, std::string_view v) {
  out += '"';
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else out += c;
    }
  }
  out += '"';
}

// One JSON Lines object per send, fields in the order DESIGN.md lists them, then `keys`:
// the key of every row behind the send (channel, then recipient order; `key` is the first).
void append_json(std::string& out, const config::config& cfg, const scheduler::plan_send& s,
                 const scheduler::occurrence& o) {
  out += "{\"at\":";
  append_json_string(out, scheduler::rfc3339(s.at, cfg.service.zone));
  out += ",\"due\":";
  append_json_string(out, scheduler::rfc3339(s.due, cfg.service.zone));
  out += ",\"kind\":";
  append_json_string(out, scheduler::to_string(s.kind));
  out += ",\"report\":";
  append_json_string(out, cfg.reports[static_cast<std::size_t>(s.report)].id);
  out += ",\"occurrence\":";
  append_json_string(out, o.id);
  if (s.unit >= 0) {
    out += ",\"unit\":";
    append_json_string(out, cfg.units[static_cast<std::size_t>(s.unit)].id);
  } else {
    out += ",\"units\":[";
    for (std::size_t i = 0; i < o.units.size(); ++i) {
      if (i > 0) out += ',';
      append_json_string(out, cfg.units[static_cast<std::size_t>(o.units[i])].id);
    }
    out += ']';
  }
  out += fmt::format(",\"step\":{},\"repeat\":{},\"to\":[", s.step, s.repeat);
  for (std::size_t i = 0; i < s.to.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, s.to[i]->id);
  }
  out += "],\"channels\":[";
  if (s.channels[0]) out += "\"email\"";
  if (s.channels[1]) out += s.channels[0] ? ",\"sms\"" : "\"sms\"";
  out += "],\"key\":";
  append_json_string(out, s.keys.front().view());
  out += ",\"keys\":[";
  for (std::size_t i = 0; i < s.keys.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, s.keys[i].view());
  }
  out += "]}\n";
}

struct table_line {
  std::string cells[8];
};

table_line table_row(const scheduler::planner& p, const scheduler::plan_send& s, const scheduler::occurrence& o) {
  const auto& cfg = p.cfg();
  const auto [day, tod] = p.sys_to_local(s.at);
  table_line l;
  l.cells[0] = text::weekday_vn(day, true) + " " + text::date_time_vn(day, tod);
  // Duration steps can fire at a second that is not :00 (after = "10s").
  const auto secs = (s.at - p.local_to_sys(day, tod)).count();
  if (secs != 0) l.cells[0] += fmt::format(":{:02}", secs);
  l.cells[1] = s.kind == scheduler::step_kind::reminder ? "nhắc" : "đôn đốc";
  l.cells[2] = cfg.reports[static_cast<std::size_t>(s.report)].id;
  l.cells[3] = text::date_vn(o.last_day);
  l.cells[4] = s.unit >= 0 ? cfg.units[static_cast<std::size_t>(s.unit)].id : fmt::format("({} đơn vị)", o.units.size());
  const auto& r = cfg.reports[static_cast<std::size_t>(s.report)];
  const auto& st = s.kind == scheduler::step_kind::reminder ? r.reminders[s.step] : r.escalation[s.step];
  l.cells[5] = st.key_name.substr(2) + (s.repeat ? fmt::format(" (lần {})", s.repeat + 1) : "");
  l.cells[6] = s.channels[0] && s.channels[1] ? "email+sms" : (s.channels[0] ? "email" : "sms");
  std::string to;
  for (const auto* c : s.to) to += (to.empty() ? "" : ", ") + c->id;
  l.cells[7] = to;
  return l;
}

void print_table(const std::vector<table_line>& body) {
  std::vector<const table_line*> lines;
  static const table_line header{
      {"Thời điểm", "Loại", "Báo cáo", "Hạn (ngày cuối)", "Đơn vị", "Bước", "Kênh", "Người nhận"}};
  lines.push_back(&header);
  for (const auto& l : body) lines.push_back(&l);
  std::size_t width[8] = {};
  for (const auto* l : lines)
    for (int i = 0; i < 8; ++i) width[i] = std::max(width[i], text::code_points(l->cells[i]));
  for (const auto* l : lines) {
    std::string out;
    for (int i = 0; i < 8; ++i) {
      out += l->cells[i];
      if (i < 7) out.append(width[i] - text::code_points(l->cells[i]) + 2, ' ');
    }
    std::printf("%s\n", out.c_str());
  }
  std::printf("%zu tin nhắn\n", body.size());
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
  // [FROM 00:00, TO+1 00:00) in the service zone. With --unit, grouped sends stay when
  // their occurrence lists the unit (for_each_send keeps only those occurrences).
  const auto start = p.local_to_sys(*from, std::chrono::minutes{0});
  const auto end = p.local_to_sys(*to + date::days{1}, std::chrono::minutes{0});
  if (a.format == "json") {
    std::string out;
    scheduler::for_each_send(p, start, end, filter,
                             [&](const scheduler::plan_send& s, const std::vector<scheduler::occurrence>& occs,
                                 const std::vector<scheduler::row>&) {
                               append_json(out, *cfg, s, occs[static_cast<std::size_t>(s.occurrence)]);
                               if (out.size() > (1u << 20)) {
                                 std::fwrite(out.data(), 1, out.size(), stdout);
                                 out.clear();
                               }
                             });
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else {
    std::vector<table_line> body;
    scheduler::for_each_send(p, start, end, filter,
                             [&](const scheduler::plan_send& s, const std::vector<scheduler::occurrence>& occs,
                                 const std::vector<scheduler::row>&) {
                               body.push_back(table_row(p, s, occs[static_cast<std::size_t>(s.occurrence)]));
                             });
    print_table(body);
  }
  return std::fflush(stdout) == 0 ? exit_ok : exit_invalid;
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
