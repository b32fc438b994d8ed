// Internals of the roster loader, shared by its three files:
//   loader.cpp           files and includes, the table reader, cross-references, the result;
//   loader_settings.cpp  [service], [sending], [calendar], [channels], [[sms_templates]];
//   loader_roster.cpp    [[contacts]], [[units]], [[reports]] with deadlines and steps.
// Only the loader includes this header; nothing here is part of config.hpp's API.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/config.hpp"
#include "config/values.hpp"

namespace dondoc::config::detail {

namespace fs = std::filesystem;
using severity = diagnostic::severity_t;

// Diagnostics about files that are not roster sources (calendar data) carry this bit in
// location::file; the rest is an index into loader::extra_files_.
inline constexpr std::uint32_t extra_file_bit = 0x80000000u;

struct raw_diag {
  severity sev;
  location where;
  std::string message;
};

// "a string", "an integer", … for messages about types.
std::string type_name(toml::node_type t);
std::optional<sys_days> to_sys_days(const toml::date& d);
std::string fmt_date(sys_days d);
std::string fmt_clock(minutes m);
// A value as it would be written in TOML: "text" with escapes.
std::string quote(std::string_view s);

class loader;

// Walks one TOML table: hands out the keys the caller asks for, and at finish() reports
// the keys nobody asked for (with "did you mean") and the required keys that are missing.
// A missing key whose near miss is present is reported once, as the near miss.
class table_reader {
 public:
  // `scope` completes "unknown key "x" …" and "missing required key "x" …", e.g.
  // "in [service]" or "in a reminder"; it must outlive the reader.
  table_reader(loader& l, const toml::table& t, std::string_view scope, std::initializer_list<std::string_view> known);

  const toml::table& table() const { return t_; }

  // A setting may be defined once across all files: claims each known key present here
  // as `prefix.key`, except those listed (day lists and sub-tables concatenate or merge).
  void claim_keys(std::string_view prefix, std::initializer_list<std::string_view> except = {});

  // The node for `key`, nullptr when absent. Marks the key as known.
  const toml::node* node(std::string_view key);
  // Like node(); a missing key is reported by finish().
  const toml::node* required(std::string_view key);

  // Typed readers: nullopt when absent or wrong (the error is reported).
  std::optional<std::string> string(std::string_view key, bool req = false);  // NFC
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max, bool req = false);
  // A TOML date, or a "YYYY-MM-DD" string.
  std::optional<sys_days> day(std::string_view key, bool req = false);
  // A string or an array of strings, each with its node (for exact places).
  std::optional<std::vector<std::pair<std::string, const toml::node*>>> strings(std::string_view key,
                                                                                bool req = false);
  const toml::table* sub_table(std::string_view key);
  // A value in one of the small languages of values.hpp: reports `key = "value": reason`.
  template <typename T, typename Parse>
  std::optional<T> parsed_value(std::string_view key, Parse&& parse, bool req = false);

  void finish();

 private:
  bool expect(const toml::node& n, toml::node_type t, std::string_view key);
  bool is_known(std::string_view key) const;
  // Readers are made for every contact of a big roster: no allocation unless a key is
  // unknown or missing.
  static constexpr std::size_t max_known = 32;
  loader& l_;
  const toml::table& t_;
  std::string_view scope_;
  std::array<std::string_view, max_known> known_{};
  std::size_t known_count_ = 0;
  std::vector<std::string_view> missing_;
  bool finished_ = false;
};

class loader {
 public:
  explicit loader(const load_options& opts) : opts_(opts) {}

  load_result run(const std::string& main_path, std::optional<std::string_view> main_text);
  // Reads and parses one file into files_; false when it cannot be read or parsed. For
  // a main file that does not parse, the includes named before the error are recovered.
  bool read_file(const std::string& name, std::optional<std::string_view> given_text,
                 std::optional<location> included_at,
                 std::vector<std::pair<std::string, location>>* recovered_includes);
  void read_includes(const toml::table& root, const std::string& main_path);
  std::string include_path(const std::string& name) const;

  // --- places and diagnostics ---------------------------------------------------------
  // Nodes are only ever handed over while their file is being read.
  location where(const toml::source_position& p) const { return location{current_file_, p.line, p.column}; }
  location where(const toml::node& n) const { return where(n.source().begin); }
  location where(const toml::key& k) const { return where(k.source().begin); }
  void error(location loc, std::string msg);
  void warning(location loc, std::string msg);
  void error(const toml::node& n, std::string msg) { error(where(n), std::move(msg)); }
  void warning(const toml::node& n, std::string msg) { warning(where(n), std::move(msg)); }
  // `key = "value": reason`; personal data (phones, emails) is not repeated.
  void value_error(const toml::node& n, std::string_view key, std::string_view reason, bool personal = false);
  void value_warning(const toml::node& n, std::string_view key, std::string_view reason, bool personal = false);
  // "file:line:column" of a place already seen.
  std::string place(location loc) const;
  // A setting defined twice (in two files, or by a table and dotted keys) is an error.
  void claim(std::string path, location loc);
  std::size_t error_count() const { return error_count_; }
  // False when a file could not be read or parsed: checks that need the whole roster
  // (references between files, "matches nothing") are then skipped, because they would
  // report what is merely in the unreadable file.
  bool complete() const { return complete_; }
  std::string nfc(std::string_view s) const;
  // Calls fn(table) for each table of an array of tables ([[key]]); other shapes are errors.
  template <typename Fn>
  void each_table(const toml::node& n, std::string_view key, Fn&& fn);

