// The coordinators' daily digest, as decisions over the store with `now` passed in (no
// Asio, no clock reads), so the rules are tested like the engine's:
// - when: the first office-hours start of each working day (a daemon that was down then
//   sends it as soon as it is up within that day's office hours);
// - to whom: roster-wide contacts with role `coordinator`, plus each report's
//   `coordinators` (who then see only the reports they coordinate);
// - what: per open occurrence (reminders started, nominal date within the last 120
//   days) the units by status, the overdue and outstanding units, messages that failed
//   permanently, and messages skipped for want of a recipient or an address;
// - whether: nothing is sent when nothing is outstanding and the content is what the
//   recipient was last sent (or there is nothing to report);
// - once: a row per (day, recipient) in the digest log, committed before the message is
//   handed to a transport; a crash re-sends it (same key, same Message-ID) and an
//   earlier day's unsent row expires.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/engine.hpp"
#include "notifiers/digest.hpp"
#include "store/digests.hpp"

namespace dondoc::daemon {

// Contacts that receive digests, in roster order, each once.
std::vector<const config::contact*> digest_recipients(const config::config& cfg);
// Whether `c` gets the digest sections of report `r`.
bool digest_covers(const config::contact& c, const config::report& r);

// The sections the digest would carry for `recipient` now. `since`: when the recipient
// was last sent a digest (occurrences without anything outstanding are included only
// when something happened after it).
std::vector<notifiers::digest_section> digest_sections(engine& e, const config::contact& recipient, sys_seconds now,
                                                       std::optional<sys_seconds> since);
// A stable hash of what the sections say (counts, unit lists, failures, skips).
std::string digest_fingerprint(const std::vector<notifiers::digest_section>& sections);
// The public key of (day, recipient): 26 characters like an outbox row's key.
std::string digest_key(const std::string& day, const std::string& contact_id);

struct digest_job {
  std::string day;
  std::shared_ptr<const runtime_config> rt;  // keeps cfg and recipient alive
  const config::contact* recipient = nullptr;
  notifiers::digest_input input;
  std::int64_t attempt = 1;
};

class digest_runner {
 public:
  explicit digest_runner(engine& e) : engine_(e), log_(e.db()) {}

  // At start: rows a crash left `sending` go again; earlier days' unsent rows expire.
  void recover(sys_seconds now);
  // The day whose round runs now (a working day, inside office hours), if any.
  std::optional<config::sys_days> round_day(sys_seconds now) const;
  // Today's round: decides each recipient's digest (recording skips) and claims the
  // ones to send now. Call inside a transaction; commit before sending.
  std::vector<digest_job> take_due(sys_seconds now);
  // Applies a transport's answer: sent, a retry later today, or failed.
  void record(const digest_job& j, const notifiers::send_result& r, sys_seconds now);
  // When the runner next has something to do: a retry today, else the next working
  // day's first office-hours start.
  sys_seconds next_wake(sys_seconds now);

  static constexpr std::int64_t max_attempts = 12;

 private:
  engine& engine_;
  store::digest_log log_;
};

}  // namespace dondoc::daemon
