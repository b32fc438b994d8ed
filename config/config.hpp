// The validated, immutable configuration: everything dondoc knows from the roster files.
// Produced only by config::load (loader.cpp); every later layer reads it and none
// changes it. Times of day are minutes after local midnight in the service zone;
// civil dates are date::sys_days; instants are std::chrono::sys_seconds.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <date/date.h>

namespace date {
class time_zone;
}

namespace dondoc::config {

using sys_days = date::sys_days;
using sys_seconds = std::chrono::sys_seconds;
using minutes = std::chrono::minutes;
using seconds = std::chrono::seconds;

// Where something was written: index into config::files, 1-based line and column
// (column in code points). line == 0 means "the file as a whole".
struct location {
  std::uint32_t file = 0;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

// An offset as written in a step: Nwd, Nd, Nh, Nm, Ns.
struct offset {
  enum class unit_t : std::uint8_t { wd, d, h, m, s };  // as written: Nwd, Nd, Nh, Nm, Ns
  unit_t unit = unit_t::d;
  std::int64_t count = 0;
  std::string text;  // as written, e.g. "3wd"; part of outbox keys

  bool day_based() const { return unit == unit_t::wd || unit == unit_t::d; }
  seconds duration() const;  // h/m/s exactly; d as 24 h; 0 for wd
};

// A half-open window [start, end) of local time of day, in minutes after midnight.
// end < start wraps past midnight (quiet hours 22:00-07:00).
struct clock_window {
  minutes start{0};
  minutes end{0};
  bool contains(minutes t) const {
    return start <= end ? (t >= start && t < end) : (t >= start || t < end);
  }
};

// Office hours from a month-day on (until the next season's start, wrapping the year).
struct office_season {
  unsigned from_month = 1;
  unsigned from_day = 1;
  std::vector<clock_window> hours;  // sorted, non-overlapping, none wraps midnight
};

struct sending_settings {
  std::vector<office_season> office_hours;  // sorted by (from_month, from_day); never empty
  clock_window sms_quiet_hours{minutes{22 * 60}, minutes{7 * 60}};
  std::int64_t sms_per_recipient_per_day = 3;
  seconds catch_up_grace{15 * 60};
  offset catch_up_max_age{offset::unit_t::wd, 2, "2wd"};
  std::int64_t retry_max_attempts = 12;
  seconds retry_max_age{24 * 3600};
};

// How a listed calendar day is classified (also the `kind` of `dondoc calendar --format json`).
enum class day_kind : std::uint8_t {
  weekend,
  holiday,
  compensatory,
  swapped_off,
  swapped_working,
  extra_off,
  extra_working
};
std::string_view to_string(day_kind k);

// One day of a published holiday schedule (a data file under calendar/vn/).
struct schedule_day {
  sys_days date;
  day_kind kind = day_kind::holiday;  // holiday | compensatory | swapped_off | swapped_working
  std::string reason;                 // Vietnamese, shown by `dondoc calendar`
};

// One named holiday in a year's data file. It replaces the computed days of the
// built-in holiday with the same id (tet_duong_lich, tet_am_lich, gio_to, giai_phong,
// quoc_te_lao_dong, quoc_khanh); other ids add a holiday.
struct holiday_schedule {
  std::string id;
  std::string name;
  std::vector<schedule_day> days;
};

struct year_schedule {
  int year = 0;
  std::string source;  // file it came from (or "built-in:YYYY")
  std::vector<holiday_schedule> holidays;
};

struct calendar_settings {
  std::array<bool, 7> weekend{true, false, false, false, false, false, true};  // [0] = Sunday
  bool vn_holidays = true;           // holidays = "vn" | "none"
  std::vector<sys_days> days_off;      // extra days off (sorted, unique)
  std::vector<sys_days> working_days;  // extra working days (sorted, unique)
  std::map<int, year_schedule> schedules;  // year -> official schedule (shipped + data_dirs)
};

enum class channel : std::uint8_t { email, sms };
std::string_view to_string(channel c);

enum class tls_mode : std::uint8_t { starttls, implicit, none };

struct email_replies_settings {
  std::string url;  // imaps://host/INBOX
  std::string username;
  std::string password_file;
  tls_mode tls = tls_mode::implicit;
  seconds poll{60};
};

struct email_settings {
  std::string url;  // smtp://host:25 | smtps://host:465
  std::string from;  // "Display Name <addr@host>"
  std::string username;
  std::string password_file;
  std::string reply_to;  // dondoc-replies@host; tagged as dondoc-replies+TOKEN@host
  tls_mode tls = tls_mode::starttls;
  std::int64_t concurrency = 4;
  seconds timeout{60};
  std::optional<email_replies_settings> replies;
};

enum class sms_provider : std::uint8_t { esms, speedsms, http };
std::string_view to_string(sms_provider p);

struct sms_settings {
  sms_provider provider = sms_provider::esms;
  std::string url;  // default per provider; required for http
  std::string api_key_file;
  std::string secret_key_file;
  std::string brandname;
  std::string reply_number;
  std::string mo_keyword;
  std::string mo_secret_file;
  std::string method = "POST";                    // http provider
  std::map<std::string, std::string> headers;      // http provider
  std::string body;                                // http provider body template
  std::string ok_match;                            // http provider: regex over the answer
  std::string sms_type;                            // esms SmsType ("2"), speedsms sms_type
  bool sandbox = false;                            // esms Sandbox
  std::int64_t concurrency = 4;
  seconds timeout{30};
};

struct outbox_settings {
  std::string dir;  // default STATE_DIR/outbox
};

struct channels_settings {
  std::optional<email_settings> email;
  std::optional<sms_settings> sms;
  outbox_settings outbox;
};

struct sms_template {
  std::string id;
  std::string text;
  std::map<std::string, std::int64_t> max;  // parameter -> max characters
  std::int64_t parts = 1;                   // segments allowed
  location where;
};

enum class role : std::uint8_t { focal, head, deputy };

struct contact {
  std::string id;
  std::string name;
  std::string title;
  std::string email;
  std::string phone;  // E.164 (+84…), or empty
  std::vector<std::string> roles;  // unit contacts: focal/head/deputy; roster-wide: free words
  std::int32_t unit = -1;          // index into config::units, -1 for roster-wide contacts
  location where;
};

struct unit {
  std::string id;
  std::string name;
  std::string short_name;  // for SMS; folded, at most 20 characters
  std::string kind;
  std::vector<std::string> tags;
  std::optional<sys_days> valid_from;
  std::optional<sys_days> valid_to;
  std::vector<std::string> successor_of;
  std::string office_phone;
  std::vector<contact> contacts;
  location where;

