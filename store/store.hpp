// The durable state of dondoc: occurrences, per-unit items (status, reply code,
// acknowledgement, submission), the outbox (one row per planned message, unique on its
// key), the audit log, and small bookkeeping tables. SQLite today; the interface is the
// narrow set of operations the engine needs, so a PostgreSQL backend can be added
// without touching the scheduler or the notifiers (DESIGN.md "Scale-out path").
// The daemon is the only writer; all calls happen on its one thread (a bulk load's
// batches are written by the store's own writer thread, see begin_bulk_load()).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <date/date.h>

#include "store/sqlite.hpp"

namespace dondoc::store {

using sys_seconds = std::chrono::sys_seconds;
using sys_days = date::sys_days;

enum class row_state : std::uint8_t { planned, sending, sent, delivered, failed, cancelled, skipped };
std::string_view to_string(row_state s);
std::optional<row_state> row_state_from(std::string_view s);

struct tracking_rec {
  std::string report_id;
  std::string unit_id;  // "@" for the report's grouped steps
  sys_seconds since{};
  std::string fingerprint;
  sys_days planned_through{};
};

struct occurrence_rec {
  std::int64_t id = 0;
  std::string report_id;
  std::string period;
  std::string name;  // REPORT@YYYY-MM-DD
  sys_days nominal{};
  std::string title;
  std::string basis;
  std::string submit_to;
  sys_days last_day{};
  sys_seconds deadline{};
  bool in_roster = true;
};

enum class item_state : std::uint8_t { open, submitted, exempted };

struct item_rec {
  std::int64_t id = 0;
  std::int64_t occurrence = 0;
  std::string unit_id;
  std::string unit_name;  // as first planned
  std::string unit_kind;
  bool tracked = true;
  bool in_plan = true;
  std::string reply_code;
  std::optional<sys_days> ext_last_day;  // per-unit extension
  std::optional<sys_seconds> ext_deadline;
  std::optional<sys_seconds> acknowledged_at;
  std::string acknowledged_by;
  item_state state = item_state::open;
  std::optional<sys_seconds> submitted_at;  // the instant of submission (may be given with --at)
  std::string submit_source;                // "unit" | "coordinator"
  bool submit_confirmed = false;
  std::optional<sys_seconds> exempted_at;
  std::string note;
  std::optional<sys_seconds> closed_at;
  std::optional<sys_seconds> last_message_at;
  std::string last_message_channel;
  std::string last_message_state;
};

struct outbox_rec {
  std::int64_t id = 0;
  std::string key;
  std::string key_text;              // in memory only (when planned); the key is its digest
  std::optional<std::int64_t> item;  // null for grouped rows
  std::int64_t occurrence = 0;
  std::string report_id;
  std::string unit_id;  // empty for grouped rows
  std::string role;     // grouped rows: "@coordinator"…
  std::string kind;     // reminder | escalation | digest
  std::int64_t step = 0;
  std::string step_name;  // r:3wd
  std::int64_t repeat = 0;
  std::string channel;     // email | sms
  std::string contact_id;  // empty: no recipient
  sys_seconds due{};
  sys_seconds next_at{};
  row_state state = row_state::planned;
  std::string reason;
  std::int64_t attempts = 0;
  std::string last_error;
  std::string provider_id;
  bool catch_up = false;
  bool day_based = false;
  bool urgent = false;
  std::optional<sys_seconds> first_attempt_at;
  std::optional<sys_seconds> sent_at;
  std::optional<sys_seconds> delivered_at;
};

struct audit_rec {
  std::int64_t id = 0;
  sys_seconds at{};
  std::string who;     // contact id, "cli:USER", "web:USER", channel
  std::string how;     // sms | email | link | cli | web | daemon | roster
  std::string action;  // ack | submit | exempt | reopen | extend | confirm | reply_rejected | forget | reload …
  std::optional<std::int64_t> item;
  std::string occurrence;  // name
  std::string unit_id;
  std::string detail;
  std::string raw;  // the raw input, kept raw_retention, then reduced to a digest
};

struct outbox_counts {
  std::int64_t planned = 0, sending = 0, sent = 0, delivered = 0, failed = 0, cancelled = 0, skipped = 0;
  std::optional<sys_seconds> oldest_due;  // oldest planned row whose next_at has passed
};

class store {
 public:
  // Opens or creates STATE_DIR/dondoc.db and applies migrations.
  explicit store(const std::string& path);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  database& db();  // waits for a bulk load's writer first (see cached())
  static std::int64_t schema_version();  // the newest migration
  // Applies migrations up to `version` (inclusive count) to a bare database; tests build
  // every earlier schema this way and then open it with a store.
  static void migrate_to(database& db, std::int64_t version);
  std::int64_t current_version() { return db_.user_version(); }

