// The settings half of the loader: [service], [sending], [calendar], [channels] and
// [[sms_templates]]. These are read from every file before any unit or report, and
// settled (defaults, checks that need a split table's every key) before the roster, so a
// reminder's `at` is judged against the office hours in force whichever file sets them.
// Secrets are never values in the roster: a password or key written inline is an error
// that names the *_file key to use instead.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <regex>

#include <date/tz.h>
#include <fmt/format.h>

#include "config/calendar_data.hpp"
#include "config/loader_internal.hpp"
#include "text/text.hpp"

namespace dondoc::config::detail {
namespace {

std::string inline_secret(std::string_view key, std::string_view file_key) {
  return fmt::format("\"{}\" must not be written in the roster: put it in a file in the secrets directory and "
                     "name that file with \"{}\"",
                     key, file_key);
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool host_is_loopback(std::string_view host) {
  return starts_with(host, "127.") || starts_with(host, "localhost") || starts_with(host, "[::1]");
}

bool url_host_is_loopback(std::string_view url) {
  const auto p = url.find("://");
  return p != std::string_view::npos && host_is_loopback(url.substr(p + 3));
}

std::optional<tls_mode> parse_tls(std::string_view s) {
  if (s == "starttls") return tls_mode::starttls;
  if (s == "implicit") return tls_mode::implicit;
  if (s == "none") return tls_mode::none;
  return std::nullopt;
}

// `{name}` placeholders of a template text (names of letters, digits and _ only, so a
// JSON body's own braces are not taken for one).
std::vector<std::string_view> placeholders(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = s.find('{'); i != std::string_view::npos; i = s.find('{', i + 1)) {
    std::size_t j = i + 1;
    while (j < s.size() && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
                            (s[j] >= '0' && s[j] <= '9') || s[j] == '_'))
      ++j;
    if (j > i + 1 && j < s.size() && s[j] == '}') out.push_back(s.substr(i + 1, j - i - 1));
  }
  return out;
}

struct placeholder_info {
  std::string_view name;
  std::int64_t default_max;
};
constexpr placeholder_info sms_placeholders[] = {
    {"unit", 20}, {"report", 20}, {"deadline", 16}, {"last_day", 10}, {"code", 6},
    {"reply_number", 12}, {"count", 5}, {"total", 5}, {"days", 4}, {"occurrence", 40},
};

}  // namespace

void loader::read_settings(const toml::table& root, bool is_main) {
  table_reader tr(*this, root, "at the top level",
                  {"service", "sending", "calendar", "channels", "sms_templates", "contacts", "units", "reports"});
  if (const auto* t = tr.sub_table("service")) read_service(*t, is_main);
  if (const auto* t = tr.sub_table("sending")) read_sending(*t);
  if (const auto* t = tr.sub_table("calendar")) read_calendar(*t);
  if (const auto* t = tr.sub_table("channels")) read_channels(*t);
  if (const toml::node* n = tr.node("sms_templates"))
    each_table(*n, "sms_templates", [&](const toml::table& t) { read_sms_template(t); });
  // Read in the roster pass.
  tr.node("contacts");
  tr.node("units");
  tr.node("reports");
  tr.finish();
}

// ---------------------------------------------------------------------------------------
// [service]

