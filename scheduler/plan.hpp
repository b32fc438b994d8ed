// The plan: for every report, occurrence, unit and step, exactly when each message goes
// out and to whom, assuming nobody answers. Pure: the configuration and the working
// calendar in, values out; no clock is read. The daemon writes these rows to its outbox
// (keyed by `key`, so a row is never planned twice) and `dondoc plan` prints them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "scheduler/working_calendar.hpp"

namespace dondoc::scheduler {

using config::sys_days;
using config::sys_seconds;

enum class step_kind : std::uint8_t { reminder, escalation };
std::string_view to_string(step_kind k);

// Why a planned row sends nothing.
enum class skip_reason : std::uint8_t { none, no_recipient, no_address, quiet_hours };
std::string_view to_string(skip_reason r);

// One report x one nominal date.
struct occurrence {
  std::int32_t report = -1;
  sys_days nominal;              // the date in the id
  std::string id;                // REPORT@YYYY-MM-DD
  std::string period;            // stable store key: "2019", "2019-H1", "2019-Q2", "2019-06", "once"
  sys_days last_day;             // L
  sys_seconds deadline;          // T
  std::vector<std::int32_t> units;  // unit indexes, in roster order
};

// The public key of a row: the first 26 characters of the lowercase base32 SHA-256
// of its key text.
struct row_key {
  std::array<char, 26> chars{};
  std::string_view view() const { return {chars.data(), chars.size()}; }
  std::string str() const { return std::string(view()); }
  friend bool operator==(const row_key&, const row_key&) = default;
  friend auto operator<=>(const row_key&, const row_key&) = default;
};
row_key make_key(std::string_view key_text);

// SHA-256 of IN into OUT (32 bytes), with the algorithm fetched once per process and one
// context per thread (OpenSSL 3's one-shot SHA256() fetches and allocates per call).
void sha256(std::string_view in, unsigned char* out);

// When one send of one step happens, for every unit of an occurrence alike.
struct send_time {
  std::uint16_t step = 0;  // index in its list
  step_kind kind = step_kind::reminder;
  std::uint16_t repeat = 0;
  sys_seconds due;
  // Per channel of the step (indexed by config::channel): when it goes, or nullopt when
  // it does not (a reminder SMS that quiet hours push to or past T).
  std::array<std::optional<sys_seconds>, 2> at;
  std::array<bool, 2> uses{false, false};  // the step names this channel
};

// One outbox row.
struct row {
  sys_seconds at;
  sys_seconds due;
  std::int32_t occurrence = -1;   // index into the caller's occurrence list
  std::int32_t unit = -1;         // -1 for a grouped row
  const config::contact* contact = nullptr;  // nullptr when skipped for no_recipient
  std::uint16_t step = 0;
  std::uint16_t repeat = 0;
  step_kind kind = step_kind::reminder;
  config::channel chan = config::channel::email;
  skip_reason skipped = skip_reason::none;
  std::uint8_t role = 0;  // grouped rows: index into the step's `to` that reached the contact
  row_key key;
};

class planner {
 public:
  planner(const config::config& cfg, const working_calendar& cal);

  const config::config& cfg() const { return cfg_; }
  const working_calendar& calendar() const { return cal_; }

  // The occurrence of report `r` with nominal date `nominal` (overrides applied).
  occurrence make_occurrence(std::int32_t r, sys_days nominal) const;
  // Occurrences whose messages can fall in [from, to): nominal dates in a window widened
  // by the report's largest offsets, plus overridden ones.
  std::vector<occurrence> occurrences_for(std::int32_t r, sys_seconds from, sys_seconds to) const;
  // Every occurrence of report r with nominal date in [from, to] (civil dates).
  std::vector<occurrence> occurrences_between(std::int32_t r, sys_days from, sys_days to) const;

  // L and T of a nominal date under the report's rule (or an override's date/time).
  std::pair<sys_days, sys_seconds> resolve(const config::report& r, sys_days nominal) const;
  // T for a given L under report r's rule (used for per-unit extensions).
  sys_seconds deadline_instant(const config::report& r, sys_days last_day) const;

  // The sends of every step of report r for an occurrence whose L and T are given.
  std::vector<send_time> schedule(const config::report& r, sys_days last_day, sys_seconds deadline) const;

  // Rows of one unit / of the grouped steps, appended to `out`.
  void unit_rows(const occurrence& o, std::int32_t occ_index, std::int32_t unit, const std::vector<send_time>& sends,
                 std::vector<row>& out) const;
  void group_rows(const occurrence& o, std::int32_t occ_index, const std::vector<send_time>& sends,
                  const std::vector<std::int32_t>& outstanding, std::vector<row>& out) const;

  // The rows of one send `st` (one of schedule()'s for o's report): of one unit (nothing
  // for a grouped step) / of the grouped step (nothing for a unit step), limited to the
  // channels in `channels` (bit 1 << config::channel). unit_rows and group_rows are these
  // over every send, so both paths give the same rows and keys.
  static constexpr unsigned all_channels = 3;
  void unit_send_rows(const occurrence& o, std::int32_t occ_index, std::int32_t unit, const send_time& st,
                      std::vector<row>& out, unsigned channels = all_channels) const;
  void group_send_rows(const occurrence& o, std::int32_t occ_index, const send_time& st, std::vector<row>& out,
                       unsigned channels = all_channels) const;

  // "OCCURRENCE/UNIT|@ROLE/STEP/REPEAT/CHANNEL/CONTACT"
  std::string key_text(const occurrence& o, const row& r) const;
  // The same text appended to `out` (no allocation once `out` has grown).
  void append_key_text(std::string& out, const occurrence& o, const row& r) const;

  // Recipients of a unit step / of a grouped step (contact, index of the role in `to`).
  std::vector<const config::contact*> unit_recipients(const config::step& s, const config::unit& u) const;
  std::vector<std::pair<const config::contact*, std::uint8_t>> group_recipients(const config::report& r,
                                                                                const config::step& s) const;

  // Time helpers in the service zone.
  sys_seconds local_to_sys(sys_days day, std::chrono::minutes time_of_day) const;
  std::pair<sys_days, std::chrono::minutes> sys_to_local(sys_seconds t) const;
  // First office-hours start of a day (of its season).
  std::chrono::minutes office_start(sys_days day) const;
  bool in_office_hours(sys_seconds t) const;  // on a working day, inside a window
  sys_seconds next_office_start(sys_seconds t) const;  // t itself when inside office hours
  bool in_quiet_hours(sys_seconds t) const;
  sys_seconds end_of_quiet_hours(sys_seconds t) const;  // t itself when outside
  // The SMS time for a due time (quiet hours apply unless urgent).
  sys_seconds sms_time(sys_seconds due, bool urgent) const;

  const config::office_season& season_of(sys_days day) const;

  // Nominal-date search margin for report r, in days before/after the range.
  std::pair<std::int64_t, std::int64_t> margins(const config::report& r) const;

 private:
  std::vector<std::int32_t> units_of(const config::report& r, const config::override_rule* o, sys_days last_day) const;
  sys_seconds step_due(const config::step& s, step_kind kind, sys_days last_day, sys_seconds deadline) const;

  const config::config& cfg_;
  const working_calendar& cal_;
  std::vector<std::vector<std::int32_t>> report_units_;  // selector matches, before validity
};


// RFC 3339 with the zone's offset, seconds, no fraction: 2019-06-03T07:30:00+07:00.
std::string rfc3339(sys_seconds t, const date::time_zone* zone);

}  // namespace dondoc::scheduler
