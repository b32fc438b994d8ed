// Holiday schedule data files (calendar/vn/YYYY.toml, format in calendar/README.md).
//
// A schedule is what the government actually published for one year: which days of
// which holiday are off, and which Saturdays are worked in exchange. The files are data
// an operator extends, so the parser is strict and says exactly where and what: unknown
// keys, wrong types, a kind that does not exist, a date far from the file's year.
// Shipped files are compiled in (CMake generates builtin_calendars.cpp from
// calendar/vn/*.toml) and parsed once, at first use.
#include "config/calendar_data.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>

#include "config/embedded_files.hpp"
#include "text/text.hpp"

namespace dondoc::config {
namespace {

constexpr std::array<std::string_view, 6> builtin_ids{"tet_duong_lich", "tet_am_lich",      "gio_to",
                                                      "giai_phong",     "quoc_te_lao_dong", "quoc_khanh"};
constexpr int min_year = 1900;
constexpr int max_year = 2100;

bool valid_id(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::optional<day_kind> kind_from(std::string_view s) {
  if (s == "holiday") return day_kind::holiday;
  if (s == "compensatory") return day_kind::compensatory;
  if (s == "swapped_off") return day_kind::swapped_off;
  if (s == "swapped_working") return day_kind::swapped_working;
  return std::nullopt;
}

// The year a file name promises: "2024.toml" -> 2024; other names promise nothing.
std::optional<int> year_of_file_name(const std::string& file_name) {
  const auto slash = file_name.find_last_of('/');
  const std::string base = slash == std::string::npos ? file_name : file_name.substr(slash + 1);
  if (base.size() != 9 || base.substr(4) != ".toml") return std::nullopt;
  int y = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (base[i] < '0' || base[i] > '9') return std::nullopt;
    y = y * 10 + (base[i] - '0');
  }
  return y;
}

class schedule_parser {
 public:
  schedule_parser(const std::string& file, std::vector<diagnostic>& diags) : file_(file), diags_(diags) {}

  std::optional<year_schedule> parse(const toml::table& root) {
    year_schedule out;
    out.source = file_;
    check_keys(root, {"year", "holidays"}, "the file");

    const toml::node* year = root.get("year");
    if (year == nullptr) {
      error_at_file("missing \"year\" (e.g. year = 2024)");
    } else if (const auto* y = year->as_integer(); y == nullptr || y->get() < min_year || y->get() > max_year) {
      error(*year, fmt::format("\"year\" must be an integer from {} to {}", min_year, max_year));
    } else {
      out.year = static_cast<int>(y->get());
      if (auto promised = year_of_file_name(file_); promised && *promised != out.year)
        error(*year, fmt::format("\"year\" is {} but the file name says {}", out.year, *promised));
    }

    const toml::node* holidays = root.get("holidays");
    if (holidays == nullptr) {
      error_at_file("missing [[holidays]]: a schedule names at least one holiday");
    } else if (const auto* arr = holidays->as_array(); arr == nullptr || !arr->is_array_of_tables()) {
      error(*holidays, "\"holidays\" must be an array of tables ([[holidays]] sections)");
    } else {
      std::map<std::string, std::uint32_t> seen;  // id -> line
      for (const toml::node& n : *arr) {
        if (auto h = parse_holiday(*n.as_table(), out.year)) {
          if (auto [it, fresh] = seen.emplace(h->id, n.source().begin.line); !fresh) {
            error(n, fmt::format("holiday \"{}\" is listed twice (first at line {})", h->id, it->second));
            continue;
          }
          out.holidays.push_back(std::move(*h));
        }
      }
    }
    if (failed_) return std::nullopt;
    return out;
  }

 private:
  std::optional<holiday_schedule> parse_holiday(const toml::table& t, int year) {
    check_keys(t, {"id", "name", "days"}, "[[holidays]]");
    holiday_schedule h;
    bool ok = true;

    if (const toml::node* id = t.get("id"); id == nullptr) {
      error(t, "[[holidays]] needs an \"id\", e.g. id = \"tet_am_lich\"");
      ok = false;
    } else if (const auto* s = id->as_string(); s == nullptr || !valid_id(s->get())) {
      error(*id, "\"id\" must be a string of lower-case letters, digits, '_' or '-'");
      ok = false;
    } else {
      h.id = s->get();
    }
    const bool builtin = std::find(builtin_ids.begin(), builtin_ids.end(), h.id) != builtin_ids.end();

    if (const toml::node* name = t.get("name"); name != nullptr) {
      if (const auto* s = name->as_string(); s != nullptr && !s->get().empty()) {
        h.name = text::nfc(s->get());
      } else {
        error(*name, "\"name\" must be a non-empty string");
        ok = false;
      }
    } else if (!builtin && !h.id.empty()) {
      error(t, fmt::format("holiday \"{}\" is not built in, so it needs a \"name\" (shown as the reason)", h.id));
      ok = false;
    }

    const toml::node* days = t.get("days");
    const toml::array* arr = days != nullptr ? days->as_array() : nullptr;
    if (days == nullptr) {
      error(t, "[[holidays]] needs \"days\", e.g. days = [{ date = 2024-04-30, kind = \"holiday\" }]");
      ok = false;
    } else if (arr == nullptr || arr->empty()) {
      error(*days, "\"days\" must be a non-empty array of { date = YYYY-MM-DD, kind = \"…\" } tables");
      ok = false;
    } else {
      std::map<sys_days, std::uint32_t> seen;
      for (const toml::node& n : *arr) {
        auto d = parse_day(n, year);
        if (!d) {
          ok = false;
          continue;
        }
        if (auto [it, fresh] = seen.emplace(d->date, n.source().begin.line); !fresh) {
          error(n, fmt::format("{} is listed twice in holiday \"{}\" (first at line {})", date::format("%F", d->date),
                               h.id, it->second));
          ok = false;
          continue;
        }
        h.days.push_back(std::move(*d));
      }
      std::sort(h.days.begin(), h.days.end(), [](const auto& a, const auto& b) { return a.date < b.date; });
    }
    if (!ok) return std::nullopt;
    return h;
  }