void loader::read_service(const toml::table& t, bool is_main) {
  table_reader tr(*this, t, "in [service]",
                  {"timezone", "state_dir", "listen", "admin_listen", "public_url", "secrets_dir", "trusted_proxies",
                   "include", "token_ttl", "raw_retention", "horizon_days", "admin_password_file", "token_key_file",
                   "admin_password", "token_key"});
  tr.claim_keys("service", {"include"});  // include: only the main file's counts
  auto& s = cfg_.service;
  if (const toml::node* n = tr.node("admin_password")) error(*n, inline_secret("admin_password", "admin_password_file"));
  if (const toml::node* n = tr.node("token_key")) error(*n, inline_secret("token_key", "token_key_file"));
  if (auto v = tr.string("timezone")) {
    saw_timezone_ = true;
    s.timezone = *v;
    s.zone = nullptr;
    try {
      s.zone = date::locate_zone(*v);
    } catch (const std::exception&) {
      std::string hint;
      try {
        const auto& db = date::get_tzdb();
        std::vector<std::string_view> names;
        for (const auto& z : db.zones) names.push_back(z.name());
        hint = closest(*v, names);
      } catch (const std::exception&) {
      }
      value_error(*tr.node("timezone"), "timezone",
                  hint.empty() ? "unknown time zone; Vietnam is \"Asia/Ho_Chi_Minh\""
                               : fmt::format("unknown time zone; did you mean \"{}\"?", hint));
    }
  }
  if (auto v = tr.string("state_dir")) {
    if (v->empty()) error(*tr.node("state_dir"), "\"state_dir\" must not be empty");
    else s.state_dir = *v;
  }
  auto listen_value = [&](std::string_view key, std::string& out) {
    auto v = tr.string(key);
    if (!v) return;
    const toml::node& n = *tr.node(key);
    if (starts_with(*v, "unix:")) {
      if (v->size() <= 5 || (*v)[5] != '/') value_error(n, key, "a unix socket needs an absolute path: unix:/run/…");
    } else {
      const auto colon = v->rfind(':');
      const std::string port = colon == std::string::npos ? "" : v->substr(colon + 1);
      const bool digits = !port.empty() && port.size() <= 5 &&
                          std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (colon == std::string::npos || colon == 0 || !digits || std::stoul(port) > 65535)
        value_error(n, key, "write HOST:PORT (e.g. \"127.0.0.1:8081\") or unix:/path");
    }
    out = *v;
  };
  listen_value("listen", s.listen);
  listen_value("admin_listen", s.admin_listen);
  if (const toml::node* n = tr.node("admin_listen")) admin_listen_loc_ = where(*n);
  if (auto v = tr.string("public_url")) {
    if (!starts_with(*v, "https://") && !starts_with(*v, "http://"))
      value_error(*tr.node("public_url"), "public_url", "must start with https:// (or http://)");
    s.public_url = *v;
    while (!s.public_url.empty() && s.public_url.back() == '/') s.public_url.pop_back();
  }
  if (auto v = tr.string("secrets_dir")) s.secrets_dir = *v;
  if (auto v = tr.strings("trusted_proxies")) {
    s.trusted_proxies.clear();
    for (auto& [p, n] : *v) s.trusted_proxies.push_back(p);
  }
  if (const toml::node* n = tr.node("include")) {
    if (!is_main) error(*n, "\"include\" is read from the main file only; list every file there");
  }
  if (auto v = tr.parsed_value<seconds>("token_ttl", parse_duration)) s.token_ttl = *v;
  if (auto v = tr.parsed_value<seconds>("raw_retention", parse_duration)) s.raw_retention = *v;
  if (auto v = tr.integer("horizon_days", 30, 3660)) s.horizon_days = *v;
  if (auto v = tr.string("admin_password_file")) s.admin_password_file = *v;
  if (auto v = tr.string("token_key_file")) s.token_key_file = *v;
  tr.finish();
}

// ---------------------------------------------------------------------------------------
// [sending]