  // --- tracking ---
  std::vector<tracking_rec> load_tracking();
  void put_tracking(const tracking_rec& t);

  // --- occurrences ---
  // Inserts or updates by (report_id, period); returns the row id.
  std::int64_t upsert_occurrence(occurrence_rec& o);
  std::optional<occurrence_rec> occurrence_by_id(std::int64_t id);
  std::optional<occurrence_rec> occurrence_by_name(std::string_view name);
  std::optional<occurrence_rec> occurrence_by_period(std::string_view report_id, std::string_view period);
  std::vector<occurrence_rec> occurrences_since(sys_days nominal_from);  // ordered by last_day, name
  void set_occurrence_in_roster(std::int64_t id, bool in);

  // --- items ---
  std::optional<item_rec> item(std::int64_t occurrence, std::string_view unit_id);
  std::optional<item_rec> item_by_id(std::int64_t id);
  std::optional<item_rec> item_by_code(std::string_view code);
  std::vector<item_rec> items_of_occurrence(std::int64_t occurrence);
  std::vector<item_rec> items_of_unit(std::string_view unit_id);
  std::vector<item_rec> items_of_report_unit(std::string_view report_id, std::string_view unit_id);
  // Inserts with a fresh reply code unique among all items; fills id and code.
  void insert_item(item_rec& it, std::uint64_t random_seed);
  void update_item(const item_rec& it);

  // --- outbox ---
  // Returns the new row's id; 0 in a bulk load (the row is written with its batch).
  std::int64_t insert_row(outbox_rec&& r);
  // Inside a transaction on an empty outbox: drops its secondary indexes for a bulk insert
  // (returns false, doing nothing, when the outbox has rows); end_bulk_load() writes the
  // last batch and rebuilds them. In between, full batches are written by a second thread
  // (store::bulk_writer) while the caller goes on; the caller's own statements wait for
  // it, and see what was handed over, not the rest of a batch.
  bool begin_bulk_load();
  void end_bulk_load();
  // Outside any transaction (SQLite ignores the switch inside one): on an empty outbox,
  // turns the per-row foreign-key checks off for the first plan — two parent look-ups per
  // row were a third of its cost — and end_bulk_load() checks the whole load at once
  // instead (PRAGMA foreign_key_check), failing it on any dangling reference. The checks
  // come back on when the scope ends, after the commit or the rollback.
  class first_load_scope {
   public:
    explicit first_load_scope(store& st);
    ~first_load_scope();
    first_load_scope(const first_load_scope&) = delete;
    first_load_scope& operator=(const first_load_scope&) = delete;

   private:
    store& st_;
  };
  // After a failed load, before the rollback (which restores the indexes): stops the
  // writer thread. A transaction that ends while the writer is alive stops it first too.
  void abort_bulk_load() noexcept;
  // After a bulk load committed (or rolled back): copies the WAL into the database file
  // and turns automatic checkpoints back on. Does nothing when no bulk load ran.
  void checkpoint_after_bulk_load();
  std::vector<outbox_rec> rows_of_item(std::int64_t item);
  std::vector<outbox_rec> group_rows_of_occurrence(std::int64_t occurrence);
  std::optional<outbox_rec> row_by_id(std::int64_t id);
  std::optional<outbox_rec> row_by_key(std::string_view key);
  std::optional<outbox_rec> row_by_provider_id(std::string_view provider_id);
  void set_row_times(std::int64_t id, sys_seconds due, sys_seconds next_at, bool catch_up);
  void set_row_state(std::int64_t id, row_state s, std::string_view reason, sys_seconds now);
  // Planned rows with next_at <= now, oldest first.
  std::vector<outbox_rec> due_rows(sys_seconds now, std::int64_t limit);
  std::optional<sys_seconds> next_due();
  // planned -> sending, counting an attempt; false when the row was not planned.
  bool claim(std::int64_t id, sys_seconds now);
  void mark_sent(std::int64_t id, sys_seconds now, std::string_view provider_id);
  void mark_retry(std::int64_t id, sys_seconds next_at, std::string_view error);
  void mark_failed(std::int64_t id, sys_seconds now, std::string_view reason, std::string_view error);
  void mark_delivered(std::int64_t id, sys_seconds at);
  // Rows a crash left in `sending` go back to planned, due now.
  std::int64_t reset_sending(sys_seconds now);
  outbox_counts counts(sys_seconds now);
  std::vector<outbox_rec> rows_in_state(row_state s, std::int64_t limit);
  // Every row of an occurrence (for summaries).
  std::vector<outbox_rec> rows_of_occurrence(std::int64_t occurrence);
  // (channel, state) -> rows of an occurrence.
  std::map<std::pair<std::string, std::string>, std::int64_t> row_counts_of_occurrence(std::int64_t occurrence);