  std::optional<schedule_day> parse_day(const toml::node& n, int year) {
    const auto* t = n.as_table();
    if (t == nullptr) {
      error(n, "each day must be a table: { date = YYYY-MM-DD, kind = \"holiday\", reason = \"…\" }");
      return std::nullopt;
    }
    check_keys(*t, {"date", "kind", "reason"}, "a day");
    schedule_day d;
    bool ok = true;

    const toml::node* date_node = t->get("date");
    if (date_node == nullptr) {
      error(n, "a day needs a \"date\" (YYYY-MM-DD, without quotes)");
      ok = false;
    } else if (const auto* v = date_node->as_date(); v == nullptr) {
      error(*date_node, "\"date\" must be a TOML date (YYYY-MM-DD, without quotes)");
      ok = false;
    } else {
      const toml::date td = v->get();
      d.date = sys_days{date::year{td.year} / date::month{td.month} / date::day{td.day}};
      // A schedule may reach across New Year (31/12 swapped for a Saturday in January), no further.
      if (year != 0 && (td.year < year - 1 || td.year > year + 1)) {
        error(*date_node, fmt::format("{} is too far from the schedule's year {}", date::format("%F", d.date), year));
        ok = false;
      }
    }

    if (const toml::node* kind = t->get("kind"); kind != nullptr) {
      const auto* s = kind->as_string();
      auto k = s != nullptr ? kind_from(s->get()) : std::nullopt;
      if (!k) {
        error(*kind, "\"kind\" must be one of \"holiday\", \"compensatory\", \"swapped_off\", \"swapped_working\"");
        ok = false;
      } else {
        d.kind = *k;
      }
    }

    if (const toml::node* reason = t->get("reason"); reason != nullptr) {
      if (const auto* s = reason->as_string()) {
        d.reason = text::nfc(s->get());
      } else {
        error(*reason, "\"reason\" must be a string");
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return d;
  }

  void check_keys(const toml::table& t, std::initializer_list<std::string_view> known, std::string_view where) {
    for (auto&& [k, v] : t) {
      if (std::find(known.begin(), known.end(), k.str()) != known.end()) continue;
      std::string list;
      for (auto n : known) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", n);
      add(k.source().begin.line, k.source().begin.column,
          fmt::format("unknown key \"{}\" in {} (expected {})", k.str(), where, list));
    }
  }

  void error(const toml::node& n, std::string message) {
    add(n.source().begin.line, n.source().begin.column, std::move(message));
  }
  void error_at_file(std::string message) { add(0, 0, std::move(message)); }
  void add(std::uint32_t line, std::uint32_t column, std::string message) {
    diags_.push_back({diagnostic::severity_t::error, file_, line, column, std::move(message)});
    failed_ = true;
  }

  const std::string& file_;
  std::vector<diagnostic>& diags_;
  bool failed_ = false;
};

}  // namespace

std::optional<year_schedule> parse_year_schedule(std::string_view text, const std::string& file_name,
                                                 std::vector<diagnostic>& diags) {
  toml::table root;
  try {
    root = toml::parse(text, file_name);
  } catch (const toml::parse_error& e) {
    diags.push_back({diagnostic::severity_t::error, file_name, e.source().begin.line, e.source().begin.column,
                     std::string{e.description()}});
    return std::nullopt;
  }
  const std::size_t first_new = diags.size();
  auto out = schedule_parser{file_name, diags}.parse(root);
  std::stable_sort(diags.begin() + static_cast<std::ptrdiff_t>(first_new), diags.end(),
                   [](const diagnostic& a, const diagnostic& b) {
                     return std::pair{a.line, a.column} < std::pair{b.line, b.column};
                   });
  return out;
}

const std::vector<year_schedule>& builtin_year_schedules() {
  static const std::vector<year_schedule> schedules = [] {
    std::vector<year_schedule> out;
    std::vector<diagnostic> diags;
    for (std::size_t i = 0; i < embedded::calendar_files_count; ++i) {
      const embedded::file& f = embedded::calendar_files[i];
      if (auto s = parse_year_schedule(f.text, f.name, diags)) {
        s->source = fmt::format("built-in:{}", s->year);
        out.push_back(std::move(*s));
      }
    }
    // A shipped file that does not parse is a bug of the build, not of the operator.
    if (!diags.empty()) {
      const diagnostic& d = diags.front();
      throw std::logic_error(
          fmt::format("shipped calendar data is invalid: {}:{}:{}: {}", d.file, d.line, d.column, d.message));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.year < b.year; });
    return out;
  }();
  return schedules;
}

}  // namespace dondoc::config