void loader::read_sending(const toml::table& t) {
  table_reader tr(*this, t, "in [sending]",
                  {"office_hours", "sms_quiet_hours", "sms_per_recipient_per_day", "catch_up_grace", "catch_up_max_age",
                   "retry_max_attempts", "retry_max_age"});
  tr.claim_keys("sending");
  auto& s = cfg_.sending;
  // Windows of one day: in order, not overlapping, not empty.
  auto read_hours = [&](const toml::array& a, std::vector<clock_window>& out) {
    bool ok = true;
    for (const toml::node& e : a) {
      const auto* str = e.as_string();
      if (str == nullptr) {
        error(e, fmt::format("office hours must be windows such as \"07:30-11:30\", not {}", type_name(e.type())));
        ok = false;
        continue;
      }
      auto w = parse_window(str->get(), false);
      if (!w.value) {
        value_error(e, "office_hours", w.error);
        ok = false;
        continue;
      }
      if (!out.empty() && w.value->start < out.back().end) {
        value_error(e, "office_hours", "overlaps or comes before the previous window; list the windows in order");
        ok = false;
        continue;
      }
      out.push_back(*w.value);
    }
    if (ok && out.empty()) {
      error(a, "\"office_hours\" must not be empty");
      ok = false;
    }
    return ok;
  };
  if (const toml::node* n = tr.node("office_hours")) {
    const auto* a = n->as_array();
    if (a == nullptr) {
      error(*n, fmt::format("\"office_hours\" must be an array of windows such as [\"07:30-11:30\", \"13:30-17:00\"], "
                            "or of seasons {{ from = \"MM-DD\", hours = [...] }}, not {}",
                            type_name(n->type())));
    } else if (!a->empty() && a->get(0)->is_table()) {
      std::vector<office_season> seasons;
      std::vector<location> season_locs;
      bool all_ok = true;
      for (const toml::node& e : *a) {
        const auto* st = e.as_table();
        if (st == nullptr) {
          error(e, fmt::format("every office-hours season must be a table {{ from = \"MM-DD\", hours = [...] }}, "
                               "not {}",
                               type_name(e.type())));
          all_ok = false;
          continue;
        }
        table_reader sr(*this, *st, "in an office-hours season", {"from", "hours"});
        office_season season;
        const auto before = error_count_;
        if (auto md = sr.parsed_value<month_day>("from", [](std::string_view x) { return parse_month_day(x, false); },
                                                 true)) {
          season.from_month = md->month;
          season.from_day = md->day;
        }
        if (const toml::node* h = sr.required("hours")) {
          if (const auto* ha = h->as_array()) read_hours(*ha, season.hours);
          else error(*h, fmt::format("\"hours\" must be an array of windows such as \"07:30-11:30\", not {}",
                                     type_name(h->type())));
        }
        sr.finish();
        if (error_count_ != before) {
          all_ok = false;
          continue;
        }
        const auto dup = std::find_if(seasons.begin(), seasons.end(), [&](const office_season& o) {
          return o.from_month == season.from_month && o.from_day == season.from_day;
        });
        if (dup != seasons.end()) {
          error(*st->get("from"), fmt::format("two office-hours seasons start on {:02}-{:02}; the other is at {}",
                                              season.from_month, season.from_day,
                                              place(season_locs[static_cast<std::size_t>(dup - seasons.begin())])));
          all_ok = false;
          continue;
        }
        seasons.push_back(std::move(season));
        season_locs.push_back(where(*st->get("from")));
      }
      std::sort(seasons.begin(), seasons.end(), [](const office_season& a1, const office_season& b1) {
        return std::pair(a1.from_month, a1.from_day) < std::pair(b1.from_month, b1.from_day);
      });
      if (all_ok && !seasons.empty()) s.office_hours = std::move(seasons);
    } else {
      office_season season;
      if (read_hours(*a, season.hours)) s.office_hours = {std::move(season)};
    }
  }
  if (auto w = tr.parsed_value<clock_window>("sms_quiet_hours", [](std::string_view x) { return parse_window(x, true); }))
    s.sms_quiet_hours = *w;
  if (auto v = tr.integer("sms_per_recipient_per_day", 0, 1000)) s.sms_per_recipient_per_day = *v;
  if (auto v = tr.parsed_value<seconds>("catch_up_grace", parse_duration)) s.catch_up_grace = *v;
  if (auto v = tr.parsed_value<offset>("catch_up_max_age", parse_offset)) s.catch_up_max_age = *v;
  if (auto v = tr.integer("retry_max_attempts", 1, 100)) s.retry_max_attempts = *v;
  if (auto v = tr.parsed_value<seconds>("retry_max_age", parse_duration)) s.retry_max_age = *v;
  tr.finish();
}

// ---------------------------------------------------------------------------------------
// [calendar]

void loader::read_calendar(const toml::table& t) {
  table_reader tr(*this, t, "in [calendar]", {"weekend", "holidays", "days_off", "working_days", "data_dir"});
  tr.claim_keys("calendar", {"days_off", "working_days"});  // day lists concatenate
  auto& c = cfg_.calendar;
  if (const toml::node* n = tr.node("weekend")) {
    static constexpr std::array<std::string_view, 7> names{"sunday",   "monday", "tuesday", "wednesday",
                                                           "thursday", "friday", "saturday"};
    std::array<bool, 7> w{};
    bool ok = true;
    if (const auto* a = n->as_array()) {
      for (const toml::node& e : *a) {
        const auto* s = e.as_string();
        if (s == nullptr) {
          error(e, fmt::format("weekend days must be day names such as \"saturday\", not {}", type_name(e.type())));
          ok = false;
          continue;
        }
        std::string lower = s->get();
        for (char& ch : lower)
          if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        const auto it = std::find(names.begin(), names.end(), lower);
        if (it == names.end()) {
          const std::string hint = closest(lower, {names.begin(), names.end()});
          value_error(e, "weekend", hint.empty() ? "not a day name (monday … sunday)"
                                                 : fmt::format("not a day name; did you mean \"{}\"?", hint));
          ok = false;
          continue;
        }
        w[static_cast<std::size_t>(it - names.begin())] = true;
      }
      if (ok && std::all_of(w.begin(), w.end(), [](bool b) { return b; })) {
        error(*n, "\"weekend\" names every day of the week; nothing would ever be sent");
        ok = false;
      }
    } else {
      error(*n, fmt::format("\"weekend\" must be an array of day names, e.g. [\"saturday\", \"sunday\"], not {}",
                            type_name(n->type())));
      ok = false;
    }
    if (ok) c.weekend = w;
  }
  if (auto v = tr.string("holidays")) {
    if (*v == "vn") c.vn_holidays = true;
    else if (*v == "none") c.vn_holidays = false;
    else {
      const std::string hint = closest(*v, {"vn", "none"});
      value_error(*tr.node("holidays"), "holidays",
                  hint.empty() ? "must be \"vn\" (the built-in Vietnamese holidays) or \"none\""
                               : fmt::format("must be \"vn\" or \"none\"; did you mean \"{}\"?", hint));
    }
  }
  auto day_list = [&](std::string_view key, std::vector<sys_days>& out, std::vector<std::pair<sys_days, location>>& locs) {
    const toml::node* n = tr.node(key);
    if (n == nullptr) return;
    const auto* a = n->as_array();
    if (a == nullptr) {
      error(*n, fmt::format("\"{}\" must be an array of dates, e.g. [2019-04-29], not {}", key, type_name(n->type())));
      return;
    }
    for (const toml::node& e : *a) {
      std::optional<sys_days> d;
      if (const auto* dv = e.as_date()) {
        d = to_sys_days(dv->get());
      } else if (const auto* s = e.as_string()) {
        d = parse_iso_date(s->get());
        if (!d) value_error(e, key, "not a date; write YYYY-MM-DD, e.g. 2019-04-29");
      } else {
        error(e, fmt::format("\"{}\" must contain dates (YYYY-MM-DD), not {}", key, type_name(e.type())));
      }
      if (!d) continue;
      out.push_back(*d);
      locs.emplace_back(*d, where(e));
    }
  };
  day_list("days_off", c.days_off, days_off_locs_);
  day_list("working_days", c.working_days, working_days_locs_);
  if (const toml::node* n = tr.node("data_dir")) read_operator_schedules(*n);
  tr.finish();
}