  // --- loader_settings.cpp ------------------------------------------------------------
  void read_settings(const toml::table& root, bool is_main);
  void read_service(const toml::table& t, bool is_main);
  void read_sending(const toml::table& t);
  void read_calendar(const toml::table& t);
  void read_operator_schedules(const toml::node& n);
  void read_channels(const toml::table& t);
  void read_email(const toml::table& t);
  void read_email_replies(const toml::table& t, email_settings& e);
  void read_sms(const toml::table& t);
  void read_sms_template(const toml::table& t);
  // Defaults and checks that need every file's settings (a table may be split).
  void settle_settings();

  // --- loader_roster.cpp --------------------------------------------------------------
  void read_roster(toml::table& root);  // empties the tables it has read
  void read_contact(const toml::table& t, std::int32_t unit_index, unit* owner);
  void read_unit(const toml::table& t);
  void read_report(const toml::table& t);
  std::optional<deadline_rule> read_deadline(const toml::node& n);
  // `offset_loc` receives the place of the step's offset (or of the step).
  std::optional<step> read_step(const toml::node& n, bool reminder, const report& r,
                                const std::optional<deadline_rule>& rule, location* offset_loc);
  std::optional<std::vector<selector>> read_selectors(table_reader& tr, std::string_view key, bool in_override);
  void read_overrides(const toml::node& n, report& r, const std::optional<deadline_rule>& rule);
  void check_step_list(const std::vector<step>& steps, const std::vector<location>& offset_locs, bool reminder);

  // --- loader.cpp ---------------------------------------------------------------------
  void cross_check();
  load_result result();

  // --- state --------------------------------------------------------------------------
  struct source_file {
    std::string name;
    std::shared_ptr<toml::table> root;  // null when unreadable; freed once read
  };
  struct contact_side {  // places kept beside each contact, in reading order
    location id;
    location phone;
  };
  struct selector_ref {
    std::size_t report;
    bool in_override;
    selector sel;
    location where;
  };
  struct name_ref {
    std::size_t owner;  // unit or report index
    std::string id;
    location where;
  };

  const load_options& opts_;
  config cfg_;
  std::vector<source_file> files_;
  std::vector<std::string> extra_files_;  // names of non-roster files with diagnostics (schedules)
  std::vector<raw_diag> diags_;
  std::size_t error_count_ = 0;
  std::uint32_t current_file_ = 0;
  bool complete_ = true;
  bool main_empty_ = false;
  std::string main_dir_;
  std::map<std::string, location, std::less<>> defined_;

  // settings bookkeeping
  bool saw_timezone_ = false;
  std::optional<location> admin_listen_loc_;
  std::optional<location> email_loc_, replies_loc_, sms_loc_;
  std::optional<location> email_tls_loc_, email_username_loc_, replies_tls_loc_, sms_url_loc_, sms_body_loc_;
  bool email_inline_password_ = false;
  bool sms_provider_given_ = false, sms_provider_known_ = false;
  std::vector<std::string> sms_inline_secrets_;  // "api_key_file" when api_key was written inline
  std::vector<std::pair<sys_days, location>> days_off_locs_, working_days_locs_;
  std::vector<location> sms_template_id_locs_;  // parallel to cfg_.sms_templates

  // roster bookkeeping
  std::vector<location> unit_id_locs_;            // parallel to cfg_.units
  std::vector<location> report_id_locs_;          // parallel to cfg_.reports
  std::vector<contact_side> contact_sides_;       // parallel to cfg_.contacts
  std::vector<contact_side> unit_contact_sides_;  // unit contacts, in unit order
  std::vector<selector_ref> selector_refs_;
  std::vector<name_ref> successor_refs_;    // owner: unit index
  std::vector<name_ref> coordinator_refs_;  // owner: report index
  std::vector<name_ref> role_refs_;         // owner: report index; id: "@role" of a grouped step
  std::array<bool, 2> warned_channel_{false, false};
};

template <typename T, typename Parse>
std::optional<T> table_reader::parsed_value(std::string_view key, Parse&& parse, bool req) {
  const toml::node* n = req ? required(key) : node(key);
  if (n == nullptr || !expect(*n, toml::node_type::string, key)) return std::nullopt;
  const std::string& raw = n->as_string()->get();
  parsed<T> p = parse(std::string_view(raw));
  if (!p.value) {
    l_.value_error(*n, key, p.error);
    return std::nullopt;
  }
  if (!p.warning.empty()) l_.value_warning(*n, key, p.warning);
  return std::move(p.value);
}

template <typename Fn>
void loader::each_table(const toml::node& n, std::string_view key, Fn&& fn) {
  const auto* a = n.as_array();
  if (a == nullptr) {
    error(n, fmt::format("\"{}\" must be an array of tables ([[{}]]), not {}", key, key, type_name(n.type())));
    return;
  }
  for (const toml::node& e : *a) {
    if (const auto* t = e.as_table()) fn(*t);
    else error(e, fmt::format("\"{}\" must contain only tables ([[{}]]), not {}", key, key, type_name(e.type())));
  }
}

void build_indexes(config& cfg);

}  // namespace dondoc::config::detail