  bool valid_on(sys_days d) const {
    return (!valid_from || *valid_from <= d) && (!valid_to || d <= *valid_to);
  }
};

enum class on_day_off : std::uint8_t { keep, previous_working_day, next_working_day };
std::string_view to_string(on_day_off p);

struct deadline_rule {
  enum class every_t : std::uint8_t { year, half_year, quarter, month, once_date, once_at };
  every_t every = every_t::year;
  unsigned month = 0;  // year, half-year: month of `date`; quarter: 1..3 within the quarter
  unsigned day = 0;    // day of month (past the month's end = its last day)
  std::optional<sys_days> date;      // once_date
  std::optional<sys_seconds> at;     // once_at
  bool before = false;
  std::optional<minutes> time;       // local time of day for T
  bool periodic() const { return every != every_t::once_date && every != every_t::once_at; }
};

struct selector {
  enum class kind_t : std::uint8_t { all, kind, id, tag };
  kind_t kind = kind_t::all;
  bool negated = false;
  std::string value;
};

struct repeat_rule {
  offset every;  // a duration (h/m/s) or a day count (d/wd)
  std::int64_t max = 1;
};

struct step {
  std::string id;        // optional in the roster
  std::string key_name;  // "r:3wd" / "e:1wd" or "r:ID" / "e:ID" — part of outbox keys
  offset off;
  std::vector<std::string> to;  // "focal"/"head"/"deputy" or "@coordinator"/"@leader"/"@x"
  bool grouped = false;         // true when `to` names roster-wide roles
  std::vector<channel> channels;
  std::optional<repeat_rule> repeat;
  std::optional<minutes> at;  // time of day for a day-based step
  bool urgent = false;
  std::string sms_template;    // empty: the built-in id for the step's kind
  std::string email_template;  // optional id of a report-level email template
  location where;
};

struct override_rule {
  std::string occurrence;  // REPORT@YYYY-MM-DD as written
  sys_days nominal;        // the date part
  std::optional<sys_days> date;      // new nominal date; `before`/`on_day_off` still apply
  std::optional<minutes> time;       // new time of day for T
  std::vector<selector> units;       // narrows the occurrence's units when not empty
  location where;
};

struct email_template {
  std::string subject;  // may use {placeholders}; see notifiers/email_templates
  std::string body;
};

struct report {
  std::string id;
  std::string title;
  std::string short_name;
  std::string basis;
  std::string submit_to;
  std::string period_from;  // "MM-DD", shown only
  std::string period_to;
  std::vector<selector> units;
  deadline_rule deadline;
  std::optional<sys_days> first;
  std::optional<sys_days> last;
  on_day_off day_off_policy = on_day_off::keep;
  std::vector<std::string> coordinators;  // contact ids (roster-wide)
  std::vector<step> reminders;
  std::vector<step> escalation;
  std::vector<override_rule> overrides;
  std::map<std::string, email_template> email_templates;  // "reminder", "escalation", "grouped", …
  location where;
};

struct service_settings {
  std::string timezone = "Asia/Ho_Chi_Minh";
  const date::time_zone* zone = nullptr;  // resolved; never null in a loaded config
  std::string state_dir = "/var/lib/dondoc";
  std::string listen = "0.0.0.0:8080";
  std::string admin_listen = "127.0.0.1:8081";
  std::string public_url = "http://localhost:8080";
  std::string secrets_dir;  // default: $CREDENTIALS_DIRECTORY
  std::vector<std::string> trusted_proxies{"127.0.0.1"};
  seconds token_ttl{30LL * 86400};
  seconds raw_retention{400LL * 86400};
  std::int64_t horizon_days = 400;
  std::string admin_password_file;  // required when admin_listen is not loopback/unix
  std::string token_key_file;       // HMAC key for links; default: generated in state_dir
};

struct config {
  config() = default;
  // A copy gets lookups over its own strings (the maps hold string_views).
  config(const config& o);
  config& operator=(const config& o);
  // Moving keeps every string where it is (vectors hand over their buffers).
  config(config&&) noexcept = default;
  config& operator=(config&&) noexcept = default;
  ~config() = default;