void loader::read_operator_schedules(const toml::node& n) {
  std::vector<std::pair<std::string, const toml::node*>> dirs;
  if (const auto* s = n.as_string()) {
    dirs.emplace_back(s->get(), &n);
  } else if (const auto* a = n.as_array()) {
    for (const auto& e : *a) {
      if (const auto* s2 = e.as_string()) dirs.emplace_back(s2->get(), &e);
      else error(e, fmt::format("\"data_dir\" must contain directory names, not {}", type_name(e.type())));
    }
  } else {
    error(n, fmt::format("\"data_dir\" must be a directory name or an array of them, not {}", type_name(n.type())));
    return;
  }
  for (auto& [d, node] : dirs) {
    const fs::path p = fs::path(d).is_absolute() ? fs::path(d) : fs::path(main_dir_) / d;
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      value_error(*node, "data_dir", fmt::format("no such directory ({})", p.lexically_normal().string()));
      continue;
    }
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".toml") entries.push_back(it->path());
    if (ec) {
      value_error(*node, "data_dir", fmt::format("cannot list the directory: {}", ec.message()));
      continue;
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& f : entries) {
      std::ifstream in(f, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      const std::string text = std::move(ss).str();
      std::vector<diagnostic> sub;
      auto sched = parse_year_schedule(text, f.string(), sub);
      for (auto& dg : sub) {
        // Schedule files are not roster sources; they keep their own name and come last.
        auto it = std::find(extra_files_.begin(), extra_files_.end(), dg.file);
        const auto idx = static_cast<std::uint32_t>(it - extra_files_.begin());
        if (it == extra_files_.end()) extra_files_.push_back(dg.file);
        const location loc{extra_file_bit | idx, dg.line, dg.column};
        if (dg.severity == severity::error) error(loc, std::move(dg.message));
        else warning(loc, std::move(dg.message));
      }
      if (sched) cfg_.calendar.schedules[sched->year] = std::move(*sched);
    }
  }
}

// ---------------------------------------------------------------------------------------
// [channels]

void loader::read_channels(const toml::table& t) {
  table_reader tr(*this, t, "in [channels]", {"email", "sms", "outbox"});
  if (const auto* e = tr.sub_table("email")) read_email(*e);
  if (const auto* s = tr.sub_table("sms")) read_sms(*s);
  if (const auto* o = tr.sub_table("outbox")) {
    table_reader orr(*this, *o, "in [channels.outbox]", {"dir"});
    orr.claim_keys("channels.outbox");
    if (auto v = orr.string("dir", true)) cfg_.channels.outbox.dir = *v;
    orr.finish();
  }
  tr.finish();
}

