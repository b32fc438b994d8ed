// The engine: the daemon's decisions over the store, with `now` passed in. It turns the
// plan into outbox rows (reconciliation), picks the rows that are due (with the catch-up
// rules after downtime), records what the notifiers answered (with retries), and applies
// acknowledgements, submissions and coordinator actions. No I/O besides the store and no
// clock reads: the live daemon drives it from Asio timers, `dondoc simulate` from a
// virtual clock. Callers group calls into store transactions.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "notifiers/notifier.hpp"
#include "scheduler/plan.hpp"
#include "scheduler/working_calendar.hpp"
#include "store/store.hpp"

namespace dondoc::daemon {

using std::chrono::sys_seconds;

enum class unit_status : std::uint8_t { untracked, pending, acknowledged, overdue, submitted, submitted_late, exempted };
std::string_view to_string(unit_status s);
std::string_view label_vi(unit_status s);  // "chưa nhận", "đã nhận", …

// Everything the config needs at runtime, built once per (re)load.
struct runtime_config {
  explicit runtime_config(std::shared_ptr<const config::config> c);
  std::shared_ptr<const config::config> cfg;
  scheduler::working_calendar calendar;
  scheduler::planner planner;
};

// A claimed row with everything needed to build its message.
struct job {
  store::outbox_rec row;
  std::shared_ptr<const runtime_config> rt;  // keeps the pointers below alive
  const config::report* report = nullptr;
  const config::step* step = nullptr;
  scheduler::step_kind kind = scheduler::step_kind::reminder;
  const config::unit* unit = nullptr;  // null for grouped rows
  const config::contact* contact = nullptr;
  store::occurrence_rec occ;
  std::optional<store::item_rec> item;
  sys_seconds deadline{};              // T for this item (extension applied)
  config::sys_days last_day{};         // L for this item
  std::vector<store::item_rec> outstanding;  // grouped rows: units still outstanding
  std::int64_t total_units = 0;
  std::string address;  // email address or E.164 number
  std::string sms_day;  // SMS: the local day its claim was counted on (the per-number cap)
};

struct reconcile_stats {
  std::int64_t pairs_planned = 0;
  std::int64_t rows_inserted = 0;
  std::int64_t rows_moved = 0;
  std::int64_t rows_cancelled = 0;
  std::int64_t items_created = 0;
};

struct action_result {
  bool changed = false;      // false: recorded in the audit log only
  std::string message;       // for the CLI / web, English
  std::optional<store::item_rec> item;
  bool refused = false;      // the request cannot be done (not the same as "already done")
};

class engine {
 public:
  engine(store::store& st, std::shared_ptr<const runtime_config> rt, std::uint64_t seed = 0);

  const runtime_config& rt() const { return *rt_; }
  std::shared_ptr<const runtime_config> rt_ptr() const { return rt_; }
  const config::config& cfg() const { return *rt_->cfg; }
  store::store& db() { return store_; }

  // Swaps the configuration (after a successful reload); call reconcile() next.
  void set_config(std::shared_ptr<const runtime_config> rt);

  // Plans rows for every (report, unit) pair whose fingerprint changed or that the
  // horizon newly reaches; cancels planned rows that left the plan. Idempotent.
  reconcile_stats reconcile(sys_seconds now);

  // Rows a crash left in `sending` are sent again (at-least-once).
  std::int64_t recover(sys_seconds now) { return store_.reset_sending(now); }

  // Claims due rows (at most `capacity[channel]` each) and returns their jobs. Rows that
  // must not go (missed beyond the catch-up rules, no address, caps, quiet hours,
  // nothing outstanding) are settled here and never returned.
  std::vector<job> take_due(sys_seconds now, std::int64_t email_capacity, std::int64_t sms_capacity);

  // Applies a notifier's answer to a claimed row.
  void record(const job& j, const notifiers::send_result& r, sys_seconds now);

  // The earliest planned next_at, if any.
  std::optional<sys_seconds> next_wake() { return store_.next_due(); }

  // --- answers and coordinator actions (who: contact id or "cli:USER"; how: sms, email,
  // link, cli, web) ---
  action_result acknowledge(std::int64_t item, const std::string& who, const std::string& how,
                            const std::string& raw, sys_seconds now);
  // A submission time may be ahead of the clock by this much (a coordinator's watch), no
  // more: later is refused, by the API, the CLI and the pages alike.
  static constexpr std::chrono::minutes submit_clock_slack{5};
  // Refused (action_result::refused): a submission time in the future; an extension whose
  // new last day is before the occurrence's own L.
  action_result submit(std::int64_t item, sys_seconds at, const std::string& source, const std::string& who,
                       const std::string& how, const std::string& note, const std::string& raw, sys_seconds now);
  action_result exempt(std::int64_t item, const std::string& who, const std::string& how, const std::string& note,
                       sys_seconds now);
  action_result reopen(std::int64_t item, const std::string& who, const std::string& how, const std::string& note,
                       sys_seconds now);
  action_result confirm(std::int64_t item, const std::string& who, const std::string& how, sys_seconds now);
  action_result extend(std::int64_t item, config::sys_days new_last_day, const std::string& who,
                       const std::string& how, sys_seconds now);

  // Status of an item now, and its effective L and T.
  unit_status status(const store::item_rec& it, sys_seconds now);
  std::pair<config::sys_days, sys_seconds> effective_deadline(const store::item_rec& it);

  // Daily housekeeping: raw inputs older than raw_retention are reduced to digests.
  std::int64_t housekeeping(sys_seconds now);

 private:
  struct occurrence_cache;
  void plan_pair_occurrence(const scheduler::occurrence& o, std::int32_t unit, sys_seconds since, sys_seconds now,
                            occurrence_cache& cache, reconcile_stats& stats, bool fresh);
  void plan_group_occurrence(const scheduler::occurrence& o, sys_seconds since, sys_seconds now,
                             occurrence_cache& cache, reconcile_stats& stats, bool fresh);
  void retire_item(store::item_rec& it, sys_seconds now, reconcile_stats& stats);
  void sync_rows(const std::vector<scheduler::row>& rows, const scheduler::occurrence& o,
                 std::optional<store::item_rec> item, std::int64_t occ_id, std::vector<store::outbox_rec> existing,
                 sys_seconds deadline, sys_seconds now, reconcile_stats& stats);
  void replan_item(store::item_rec& it, sys_seconds now);
  sys_seconds catch_up_time(const store::outbox_rec& r, sys_seconds now) const;
  // Why a catch-up that could only go at or after T is skipped: quiet hours (an SMS they
  // hold back) or past_deadline (the next office-hours start is too late).
  std::string_view late_catch_up_reason(const store::outbox_rec& r, sys_seconds now) const;
  bool settle_missed(std::vector<store::outbox_rec>& due, sys_seconds now);
  bool outstanding(const store::item_rec& it) const;
  void maybe_close(store::item_rec& it, sys_seconds now);
  const config::step* step_of(const config::report& r, std::string_view kind, std::int64_t index) const;
  std::optional<job> prepare(store::outbox_rec row, sys_seconds now);

  store::store& store_;
  std::shared_ptr<const runtime_config> rt_;
  std::mt19937_64 rng_;
};

}  // namespace dondoc::daemon