  // --- SMS cap (per hashed number and civil day) ---
  std::int64_t sms_count(std::string_view number_hash, std::string_view day);
  void sms_increment(std::string_view number_hash, std::string_view day);
  void sms_decrement(std::string_view number_hash, std::string_view day);  // not below 0

  // --- audit ---
  std::int64_t audit(const audit_rec& a);
  std::vector<audit_rec> audit_of_item(std::int64_t item);
  std::vector<audit_rec> audit_of_unit(std::string_view unit_id, std::int64_t limit);
  // Replaces raw inputs older than `before` by their SHA-256 digest.
  std::int64_t reduce_raw(sys_seconds before);
  // Closes each open item whose deadline T (its own, when extended) is at or before `now`
  // and which has nothing planned or sending: a report without escalations, or whose last
  // escalation failed or was skipped, never had a sent one to close it. closed_at is the
  // later of T and its messages' last change. Returns how many.
  std::int64_t close_finished_items(sys_seconds now);
  // Removes a departed official's identifiers from stored raw text and details.
  std::int64_t forget_text(std::string_view needle, std::string_view replacement);

  // --- key/value bookkeeping (IMAP uid, secrets generated on first start, …) ---
  std::optional<std::string> meta(std::string_view key);
  void set_meta(std::string_view key, std::string_view value);

 private:
  // Every statement of the calling thread goes through here; during a bulk load it first
  // waits until the writer thread has written what it was handed (settle()).
  statement& cached(std::string_view sql);
  void settle();
  // Runs a bulk load's write with `prepare(sql)` giving its statements: handed to the bulk
  // writer's thread when there is one (its own statements), else here (the cache).
  using prepare_fn = std::function<statement&(const std::string&)>;
  void write_bulk(std::function<void(const prepare_fn&)> write);
  void restore_bulk_settings() noexcept;  // page cache, checkpoints: back to the defaults
  void migrate();
  void flush_bulk_rows();
  void flush_bulk_items();
  bool outbox_empty();

  database db_;
  bool bulk_ = false;
  bool foreign_keys_off_ = false;  // inside a first_load_scope
  bool checkpoint_pending_ = false;  // a bulk load turned automatic checkpoints off
  std::vector<outbox_rec> bulk_rows_;
  // A bulk load on an empty items table knows every reply code issued: no look-up each.
  bool bulk_items_empty_ = false;
  std::unordered_set<std::string> bulk_codes_;
  // ... and numbers its items itself, writing them 64 to a statement like the rows.
  std::vector<item_rec> bulk_items_;
  std::int64_t bulk_items_written_ = 0;  // a bulk load's rows not yet written (< one batch)
  std::vector<std::string> bulk_index_sql_;  // the indexes a bulk load dropped, to rebuild
  struct cache;
  std::unique_ptr<cache> cache_;
  // A bulk load writes its batches on a second thread while the engine plans on.
  // Declared after db_: it stops (and joins) before the connection closes.
  class bulk_writer;
  std::unique_ptr<bulk_writer> writer_;
};

// "YYYY-MM-DD"
std::string iso_day(sys_days d);
std::optional<sys_days> parse_iso_day(std::string_view s);

}  // namespace dondoc::store