void loader::read_email(const toml::table& t) {
  table_reader tr(*this, t, "in [channels.email]",
                  {"url", "from", "username", "password_file", "reply_to", "tls", "concurrency", "timeout", "replies",
                   "password"});
  tr.claim_keys("channels.email", {"replies"});
  if (!email_loc_) email_loc_ = where(t);
  email_settings& e = cfg_.channels.email ? *cfg_.channels.email : cfg_.channels.email.emplace();
  if (const toml::node* n = tr.node("password")) {
    error(*n, inline_secret("password", "password_file"));
    email_inline_password_ = true;
  }
  if (auto v = tr.string("url")) {
    if (!starts_with(*v, "smtp://") && !starts_with(*v, "smtps://"))
      value_error(*tr.node("url"), "url", "must start with smtp:// (STARTTLS) or smtps:// (implicit TLS)");
    e.url = *v;
  }
  if (auto v = tr.string("tls")) {
    if (auto m = parse_tls(*v)) {
      e.tls = *m;
      email_tls_loc_ = where(*tr.node("tls"));
    } else {
      const std::string hint = closest(*v, {"starttls", "implicit", "none"});
      value_error(*tr.node("tls"), "tls",
                  hint.empty() ? "must be \"starttls\", \"implicit\" or \"none\""
                               : fmt::format("must be \"starttls\", \"implicit\" or \"none\"; did you mean \"{}\"?", hint));
    }
  }
  if (auto v = tr.string("from")) {
    if (!mailbox_address(*v))
      value_error(*tr.node("from"), "from", "not an address; write \"Name <address@domain>\" or \"address@domain\"");
    e.from = *v;
  }
  if (auto v = tr.string("username")) {
    e.username = *v;
    email_username_loc_ = where(*tr.node("username"));
  }
  if (auto v = tr.string("password_file")) e.password_file = *v;
  if (auto v = tr.string("reply_to")) {
    if (const std::string why = email_problem(*v); !why.empty()) value_error(*tr.node("reply_to"), "reply_to", why);
    e.reply_to = *v;
  }
  if (auto v = tr.integer("concurrency", 1, 64)) e.concurrency = *v;
  if (auto v = tr.parsed_value<seconds>("timeout", parse_duration)) e.timeout = *v;
  if (const auto* r = tr.sub_table("replies")) read_email_replies(*r, e);
  tr.finish();
}

void loader::read_email_replies(const toml::table& t, email_settings& e) {
  table_reader tr(*this, t, "in [channels.email.replies]",
                  {"url", "username", "password_file", "poll", "tls", "password"});
  tr.claim_keys("channels.email.replies");
  if (!replies_loc_) replies_loc_ = where(t);
  email_replies_settings& r = e.replies ? *e.replies : e.replies.emplace();
  if (const toml::node* n = tr.node("password")) error(*n, inline_secret("password", "password_file"));
  if (auto v = tr.string("url")) {
    if (!starts_with(*v, "imaps://") && !starts_with(*v, "imap://"))
      value_error(*tr.node("url"), "url", "must start with imaps:// (or imap:// with tls = \"none\" on loopback)");
    r.url = *v;
  }
  if (auto v = tr.string("tls")) {
    if (auto m = parse_tls(*v)) {
      r.tls = *m;
      replies_tls_loc_ = where(*tr.node("tls"));
    } else {
      value_error(*tr.node("tls"), "tls", "must be \"starttls\", \"implicit\" or \"none\"");
    }
  }
  if (auto v = tr.string("username")) r.username = *v;
  if (auto v = tr.string("password_file")) r.password_file = *v;
  if (auto v = tr.parsed_value<seconds>("poll", parse_duration)) {
    if (*v < seconds{1}) value_error(*tr.node("poll"), "poll", "must be at least 1s");
    else r.poll = *v;
  }
  tr.finish();
}