  // Rebuilds the lookup maps below (after the vectors changed).
  void reindex();

  std::vector<std::string> files;  // main file first, then includes in order
  service_settings service;
  sending_settings sending;
  calendar_settings calendar;
  channels_settings channels;
  std::vector<sms_template> sms_templates;
  std::vector<contact> contacts;  // roster-wide
  std::vector<unit> units;
  std::vector<report> reports;

  // Lookups built by the loader (ids are unique within their kind).
  const unit* find_unit(std::string_view id) const;
  const report* find_report(std::string_view id) const;
  // Any contact, roster-wide or of a unit.
  const contact* find_contact(std::string_view id) const;
  const sms_template* find_sms_template(std::string_view id) const;
  std::int32_t unit_index(std::string_view id) const;  // -1 when unknown

  std::unordered_map<std::string_view, std::int32_t> unit_by_id;
  std::unordered_map<std::string_view, std::int32_t> report_by_id;
  // contact id -> (unit index or -1, index within that list)
  std::unordered_map<std::string_view, std::pair<std::int32_t, std::int32_t>> contact_by_id;
};

// Unit selectors: does one match, and does a list select the unit (the union of the
// positive ones — every unit when there is none — minus the negated ones)?
bool selector_matches(const selector& s, const unit& u);
bool selected(const std::vector<selector>& sels, const unit& u);

// One line of `dondoc check` output.
struct diagnostic {
  enum class severity_t : std::uint8_t { error, warning };
  severity_t severity = severity_t::error;
  std::string file;
  std::uint32_t line = 0;  // 0: about the whole file
  std::uint32_t column = 0;
  std::string message;
};
// "FILE:LINE:COL: error: message" or "FILE: error: message".
std::string format(const diagnostic& d);

struct load_options {
  // Replaces $CREDENTIALS_DIRECTORY as the default secrets_dir (tests).
  std::optional<std::string> credentials_directory;
  // Read the shipped calendar schedules (compiled in). Off only in tests of the rules.
  bool builtin_schedules = true;
};

struct load_result {
  std::shared_ptr<const config> cfg;  // null when there is an error
  std::vector<diagnostic> diagnostics;  // sorted by file order, line, column
  bool ok() const { return cfg != nullptr; }
  std::size_t errors() const;
  std::size_t warnings() const;
};

// Reads `path` and its includes. Never throws for bad input.
load_result load(const std::string& path, const load_options& opts = {});

// Parses a roster given as text (includes resolved relative to `name`'s directory).
load_result load_text(std::string_view text, const std::string& name, const load_options& opts = {});

}  // namespace dondoc::config
