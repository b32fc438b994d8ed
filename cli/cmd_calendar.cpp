// `dondoc calendar YEAR` lists the days off (and the swapped working days) the reminders
// plan with, so an administrator can compare them with the government's announcement
// before trusting the deadlines; `dondoc lunar DATE` converts a date to âm lịch.
// Both are thin: the work is in scheduler/working_calendar and scheduler/lunar.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "config/calendar_data.hpp"
#include "scheduler/lunar.hpp"
#include "scheduler/working_calendar.hpp"
#include "text/text.hpp"
#include "text/vn_format.hpp"

namespace dondoc::cli {
namespace {

constexpr int calendar_first_year = 2013;  // the holiday rules begin with Bộ luật Lao động 2012

std::string iso(date::sys_days d) { return date::format("%F", d); }

std::string_view kind_label(config::day_kind k) {
  switch (k) {
    case config::day_kind::weekend:
      return "nghỉ hằng tuần";
    case config::day_kind::holiday:
      return "nghỉ lễ, tết";
    case config::day_kind::compensatory:
      return "nghỉ bù";
    case config::day_kind::swapped_off:
      return "nghỉ hoán đổi";
    case config::day_kind::swapped_working:
      return "làm bù";
    case config::day_kind::extra_off:
      return "nghỉ thêm";
    case config::day_kind::extra_working:
      return "làm việc thêm";
  }
  return "";
}

// Pads to `width` code points (the columns hold Vietnamese text).
std::string pad(std::string_view s, std::size_t width) {
  std::string out{s};
  for (std::size_t n = text::code_points(s); n < width; ++n) out += ' ';
  return out;
}

// The [calendar] settings: from --config, else from the default file when it exists,
// else the defaults with the shipped schedules. Null after reporting a bad config.
std::optional<config::calendar_settings> calendar_settings_for(const std::string& explicit_path) {
  std::string path = explicit_path;
  if (path.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(default_config_path, ec)) path = default_config_path;
  }
  if (path.empty()) {
    config::calendar_settings s;
    for (const auto& ys : config::builtin_year_schedules()) s.schedules.emplace(ys.year, ys);
    return s;
  }
  auto cfg = load_or_report(path);
  if (!cfg) return std::nullopt;
  return cfg->calendar;
}

int run_calendar(int year, const std::string& format, const std::string& config_path) {
  if (year < calendar_first_year || year > scheduler::lunar_max_year) {
    std::fprintf(stderr,
                 "dondoc: error: calendar %d: only years %d-%d are known (the holiday rules begin with Bộ luật Lao "
                 "động 2012, the lunar calendar ends in %d)\n",
                 year, calendar_first_year, scheduler::lunar_max_year, scheduler::lunar_max_year);
    return exit_invalid;
  }
  const auto settings = calendar_settings_for(config_path);
  if (!settings) return exit_invalid;
  const scheduler::working_calendar cal(*settings);
  const auto listing = cal.year_listing(year);

  if (format == "json") {
    for (const auto& e : listing) {
      nlohmann::ordered_json j;
      j["date"] = iso(e.date);
      j["working"] = e.working;
      j["kind"] = config::to_string(e.kind);
      j["reason"] = e.reason;
      std::printf("%s\n", j.dump().c_str());
    }
    return exit_ok;
  }

  std::size_t kind_width = 4, weekday_width = 3;
  for (const auto& e : listing) {
    kind_width = std::max(kind_width, text::code_points(kind_label(e.kind)));
    weekday_width = std::max(weekday_width, text::code_points(text::weekday_vn(e.date, true)));
  }
  std::string out = fmt::format("Lịch nghỉ và ngày làm bù năm {}\n\n", year);
  out += fmt::format("{}  {}  {}  {}\n", pad("Ngày", 10), pad("Thứ", weekday_width), pad("Loại", kind_width), "Lý do");
  for (const auto& e : listing) {
    out += fmt::format("{}  {}  {}  {}\n", text::date_vn(e.date), pad(text::weekday_vn(e.date, true), weekday_width),
                       pad(kind_label(e.kind), kind_width), e.reason);
  }
  std::int64_t working = 0, days = 0;
  const date::sys_days first{date::year{year} / 1 / 1}, end{date::year{year + 1} / 1 / 1};
  for (auto d = first; d < end; d += date::days{1}, ++days) working += cal.is_working(d) ? 1 : 0;
  out += fmt::format("\n{} ngày làm việc, {} ngày nghỉ.\n", working, days - working);
  std::fputs(out.c_str(), stdout);
  return exit_ok;
}

int run_lunar(const std::string& date_text, const std::string& format) {
  const auto d = parse_date(date_text);  // the validator already refused malformed dates
  const auto l = d ? scheduler::to_lunar(*d) : std::nullopt;
  if (!l) {
    std::fprintf(stderr, "dondoc: error: lunar %s: only dates from %d-01-01 to %d-12-31 are known\n", date_text.c_str(),
                 scheduler::lunar_min_year, scheduler::lunar_max_year);
    return exit_invalid;
  }
  const std::string name = scheduler::year_name(l->year);
  if (format == "json") {
    nlohmann::ordered_json j;
    j["date"] = iso(*d);
    j["lunar_day"] = l->day;
    j["lunar_month"] = l->month;
    j["lunar_year"] = l->year;
    j["leap"] = l->leap;
    j["year_name"] = name;
    std::printf("%s\n", j.dump().c_str());
    return exit_ok;
  }
  std::printf("%s: ngày %d tháng %d%s năm %s (âm lịch)\n", text::long_date_vn(*d, true).c_str(), l->day, l->month,
              l->leap ? " nhuận" : "", name.c_str());
  return exit_ok;
}

}  // namespace

void add_calendar_commands(CLI::App& app, registry& reg) {
  {
    auto* cmd = app.add_subcommand("calendar", "List the days off and swapped working days of a year");
    auto year = std::make_shared<int>(0);
    auto format = std::make_shared<std::string>("table");
    auto config_path = std::make_shared<std::string>();
    cmd->add_option("YEAR", *year, "Year (2013-2100)")->required();
    cmd->add_option("--format", *format, "Output format")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    cmd->add_option("--config", *config_path,
                    std::string{"Configuration file whose [calendar] applies (default: "} + default_config_path +
                        " when it exists, else the built-in calendar)");
    reg.add(cmd, [year, format, config_path] { return run_calendar(*year, *format, *config_path); });
  }
  {
    auto* cmd = app.add_subcommand("lunar", "Convert a date (YYYY-MM-DD) to the Vietnamese lunar calendar");
    auto when = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>("text");
    cmd->add_option("DATE", *when, "Date, YYYY-MM-DD (1900-01-01 to 2100-12-31)")
        ->required()
        ->check(CLI::Validator(
            [](std::string& s) { return parse_date(s) ? std::string{} : "not a date in the form YYYY-MM-DD: " + s; },
            "YYYY-MM-DD"));
    cmd->add_option("--format", *format, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    reg.add(cmd, [when, format] { return run_lunar(*when, *format); });
  }
}

}  // namespace dondoc::cli