void loader::read_sms(const toml::table& t) {
  table_reader tr(*this, t, "in [channels.sms]",
                  {"provider", "url", "api_key_file", "secret_key_file", "brandname", "reply_number", "mo_keyword",
                   "mo_secret_file", "method", "headers", "body", "ok_match", "sms_type", "sandbox", "concurrency",
                   "timeout", "api_key", "secret_key", "mo_secret"});
  tr.claim_keys("channels.sms");
  if (!sms_loc_) sms_loc_ = where(t);
  sms_settings& s = cfg_.channels.sms ? *cfg_.channels.sms : cfg_.channels.sms.emplace();
  for (std::string_view secret : {"api_key", "secret_key", "mo_secret"})
    if (const toml::node* n = tr.node(secret)) {
      error(*n, inline_secret(secret, fmt::format("{}_file", secret)));
      sms_inline_secrets_.emplace_back(fmt::format("{}_file", secret));
    }
  if (auto v = tr.string("provider")) {
    sms_provider_given_ = true;
    if (*v == "esms") s.provider = sms_provider::esms;
    else if (*v == "speedsms") s.provider = sms_provider::speedsms;
    else if (*v == "http") s.provider = sms_provider::http;
    else {
      const std::string hint = closest(*v, {"esms", "speedsms", "http"});
      value_error(*tr.node("provider"), "provider",
                  hint.empty() ? "unknown SMS provider; use \"esms\", \"speedsms\" or \"http\" (any other gateway)"
                               : fmt::format("unknown SMS provider; did you mean \"{}\"?", hint));
    }
    if (*v == "esms" || *v == "speedsms" || *v == "http") sms_provider_known_ = true;
  }
  if (auto v = tr.string("url")) {
    if (!starts_with(*v, "https://") && !starts_with(*v, "http://"))
      value_error(*tr.node("url"), "url", "must start with https:// (or http://)");
    s.url = *v;
    sms_url_loc_ = where(*tr.node("url"));
  }
  if (auto v = tr.string("api_key_file")) s.api_key_file = *v;
  if (auto v = tr.string("secret_key_file")) s.secret_key_file = *v;
  if (auto v = tr.string("brandname")) {
    if (v->size() > 11 || !text::gsm_safe(*v))
      value_error(*tr.node("brandname"), "brandname", "at most 11 plain ASCII characters, exactly as registered");
    s.brandname = *v;
  }
  if (auto v = tr.string("reply_number")) {
    if (v->empty() || !std::all_of(v->begin(), v->end(), [](char c) { return (c >= '0' && c <= '9') || c == '+'; }))
      value_error(*tr.node("reply_number"), "reply_number", "write the short code or number in digits, e.g. \"8077\"");
    s.reply_number = *v;
  }
  if (auto v = tr.string("mo_keyword")) s.mo_keyword = *v;
  if (auto v = tr.string("mo_secret_file")) s.mo_secret_file = *v;
  if (auto v = tr.string("method")) {
    if (*v != "POST" && *v != "GET" && *v != "PUT") value_error(*tr.node("method"), "method", "must be POST, GET or PUT");
    s.method = *v;
  }
  if (const auto* h = tr.sub_table("headers")) {
    for (auto&& [k, v] : *h) {
      if (const auto* str = v.as_string()) s.headers[std::string(k.str())] = str->get();
      else error(v, fmt::format("header \"{}\" must be a string, not {}", k.str(), type_name(v.type())));
    }
  }
  if (auto v = tr.string("body")) {
    s.body = *v;
    sms_body_loc_ = where(*tr.node("body"));
  }
  if (auto v = tr.string("ok_match")) {
    try {
      const std::regex re(*v);
      s.ok_match = *v;
    } catch (const std::regex_error& ex) {
      value_error(*tr.node("ok_match"), "ok_match", fmt::format("not a valid regular expression ({})", ex.what()));
    }
  }
  if (const toml::node* n = tr.node("sms_type")) {
    if (const auto* i = n->as_integer()) s.sms_type = std::to_string(i->get());
    else if (const auto* str = n->as_string()) s.sms_type = str->get();
    else error(*n, fmt::format("\"sms_type\" must be a number, not {}", type_name(n->type())));
  }
  if (auto v = tr.boolean("sandbox")) s.sandbox = *v;
  if (auto v = tr.integer("concurrency", 1, 64)) s.concurrency = *v;
  if (auto v = tr.parsed_value<seconds>("timeout", parse_duration)) s.timeout = *v;
  tr.finish();
}

// ---------------------------------------------------------------------------------------
// [[sms_templates]]

