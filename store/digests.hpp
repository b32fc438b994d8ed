// The log of the coordinators' daily digests (schema migration 3): one row per (local
// civil day, recipient). The primary key is what makes a digest go at most once a day to
// each recipient, across restarts and crashes: the row is written (`sending`) and
// committed before the message is handed to a transport. The fingerprint of the last
// digest sent to a recipient is how "nothing changed since the last one" is told.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace dondoc::store {

struct digest_rec {
  std::string day;         // YYYY-MM-DD in the service zone
  std::string contact_id;  // the recipient
  std::string key;         // the public key: Message-ID, X-Dondoc-Key, file outbox name
  std::string state;       // planned | sending | sent | failed | skipped
  std::string reason;      // skipped / failed: nothing_changed, nothing_to_report, no_address, expired, …
  std::string fingerprint; // of the content last built for this row
  std::int64_t outstanding = 0;  // units outstanding in that content
  std::int64_t attempts = 0;
  sys_seconds next_at{};
  std::string last_error;
  sys_seconds created_at{};
  std::optional<sys_seconds> sent_at;
};

// Operations on the `digests` table. Borrows the store's connection; the caller groups
// calls into transactions like every other store call.
class digest_log {
 public:
  explicit digest_log(store& st) : db_(st.db()) {}

  std::optional<digest_rec> get(std::string_view day, std::string_view contact);
  std::vector<digest_rec> of_day(std::string_view day);
  // The most recent digest actually sent to this recipient (any day).
  std::optional<digest_rec> last_sent(std::string_view contact);
  // Inserts a new row; throws sqlite_error when (day, contact) exists.
  void insert(const digest_rec& r);
  // planned -> sending when due, counting an attempt; false when not claimable.
  bool claim(std::string_view day, std::string_view contact, sys_seconds now);
  void set_content(std::string_view day, std::string_view contact, std::string_view fingerprint,
                   std::int64_t outstanding);
  void mark_sent(std::string_view day, std::string_view contact, sys_seconds now);
  void mark_retry(std::string_view day, std::string_view contact, sys_seconds next_at, std::string_view error);
  void mark_failed(std::string_view day, std::string_view contact, std::string_view reason, std::string_view error);
  // Rows a crash left `sending` go back to planned, due now (at-least-once).
  std::int64_t reset_sending(sys_seconds now);
  // Unsent rows of days before `day` fail with reason `expired`: yesterday's digest is
  // never sent today.
  std::int64_t expire_before(std::string_view day);
  // The earliest planned retry of `day`.
  std::optional<sys_seconds> next_retry(std::string_view day);
  // Rows by state (all days), for /metrics.
  std::map<std::string, std::int64_t> counts_by_state();
  std::optional<sys_seconds> last_sent_at();

 private:
  database& db_;
};

}  // namespace dondoc::store