void loader::read_sms_template(const toml::table& t) {
  table_reader tr(*this, t, "in [[sms_templates]]", {"id", "text", "max", "parts"});
  sms_template st;
  st.where = where(t);
  location id_loc = st.where;
  if (auto v = tr.string("id", true)) {
    id_loc = where(*tr.node("id"));
    if (!valid_id(*v))
      value_error(*tr.node("id"), "id",
                  "not an id: use lower-case ASCII letters, digits, \"-\", \"_\" and \".\", starting with a letter or digit");
    st.id = *v;
  }
  const toml::node* text_node = tr.node("text");
  const auto text = tr.string("text", true);
  if (auto v = tr.integer("parts", 1, 4)) st.parts = *v;
  const toml::node* max_node = tr.node("max");
  if (max_node != nullptr) {
    if (const auto* m = max_node->as_table()) {
      std::vector<std::string_view> names;
      for (const auto& p : sms_placeholders) names.push_back(p.name);
      for (auto&& [k, v] : *m) {
        const std::string key(k.str());
        if (std::find(names.begin(), names.end(), key) == names.end()) {
          const std::string hint = closest(key, names);
          error(where(k), hint.empty() ? fmt::format("max.{}: there is no placeholder {{{}}}", key, key)
                                       : fmt::format("max.{}: there is no placeholder {{{}}}; did you mean {{{}}}?", key,
                                                     key, hint));
          continue;
        }
        const auto* i = v.as_integer();
        if (i == nullptr || i->get() < 1 || i->get() > 160) {
          error(v, fmt::format("max.{} must be a number of characters from 1 to 160", key));
          continue;
        }
        st.max[key] = i->get();
      }
    } else {
      error(*max_node, fmt::format("\"max\" must be a table such as {{ unit = 20, report = 20 }}, not {}",
                                   type_name(max_node->type())));
    }
  }
  tr.finish();
  if (text) {
    st.text = *text;
    // Placeholders: known names only; the longest rendering must fit the allowed parts.
    const std::string& s = st.text;
    std::int64_t len = 0;
    bool unknown = false;
    std::string literal;
    for (std::size_t i = 0; i < s.size();) {
      if (s[i] != '{') {
        literal.push_back(s[i++]);
        continue;
      }
      const auto close = s.find('}', i);
      if (close == std::string::npos) {
        error(*text_node, "text: \"{\" is not closed; placeholders are written {name}");
        unknown = true;
        break;
      }
      const std::string name = s.substr(i + 1, close - i - 1);
      const auto it = std::find_if(std::begin(sms_placeholders), std::end(sms_placeholders),
                                   [&](const placeholder_info& p) { return p.name == name; });
      if (it == std::end(sms_placeholders)) {
        std::vector<std::string_view> names;
        for (const auto& p : sms_placeholders) names.push_back(p.name);
        const std::string hint = closest(name, names);
        error(*text_node, hint.empty() ? fmt::format("text: unknown placeholder {{{}}}", name)
                                       : fmt::format("text: unknown placeholder {{{}}}; did you mean {{{}}}?", name, hint));
        unknown = true;
      } else {
        const auto mx = st.max.find(name);
        len += mx != st.max.end() ? mx->second : it->default_max;
      }
      i = close + 1;
    }
    const std::string folded = text::fold_ascii(literal);
    len += static_cast<std::int64_t>(folded.size());
    const std::int64_t limit = st.parts == 1 ? 160 : 153 * st.parts;
    if (!unknown && len > limit)
      error(*text_node, fmt::format("text: template \"{}\" can reach {} characters, more than the {} of {} SMS part{}; "
                                    "shorten it, lower its max values, or allow more parts",
                                    st.id, len, limit, st.parts, st.parts == 1 ? "" : "s"));
    if (s.find("http://") != std::string::npos || s.find("https://") != std::string::npos ||
        s.find("www.") != std::string::npos)
      error(*text_node, "text: an SMS never carries a link (operators reject them); the link goes by email");
    if ((st.id == "reminder" || st.id == "escalation") && s.find("{code}") == std::string::npos)
      warning(*text_node, fmt::format("text: template \"{}\" has no {{code}}; a reply by SMS cannot name its unit", st.id));
    if (folded != literal)
      warning(*text_node, fmt::format("text: template \"{}\" is sent without diacritics; register it as `dondoc "
                                      "templates` prints it",
                                      st.id));
  }
  if (st.id.empty()) return;
  for (std::size_t i = 0; i < cfg_.sms_templates.size(); ++i)
    if (cfg_.sms_templates[i].id == st.id) {
      error(id_loc, fmt::format("duplicate SMS template id \"{}\"; first defined at {}", st.id,
                                place(sms_template_id_locs_[i])));
      return;
    }
  cfg_.sms_templates.push_back(std::move(st));
  sms_template_id_locs_.push_back(id_loc);
}

// ---------------------------------------------------------------------------------------
// settling

void loader::settle_settings() {
  auto& svc = cfg_.service;
  if (svc.zone == nullptr && !saw_timezone_) {
    try {
      svc.zone = date::locate_zone(svc.timezone);
    } catch (const std::exception&) {
      error(location{0, 0, 0}, fmt::format("the time-zone database has no {} (install tzdata)", svc.timezone));
    }
  }
  if (cfg_.sending.office_hours.empty()) {
    office_season def;
    def.hours = {{minutes{7 * 60 + 30}, minutes{11 * 60 + 30}}, {minutes{13 * 60 + 30}, minutes{17 * 60}}};
    cfg_.sending.office_hours.push_back(std::move(def));
  }
  // The admin listener serves personal data: off loopback it needs a password.
  if (admin_listen_loc_ && svc.admin_password_file.empty()) {
    const std::string_view a = svc.admin_listen;
    if (!starts_with(a, "unix:") && !host_is_loopback(a))
      error(*admin_listen_loc_, fmt::format("admin_listen = {}: not a loopback address, so the status pages and API "
                                            "need a password: set admin_password_file",
                                            quote(a)));
  }
  auto missing = [&](location loc, std::string_view key, std::string_view scope, std::string_view why = {}) {
    // A secret written inline is already reported, with the key to use instead.
    if (std::find(sms_inline_secrets_.begin(), sms_inline_secrets_.end(), key) != sms_inline_secrets_.end() &&
        scope == "[channels.sms]")
      return;
    error(loc, fmt::format("missing required key \"{}\" in {}{}", key, scope, why));
  };
  if (auto& e = cfg_.channels.email) {
    const location loc = *email_loc_;
    if (e->url.empty()) missing(loc, "url", "[channels.email]");
    if (e->from.empty()) missing(loc, "from", "[channels.email]");
    const bool implicit_scheme = starts_with(e->url, "smtps://");
    if (!email_tls_loc_) {
      e->tls = implicit_scheme ? tls_mode::implicit : tls_mode::starttls;
    } else if (e->tls == tls_mode::none && !e->url.empty() && !url_host_is_loopback(e->url)) {
      error(*email_tls_loc_, "tls = \"none\": allowed only for a relay on loopback (smtp://127.0.0.1…)");
    } else if (e->tls == tls_mode::implicit && !e->url.empty() && !implicit_scheme) {
      error(*email_tls_loc_, "tls = \"implicit\": implicit TLS needs an smtps:// url");
    } else if (e->tls != tls_mode::implicit && implicit_scheme) {
      error(*email_tls_loc_, fmt::format("tls = \"{}\": an smtps:// url means implicit TLS",
                                         e->tls == tls_mode::none ? "none" : "starttls"));
    }
    if (!e->username.empty() && e->password_file.empty() && !email_inline_password_)
      error(*email_username_loc_, "username is set but \"password_file\" is not");
    if (auto& r = e->replies) {
      const location rloc = *replies_loc_;
      if (r->url.empty()) missing(rloc, "url", "[channels.email.replies]");
      if (r->username.empty()) missing(rloc, "username", "[channels.email.replies]");
      if (r->password_file.empty()) missing(rloc, "password_file", "[channels.email.replies]");
      if (!replies_tls_loc_) r->tls = starts_with(r->url, "imap://") ? tls_mode::starttls : tls_mode::implicit;
      else if (r->tls == tls_mode::none && !r->url.empty() && !url_host_is_loopback(r->url))
        error(*replies_tls_loc_, "tls = \"none\": allowed only for a server on loopback (imap://127.0.0.1…)");
    }
  }
  if (auto& s = cfg_.channels.sms) {
    const location loc = *sms_loc_;
    if (!sms_provider_given_) missing(loc, "provider", "[channels.sms]", " (esms, speedsms or http)");
    if (sms_provider_known_) {
      switch (s->provider) {
        case sms_provider::esms:
          if (s->api_key_file.empty()) missing(loc, "api_key_file", "[channels.sms]", " for provider \"esms\"");
          if (s->secret_key_file.empty()) missing(loc, "secret_key_file", "[channels.sms]", " for provider \"esms\"");
          if (s->brandname.empty()) missing(loc, "brandname", "[channels.sms]", " for provider \"esms\"");
          if (s->url.empty()) s->url = "https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/";
          if (s->sms_type.empty()) s->sms_type = "2";
          break;
        case sms_provider::speedsms:
          if (s->api_key_file.empty())
            missing(loc, "api_key_file", "[channels.sms]", " for provider \"speedsms\" (the access token)");
          if (s->url.empty()) s->url = "https://api.speedsms.vn/index.php/sms/send";
          if (s->sms_type.empty()) s->sms_type = "8";
          break;
        case sms_provider::http: {
          if (s->url.empty()) missing(loc, "url", "[channels.sms]", " for provider \"http\"");
          if (s->body.empty() && s->method != "GET")
            missing(loc, "body", "[channels.sms]", " for provider \"http\": a template with {to} and {text}");
          const std::string both = s->url + "\n" + s->body;
          const bool has_text = both.find("{text}") != std::string::npos;
          const bool has_to = both.find("{to}") != std::string::npos || both.find("{to_local}") != std::string::npos;
          const location where_tpl = sms_body_loc_ ? *sms_body_loc_ : sms_url_loc_ ? *sms_url_loc_ : loc;
          if ((!s->body.empty() || s->method == "GET") && !has_text)
            error(where_tpl, "the request never carries the message: put {text} in \"body\" (or the url)");
          if ((!s->body.empty() || s->method == "GET") && !has_to)
            error(where_tpl, "the request never names the recipient: put {to} or {to_local} in \"body\" (or the url)");
          static const std::vector<std::string_view> known{"to", "to_local", "text", "key"};
          for (const auto& [text, tloc] : {std::pair{std::string_view(s->url), sms_url_loc_},
                                           std::pair{std::string_view(s->body), sms_body_loc_}}) {
            for (std::string_view p : placeholders(text)) {
              if (std::find(known.begin(), known.end(), p) != known.end()) continue;
              const std::string hint = closest(p, known);
              error(tloc ? *tloc : loc,
                    hint.empty() ? fmt::format("unknown placeholder {{{}}} (use {{to}}, {{to_local}}, {{text}}, {{key}})", p)
                                 : fmt::format("unknown placeholder {{{}}}; did you mean {{{}}}?", p, hint));
            }
          }
          break;
        }
      }
    }
  }
}

}  // namespace dondoc::config::detail
