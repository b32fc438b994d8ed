// SQLite implementation of the store. Migrations are numbered and append-only: the
// database records its version (PRAGMA user_version) and each start applies the missing
// ones in one transaction. Statements are prepared once and cached.
#include "store/store.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dondoc::store {
namespace {

// Each entry upgrades the schema by one version. Never edit a released entry; add one.
const std::array<std::string_view, 3> migrations = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE tracking (
  report_id TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  since INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  planned_through TEXT NOT NULL,
  PRIMARY KEY (report_id, unit_id)
) WITHOUT ROWID;

CREATE TABLE occurrences (
  id INTEGER PRIMARY KEY,
  report_id TEXT NOT NULL,
  period TEXT NOT NULL,
  name TEXT NOT NULL,
  nominal TEXT NOT NULL,
  title TEXT NOT NULL,
  basis TEXT NOT NULL,
  submit_to TEXT NOT NULL,
  last_day TEXT NOT NULL,
  deadline INTEGER NOT NULL,
  in_roster INTEGER NOT NULL DEFAULT 1,
  UNIQUE (report_id, period)
);
CREATE INDEX occurrences_name ON occurrences(name);
CREATE INDEX occurrences_nominal ON occurrences(nominal);

CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  occurrence INTEGER NOT NULL REFERENCES occurrences(id),
  unit_id TEXT NOT NULL,
  unit_name TEXT NOT NULL,
  unit_kind TEXT NOT NULL,
  tracked INTEGER NOT NULL,
  in_plan INTEGER NOT NULL DEFAULT 1,
  reply_code TEXT NOT NULL UNIQUE,
  ext_last_day TEXT,
  ext_deadline INTEGER,
  acknowledged_at INTEGER,
  acknowledged_by TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'open',
  submitted_at INTEGER,
  submit_source TEXT NOT NULL DEFAULT '',
  submit_confirmed INTEGER NOT NULL DEFAULT 0,
  exempted_at INTEGER,
  note TEXT NOT NULL DEFAULT '',
  closed_at INTEGER,
  UNIQUE (occurrence, unit_id)
);
CREATE INDEX items_unit ON items(unit_id);

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  item INTEGER REFERENCES items(id),
  occurrence INTEGER NOT NULL REFERENCES occurrences(id),
  report_id TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  role TEXT NOT NULL,
  kind TEXT NOT NULL,
  step INTEGER NOT NULL,
  step_name TEXT NOT NULL,
  repeat INTEGER NOT NULL,
  channel TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  due INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  provider_id TEXT NOT NULL DEFAULT '',
  catch_up INTEGER NOT NULL DEFAULT 0,
  day_based INTEGER NOT NULL DEFAULT 0,
  urgent INTEGER NOT NULL DEFAULT 0,
  first_attempt_at INTEGER,
  sent_at INTEGER,
  delivered_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX outbox_key ON outbox(key);
CREATE INDEX outbox_planned ON outbox(next_at) WHERE state = 'planned';
CREATE INDEX outbox_sending ON outbox(state) WHERE state = 'sending';
CREATE INDEX outbox_item ON outbox(item);
CREATE INDEX outbox_group ON outbox(occurrence) WHERE item IS NULL;
CREATE INDEX outbox_provider ON outbox(provider_id) WHERE provider_id <> '';

CREATE TABLE sms_counts (
  number_hash TEXT NOT NULL,
  day TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (number_hash, day)
) WITHOUT ROWID;

CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  who TEXT NOT NULL,
  how TEXT NOT NULL,
  action TEXT NOT NULL,
  item INTEGER,
  occurrence TEXT NOT NULL DEFAULT '',
  unit_id TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  raw TEXT NOT NULL DEFAULT '',
  raw_reduced INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX audit_item ON audit(item);
CREATE INDEX audit_unit ON audit(unit_id);
CREATE INDEX audit_at ON audit(at);
)sql",
    // 2: the last message shown per item on the status pages without scanning the outbox.
    R"sql(
ALTER TABLE items ADD COLUMN last_message_at INTEGER;
ALTER TABLE items ADD COLUMN last_message_channel TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN last_message_state TEXT NOT NULL DEFAULT '';
)sql",
    // 3: the coordinators' daily digest, one row per (local day, recipient): sent at most
    // once a day across restarts; the last sent fingerprint tells "nothing changed"
    // (store/digests.cpp).
    R"sql(
CREATE TABLE digests (
  day TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  key TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  fingerprint TEXT NOT NULL DEFAULT '',
  outstanding INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  PRIMARY KEY (day, contact_id)
) WITHOUT ROWID;
CREATE INDEX digests_contact_sent ON digests(contact_id, sent_at) WHERE state = 'sent';
)sql",
};

std::int64_t secs(sys_seconds t) { return t.time_since_epoch().count(); }
sys_seconds from_secs(std::int64_t s) { return sys_seconds{std::chrono::seconds{s}}; }
std::optional<std::int64_t> opt_secs(const std::optional<sys_seconds>& t) {
  return t ? std::optional<std::int64_t>(secs(*t)) : std::nullopt;
}
std::optional<sys_seconds> opt_from(const std::optional<std::int64_t>& s) {
  return s ? std::optional<sys_seconds>(from_secs(*s)) : std::nullopt;
}

std::string_view to_string(item_state s) {
  switch (s) {
    case item_state::open: return "open";
    case item_state::submitted: return "submitted";
    case item_state::exempted: return "exempted";
  }
  return "open";
}

item_state item_state_from(std::string_view s) {
  if (s == "submitted") return item_state::submitted;
  if (s == "exempted") return item_state::exempted;
  return item_state::open;
}

constexpr std::string_view occurrence_cols =
    "id, report_id, period, name, nominal, title, basis, submit_to, last_day, deadline, in_roster";

occurrence_rec read_occurrence(const statement& s) {
  occurrence_rec o;
  o.id = s.get_int(0);
  o.report_id = s.get_text(1);
  o.period = s.get_text(2);
  o.name = s.get_text(3);
  o.nominal = parse_iso_day(s.get_text(4)).value_or(sys_days{});
  o.title = s.get_text(5);
  o.basis = s.get_text(6);
  o.submit_to = s.get_text(7);
  o.last_day = parse_iso_day(s.get_text(8)).value_or(sys_days{});
  o.deadline = from_secs(s.get_int(9));
  o.in_roster = s.get_int(10) != 0;
  return o;
}

constexpr std::string_view item_cols =
    "id, occurrence, unit_id, unit_name, unit_kind, tracked, in_plan, reply_code, ext_last_day, ext_deadline, "
    "acknowledged_at, acknowledged_by, state, submitted_at, submit_source, submit_confirmed, exempted_at, note, "
    "closed_at, last_message_at, last_message_channel, last_message_state";

item_rec read_item(const statement& s) {
  item_rec it;
  it.id = s.get_int(0);
  it.occurrence = s.get_int(1);
  it.unit_id = s.get_text(2);
  it.unit_name = s.get_text(3);
  it.unit_kind = s.get_text(4);
  it.tracked = s.get_int(5) != 0;
  it.in_plan = s.get_int(6) != 0;
  it.reply_code = s.get_text(7);
  if (auto d = s.get_opt_text(8)) it.ext_last_day = parse_iso_day(*d);
  it.ext_deadline = opt_from(s.get_opt_int(9));
  it.acknowledged_at = opt_from(s.get_opt_int(10));
  it.acknowledged_by = s.get_text(11);
  it.state = item_state_from(s.get_text(12));
  it.submitted_at = opt_from(s.get_opt_int(13));
  it.submit_source = s.get_text(14);
  it.submit_confirmed = s.get_int(15) != 0;
  it.exempted_at = opt_from(s.get_opt_int(16));
  it.note = s.get_text(17);
  it.closed_at = opt_from(s.get_opt_int(18));
  it.last_message_at = opt_from(s.get_opt_int(19));
  it.last_message_channel = s.get_text(20);
  it.last_message_state = s.get_text(21);
  return it;
}

constexpr std::string_view row_cols =
    "id, key, item, occurrence, report_id, unit_id, role, kind, step, step_name, repeat, channel, "
    "contact_id, due, next_at, state, reason, attempts, last_error, provider_id, catch_up, day_based, urgent, "
    "first_attempt_at, sent_at, delivered_at";

outbox_rec read_row(const statement& s) {
  outbox_rec r;
  r.id = s.get_int(0);
  r.key = s.get_text(1);
  r.item = s.get_opt_int(2);
  r.occurrence = s.get_int(3);
  r.report_id = s.get_text(4);
  r.unit_id = s.get_text(5);
  r.role = s.get_text(6);
  r.kind = s.get_text(7);
  r.step = s.get_int(8);
  r.step_name = s.get_text(9);
  r.repeat = s.get_int(10);
  r.channel = s.get_text(11);
  r.contact_id = s.get_text(12);
  r.due = from_secs(s.get_int(13));
  r.next_at = from_secs(s.get_int(14));
  r.state = row_state_from(s.get_text(15)).value_or(row_state::planned);
  r.reason = s.get_text(16);
  r.attempts = s.get_int(17);
  r.last_error = s.get_text(18);
  r.provider_id = s.get_text(19);
  r.catch_up = s.get_int(20) != 0;
  r.day_based = s.get_int(21) != 0;
  r.urgent = s.get_int(22) != 0;
  r.first_attempt_at = opt_from(s.get_opt_int(23));
  r.sent_at = opt_from(s.get_opt_int(24));
  r.delivered_at = opt_from(s.get_opt_int(25));
  return r;
}

constexpr std::string_view audit_cols = "id, at, who, how, action, item, occurrence, unit_id, detail, raw";

audit_rec read_audit(const statement& s) {
  audit_rec a;
  a.id = s.get_int(0);
  a.at = from_secs(s.get_int(1));
  a.who = s.get_text(2);
  a.how = s.get_text(3);
  a.action = s.get_text(4);
  a.item = s.get_opt_int(5);
  a.occurrence = s.get_text(6);
  a.unit_id = s.get_text(7);
  a.detail = s.get_text(8);
  a.raw = s.get_text(9);
  return a;
}

}  // namespace

std::string_view to_string(row_state s) {
  switch (s) {
    case row_state::planned: return "planned";
    case row_state::sending: return "sending";
    case row_state::sent: return "sent";
    case row_state::delivered: return "delivered";
    case row_state::failed: return "failed";
    case row_state::cancelled: return "cancelled";
    case row_state::skipped: return "skipped";
  }
  return "planned";
}

std::optional<row_state> row_state_from(std::string_view s) {
  for (auto st : {row_state::planned, row_state::sending, row_state::sent, row_state::delivered, row_state::failed,
                  row_state::cancelled, row_state::skipped})
    if (to_string(st) == s) return st;
  return std::nullopt;
}

std::string iso_day(sys_days d) { return date::format("%F", d); }

std::optional<sys_days> parse_iso_day(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (y < 0 || m < 0 || d < 0) return std::nullopt;
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)}, date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd};
}

struct store::cache {
  std::map<std::string, statement, std::less<>> statements;
};

// The first plan of a national roster is a million rows: planning them (the engine, on
// the caller's thread) and SQLite writing them each took about half of it. During a bulk
// load the caller hands whole batches to this thread and plans on; it never touches the
// connection meanwhile — its own statements go through cached(), which first waits here
// until everything handed over is written (settle). SQLite's multi-thread mode allows one
// connection on several threads, one at a time; the mutex orders them. A failed write
// stops the writer, and the failure is rethrown on the caller's thread at its next
// hand-over or settle, so the load fails and rolls back as if written in place.
class store::bulk_writer {
 public:
  using task = std::function<void(bulk_writer&)>;

  explicit bulk_writer(database& db) : db_(db), thread_([this] { run(); }) {}
  ~bulk_writer() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    work_.notify_one();
    thread_.join();  // after the statement in hand, if any
  }
  bulk_writer(const bulk_writer&) = delete;
  bulk_writer& operator=(const bulk_writer&) = delete;

  // On the writer's thread: its own prepared statements (the caller's cache is not shared).
  statement& prepared(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) it = statements_.emplace(sql, db_.prepare(sql)).first;
    return it->second;
  }

  // Queues a task. When the queue is full, waits until it is half empty (memory stays
  // bounded, and the two threads do not wake each other for every task).
  void post(task t) {
    std::vector<task> spent;
    {
      std::unique_lock lock(mutex_);
      if (tasks_.size() >= max_queued) {
        caller_waiting_ = true;
        room_.wait(lock, [&] { return error_ || tasks_.size() <= max_queued / 2; });
        caller_waiting_ = false;
      }
      if (error_) std::rethrow_exception(error_);
      tasks_.push_back(std::move(t));
      spent.swap(done_);
      if (writer_waiting_) work_.notify_one();
    }
    // Written tasks are destroyed here: their batches were allocated on this thread.
  }

  // Waits until every task handed over is written; rethrows a failed write.
  void settle() {
    std::vector<task> spent;
    std::unique_lock lock(mutex_);
    caller_waiting_ = true;
    room_.wait(lock, [&] { return error_ || (tasks_.empty() && !busy_); });
    caller_waiting_ = false;
    spent.swap(done_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  static constexpr std::size_t max_queued = 16;

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!stop_ && tasks_.empty()) {
        writer_waiting_ = true;
        work_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
        writer_waiting_ = false;
      }
      if (stop_) return;
      task t = std::move(tasks_.front());
      tasks_.pop_front();
      busy_ = true;
      lock.unlock();
      std::exception_ptr failed;
      try {
        t(*this);
      } catch (...) {
        failed = std::current_exception();
      }
      lock.lock();
      busy_ = false;
      done_.push_back(std::move(t));
      if (failed) {
        error_ = failed;
        for (auto& q : tasks_) done_.push_back(std::move(q));
        tasks_.clear();
      }
      if (caller_waiting_ && (error_ || tasks_.size() <= max_queued / 2)) room_.notify_one();
    }
  }

  database& db_;
  std::map<std::string, statement, std::less<>> statements_;
  std::mutex mutex_;
  std::condition_variable work_;  // to the writer: a task queued, or stop
  std::condition_variable room_;  // to the caller: room in the queue, idle, or an error
  std::deque<task> tasks_;
  std::vector<task> done_;  // written, to be destroyed on the caller's thread
  bool busy_ = false;
  bool stop_ = false;
  bool writer_waiting_ = false;
  bool caller_waiting_ = false;
  std::exception_ptr error_;
  std::thread thread_;  // last: starts once the rest is built
};

store::store(const std::string& path) : db_(path), cache_(std::make_unique<cache>()) {
  migrate();
  // A transaction ending while a bulk load's writer is alive (an exception left the load
  // before abort_bulk_load): a commit waits for it, a rollback stops it first — never
  // COMMIT or ROLLBACK beside a statement of the writer's.
  db_.on_transaction_end([this](bool commit) {
    if (!writer_) return;
    if (commit) settle();
    else writer_.reset();
  });
}

store::~store() = default;

database& store::db() {
  settle();
  return db_;
}

void store::settle() {
  if (writer_) writer_->settle();
}

void store::write_bulk(std::function<void(const prepare_fn&)> write) {
  if (writer_) {
    writer_->post([write = std::move(write)](bulk_writer& w) {
      write([&w](const std::string& sql) -> statement& { return w.prepared(sql); });
    });
    return;
  }
  write([this](const std::string& sql) -> statement& { return cached(sql); });
}

std::int64_t store::schema_version() { return static_cast<std::int64_t>(migrations.size()); }

void store::migrate_to(database& db, std::int64_t want) {
  const std::int64_t have = db.user_version();
  if (have > schema_version())
    throw sqlite_error(0, fmt::format("the database has schema version {}, newer than this dondoc knows ({}); "
                                      "refusing to touch it",
                                      have, schema_version()));
  if (have >= want) return;
  transaction tx(db);
  for (std::int64_t v = have; v < want; ++v) db.exec(migrations[static_cast<std::size_t>(v)]);
  db.set_user_version(want);
  tx.commit();
}

void store::migrate() { migrate_to(db_, schema_version()); }

statement& store::cached(std::string_view sql) {
  settle();
  auto it = cache_->statements.find(sql);
  if (it == cache_->statements.end()) it = cache_->statements.emplace(std::string(sql), db_.prepare(sql)).first;
  it->second.reset();
  return it->second;
}

// --- tracking -------------------------------------------------------------------------

std::vector<tracking_rec> store::load_tracking() {
  auto& st = cached("SELECT report_id, unit_id, since, fingerprint, planned_through FROM tracking");
  std::vector<tracking_rec> out;
  while (st.step()) {
    tracking_rec t;
    t.report_id = st.get_text(0);
    t.unit_id = st.get_text(1);
    t.since = from_secs(st.get_int(2));
    t.fingerprint = st.get_text(3);
    t.planned_through = parse_iso_day(st.get_text(4)).value_or(sys_days{});
    out.push_back(std::move(t));
  }
  st.reset();
  return out;
}

void store::put_tracking(const tracking_rec& t) {
  static const std::string sql =
      "INSERT INTO tracking(report_id, unit_id, since, fingerprint, planned_through) VALUES(?,?,?,?,?) "
      "ON CONFLICT(report_id, unit_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
      "planned_through = excluded.planned_through";
  // During a bulk load, written by the writer thread in order with the batches.
  write_bulk([t](const prepare_fn& prepare) {
    prepare(sql)
        .bind(1, t.report_id)
        .bind(2, t.unit_id)
        .bind(3, secs(t.since))
        .bind(4, t.fingerprint)
        .bind(5, iso_day(t.planned_through))
        .run();
  });
}

// --- occurrences ------------------------------------------------------------------------

std::int64_t store::upsert_occurrence(occurrence_rec& o) {
  auto existing = occurrence_by_period(o.report_id, o.period);
  if (!existing) {
    cached("INSERT INTO occurrences(report_id, period, name, nominal, title, basis, submit_to, last_day, deadline, "
           "in_roster) VALUES(?,?,?,?,?,?,?,?,?,1)")
        .bind(1, o.report_id)
        .bind(2, o.period)
        .bind(3, o.name)
        .bind(4, iso_day(o.nominal))
        .bind(5, o.title)
        .bind(6, o.basis)
        .bind(7, o.submit_to)
        .bind(8, iso_day(o.last_day))
        .bind(9, secs(o.deadline))
        .run();
    o.id = db_.last_insert_id();
    return o.id;
  }
  o.id = existing->id;
  if (existing->name != o.name || existing->nominal != o.nominal || existing->title != o.title ||
      existing->basis != o.basis || existing->submit_to != o.submit_to || existing->last_day != o.last_day ||
      existing->deadline != o.deadline || !existing->in_roster) {
    cached("UPDATE occurrences SET name=?, nominal=?, title=?, basis=?, submit_to=?, last_day=?, deadline=?, "
           "in_roster=1 WHERE id=?")
        .bind(1, o.name)
        .bind(2, iso_day(o.nominal))
        .bind(3, o.title)
        .bind(4, o.basis)
        .bind(5, o.submit_to)
        .bind(6, iso_day(o.last_day))
        .bind(7, secs(o.deadline))
        .bind(8, o.id)
        .run();
  }
  return o.id;
}

std::optional<occurrence_rec> store::occurrence_by_id(std::int64_t id) {
  auto& st = cached(fmt::format("SELECT {} FROM occurrences WHERE id=?", occurrence_cols));
  st.bind(1, id);
  std::optional<occurrence_rec> out;
  if (st.step()) out = read_occurrence(st);
  st.reset();
  return out;
}

std::optional<occurrence_rec> store::occurrence_by_name(std::string_view name) {
  auto& st = cached(fmt::format("SELECT {} FROM occurrences WHERE name=? ORDER BY id DESC LIMIT 1", occurrence_cols));
  st.bind(1, name);
  std::optional<occurrence_rec> out;
  if (st.step()) out = read_occurrence(st);
  st.reset();
  return out;
}

std::optional<occurrence_rec> store::occurrence_by_period(std::string_view report_id, std::string_view period) {
  auto& st = cached(fmt::format("SELECT {} FROM occurrences WHERE report_id=? AND period=?", occurrence_cols));
  st.bind(1, report_id).bind(2, period);
  std::optional<occurrence_rec> out;
  if (st.step()) out = read_occurrence(st);
  st.reset();
  return out;
}

std::vector<occurrence_rec> store::occurrences_since(sys_days nominal_from) {
  auto& st = cached(fmt::format("SELECT {} FROM occurrences WHERE nominal >= ? ORDER BY last_day, name", occurrence_cols));
  st.bind(1, iso_day(nominal_from));
  std::vector<occurrence_rec> out;
  while (st.step()) out.push_back(read_occurrence(st));
  st.reset();
  return out;
}

void store::set_occurrence_in_roster(std::int64_t id, bool in) {
  cached("UPDATE occurrences SET in_roster=? WHERE id=?").bind(1, in).bind(2, id).run();
}

// --- items -------------------------------------------------------------------------------

std::optional<item_rec> store::item(std::int64_t occurrence, std::string_view unit_id) {
  auto& st = cached(fmt::format("SELECT {} FROM items WHERE occurrence=? AND unit_id=?", item_cols));
  st.bind(1, occurrence).bind(2, unit_id);
  std::optional<item_rec> out;
  if (st.step()) out = read_item(st);
  st.reset();
  return out;
}

std::optional<item_rec> store::item_by_id(std::int64_t id) {
  auto& st = cached(fmt::format("SELECT {} FROM items WHERE id=?", item_cols));
  st.bind(1, id);
  std::optional<item_rec> out;
  if (st.step()) out = read_item(st);
  st.reset();
  return out;
}

std::optional<item_rec> store::item_by_code(std::string_view code) {
  auto& st = cached(fmt::format("SELECT {} FROM items WHERE reply_code=?", item_cols));
  st.bind(1, code);
  std::optional<item_rec> out;
  if (st.step()) out = read_item(st);
  st.reset();
  return out;
}

std::vector<item_rec> store::items_of_occurrence(std::int64_t occurrence) {
  auto& st = cached(fmt::format("SELECT {} FROM items WHERE occurrence=? ORDER BY unit_id", item_cols));
  st.bind(1, occurrence);
  std::vector<item_rec> out;
  while (st.step()) out.push_back(read_item(st));
  st.reset();
  return out;
}

std::vector<item_rec> store::items_of_unit(std::string_view unit_id) {
  auto& st = cached(fmt::format("SELECT {} FROM items WHERE unit_id=? ORDER BY occurrence", item_cols));
  st.bind(1, unit_id);
  std::vector<item_rec> out;
  while (st.step()) out.push_back(read_item(st));
  st.reset();
  return out;
}

std::vector<item_rec> store::items_of_report_unit(std::string_view report_id, std::string_view unit_id) {
  auto& st = cached(fmt::format("SELECT {} FROM items WHERE unit_id=? AND occurrence IN "
                                "(SELECT id FROM occurrences WHERE report_id=?) ORDER BY occurrence",
                                item_cols));
  st.bind(1, unit_id).bind(2, report_id);
  std::vector<item_rec> out;
  while (st.step()) out.push_back(read_item(st));
  st.reset();
  return out;
}

namespace {
// Rows per statement in a bulk load: a statement's fixed cost (step, halt, reset) paid once
// per row was a sixth of the first plan.
constexpr std::size_t bulk_batch = 64;

std::string values_sql(std::string_view head, std::string_view one, std::size_t rows) {
  std::string sql(head);
  for (std::size_t i = 0; i < rows; ++i) {
    if (i) sql += ',';
    sql += one;
  }
  return sql;
}

// Writes a bulk load's buffered records: one statement for a full batch, else one per
// record. `statement_for(full)` gives the prepared INSERT; `bind` binds a record from
// parameter base+1 on.
template <typename Rec, typename Bind>
void insert_batched(const std::vector<Rec>& recs, int columns, const std::function<statement&(bool)>& statement_for,
                    Bind bind) {
  const bool full = recs.size() == bulk_batch;
  const std::size_t per_statement = full ? bulk_batch : 1;
  for (std::size_t first = 0; first < recs.size(); first += per_statement) {
    auto& st = statement_for(full);
    for (std::size_t k = 0; k < per_statement; ++k) bind(st, static_cast<int>(k) * columns, recs[first + k]);
    st.run();
  }
}
}  // namespace

void store::flush_bulk_items() {
  static constexpr std::string_view head =
      "INSERT INTO items(id, occurrence, unit_id, unit_name, unit_kind, tracked, in_plan, reply_code) VALUES";
  static const std::string full_batch = values_sql(head, "(?,?,?,?,?,?,?,?)", bulk_batch);
  static const std::string one_row = values_sql(head, "(?,?,?,?,?,?,?,?)", 1);
  bulk_items_written_ += static_cast<std::int64_t>(bulk_items_.size());
  write_bulk([batch = std::exchange(bulk_items_, {})](const prepare_fn& prepare) {
    insert_batched(
        batch, 8, [&](bool full) -> statement& { return prepare(full ? full_batch : one_row); },
        [](statement& st, int b, const item_rec& it) {
          st.bind(b + 1, it.id)
              .bind(b + 2, it.occurrence)
              .bind_static(b + 3, it.unit_id)
              .bind_static(b + 4, it.unit_name)
              .bind_static(b + 5, it.unit_kind)
              .bind(b + 6, it.tracked)
              .bind(b + 7, it.in_plan)
              .bind_static(b + 8, it.reply_code);
        });
  });
  bulk_items_.reserve(bulk_batch);
}

void store::insert_item(item_rec& it, std::uint64_t random_seed) {
  static constexpr std::string_view alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
  // splitmix64: seeding a Mersenne Twister per item cost more than the rest of this function.
  std::uint64_t state = random_seed ^ static_cast<std::uint64_t>(it.occurrence * 1000003) ^
                        std::hash<std::string>{}(it.unit_id);
  auto next = [&state] {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string code(6, ' ');
    std::uint64_t bits = next();
    for (auto& c : code) {
      c = alphabet[bits % alphabet.size()];
      bits /= alphabet.size();
    }
    bool taken;
    if (bulk_ && bulk_items_empty_) {
      taken = !bulk_codes_.insert(code).second;  // the load's own codes are all there are
    } else {
      auto& check = cached("SELECT 1 FROM items WHERE reply_code=?");
      check.bind(1, code);
      taken = check.step();
      check.reset();
    }
    if (taken) continue;
    it.reply_code = code;
    if (bulk_ && bulk_items_empty_) {
      // Numbered here (the table was empty: ids from 1, as SQLite would give them) and
      // written with the next batch, so the load's rows can refer to it at once.
      it.id = bulk_items_written_ + static_cast<std::int64_t>(bulk_items_.size()) + 1;
      bulk_items_.push_back(it);
      if (bulk_items_.size() == bulk_batch) flush_bulk_items();
      return;
    }
    cached("INSERT INTO items(occurrence, unit_id, unit_name, unit_kind, tracked, in_plan, reply_code) "
           "VALUES(?,?,?,?,?,?,?)")
        .bind(1, it.occurrence)
        .bind(2, it.unit_id)
        .bind(3, it.unit_name)
        .bind(4, it.unit_kind)
        .bind(5, it.tracked)
        .bind(6, it.in_plan)
        .bind(7, it.reply_code)
        .run();
    it.id = db_.last_insert_id();
    return;
  }
  throw sqlite_error(0, "could not find a free reply code after 100 attempts");
}

void store::update_item(const item_rec& it) {
  if (!bulk_items_.empty()) flush_bulk_items();  // it may be one of them
  cached("UPDATE items SET tracked=?, in_plan=?, ext_last_day=?, ext_deadline=?, acknowledged_at=?, "
         "acknowledged_by=?, state=?, submitted_at=?, submit_source=?, submit_confirmed=?, exempted_at=?, note=?, "
         "closed_at=?, last_message_at=?, last_message_channel=?, last_message_state=? WHERE id=?")
      .bind(1, it.tracked)
      .bind(2, it.in_plan)
      .bind(3, it.ext_last_day ? std::optional<std::string>(iso_day(*it.ext_last_day)) : std::nullopt)
      .bind(4, opt_secs(it.ext_deadline))
      .bind(5, opt_secs(it.acknowledged_at))
      .bind(6, it.acknowledged_by)
      .bind(7, to_string(it.state))
      .bind(8, opt_secs(it.submitted_at))
      .bind(9, it.submit_source)
      .bind(10, it.submit_confirmed)
      .bind(11, opt_secs(it.exempted_at))
      .bind(12, it.note)
      .bind(13, opt_secs(it.closed_at))
      .bind(14, opt_secs(it.last_message_at))
      .bind(15, it.last_message_channel)
      .bind(16, it.last_message_state)
      .bind(17, it.id)
      .run();
}

// --- outbox ------------------------------------------------------------------------------

namespace {
constexpr std::string_view outbox_insert_head =
    "INSERT INTO outbox(key, item, occurrence, report_id, unit_id, role, kind, step, step_name, repeat, channel, "
    "contact_id, due, next_at, state, reason, catch_up, day_based, urgent, updated_at) VALUES";
constexpr std::string_view outbox_insert_values = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
constexpr int outbox_insert_columns = 20;

std::string outbox_insert_sql(std::size_t rows) { return values_sql(outbox_insert_head, outbox_insert_values, rows); }

void bind_outbox_row(statement& st, int base, const outbox_rec& r) {
  st.bind_static(base + 1, r.key)
      .bind(base + 2, r.item)
      .bind(base + 3, r.occurrence)
      .bind_static(base + 4, r.report_id)
      .bind_static(base + 5, r.unit_id)
      .bind_static(base + 6, r.role)
      .bind_static(base + 7, r.kind)
      .bind(base + 8, r.step)
      .bind_static(base + 9, r.step_name)
      .bind(base + 10, r.repeat)
      .bind_static(base + 11, r.channel)
      .bind_static(base + 12, r.contact_id)
      .bind(base + 13, secs(r.due))
      .bind(base + 14, secs(r.next_at))
      .bind(base + 15, to_string(r.state))
      .bind_static(base + 16, r.reason)
      .bind(base + 17, r.catch_up)
      .bind(base + 18, r.day_based)
      .bind(base + 19, r.urgent)
      .bind(base + 20, secs(r.due));
}
}  // namespace

std::int64_t store::insert_row(outbox_rec&& r) {
  if (bulk_) {
    // Written with its batch (a full one, or the rest at end_bulk_load): no id yet.
    bulk_rows_.push_back(std::move(r));
    if (bulk_rows_.size() == bulk_batch) flush_bulk_rows();
    return 0;
  }
  static const std::string one_row = outbox_insert_sql(1);
  auto& st = cached(one_row);
  bind_outbox_row(st, 0, r);
  st.run();
  return db_.last_insert_id();
}

void store::flush_bulk_rows() {
  // The rows may refer to items still buffered: write those first when each row's
  // references are checked as it is written (outside a first_load_scope).
  if (!foreign_keys_off_) flush_bulk_items();
  static const std::string full_batch = outbox_insert_sql(bulk_batch);
  static const std::string one_row = outbox_insert_sql(1);
  write_bulk([batch = std::exchange(bulk_rows_, {})](const prepare_fn& prepare) {
    insert_batched(
        batch, outbox_insert_columns, [&](bool full) -> statement& { return prepare(full ? full_batch : one_row); },
        bind_outbox_row);
  });
  bulk_rows_.reserve(bulk_batch);
}

// The outbox indexes in random order (the key is a hash, next_at follows the plan, not the
// insertion). A first start on an empty outbox writes every row of the horizon at once;
// building these two afterwards (a sort) costs a fraction of maintaining them row by row.
// The others stay: items are few, outbox_item grows in insertion order, and the partial
// indexes hold no row of a fresh plan — a CREATE INDEX would scan the whole table for
// each. Each is rebuilt from its own definition in sqlite_schema (migrations own it).
namespace {
constexpr std::array<std::string_view, 2> bulk_indexes{"outbox_key", "outbox_planned"};
}  // namespace

// SQLite sorts for CREATE INDEX on the calling thread, in memory, in runs as large as the
// page cache — one run of the whole index on the bulk load's 1 GiB cache. With runs of
// 4 MiB written to temporary files and two worker threads sorting them, `outbox_key` over
// 900,900 rows takes half the time (0.45–0.65 s instead of 1.1–1.4 s; bench/RESULTS.md).
// SQLite gives the sorter worker threads only when temporary files are on disk, so
// temp_store is FILE for the builds; the load's dirty pages are not spilled to the WAL
// while the cache is small (cache_spill off: the cache grows by the new index pages). A
// temporary file needs a writable directory, looked for as SQLite does (os_unix.c,
// unixTempFileDir); without one the sort stays in memory. The caller restores the cache.
namespace {
bool sqlite_temp_dir_available() {
  const char* const env[] = {std::getenv("SQLITE_TMPDIR"), std::getenv("TMPDIR")};
  const char* const fixed[] = {"/var/tmp", "/usr/tmp", "/tmp", "."};
  auto usable = [](const char* dir) {
    struct stat st{};
    return dir != nullptr && ::stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && ::access(dir, W_OK | X_OK) == 0;
  };
  return std::any_of(std::begin(env), std::end(env), usable) || std::any_of(std::begin(fixed), std::end(fixed), usable);
}

class threaded_sort {
 public:
  explicit threaded_sort(database& db) : db_(db) {
    if (!sqlite_temp_dir_available()) {
      spdlog::debug("first plan: no writable temporary directory; the indexes are sorted in memory");
      return;
    }
    try {
      db_.exec("PRAGMA temp_store=FILE");
      on_ = true;
      db_.exec("PRAGMA threads=2; PRAGMA cache_spill=OFF; PRAGMA cache_size=-4096");
    } catch (const std::exception& e) {
      spdlog::debug("first plan: the indexes are sorted in memory: {}", e.what());
    }
  }
  threaded_sort(const threaded_sort&) = delete;
  threaded_sort& operator=(const threaded_sort&) = delete;
  ~threaded_sort() {
    if (!on_) return;
    try {
      db_.exec("PRAGMA temp_store=MEMORY; PRAGMA threads=0; PRAGMA cache_spill=ON");
    } catch (const std::exception& e) {
      spdlog::error("store: the sort settings could not be restored: {}", e.what());
    }
  }

 private:
  database& db_;
  bool on_ = false;
};
}  // namespace

bool store::outbox_empty() {
  auto& any = cached("SELECT 1 FROM outbox LIMIT 1");
  const bool empty = !any.step();
  any.reset();
  return empty;
}

bool store::begin_bulk_load() {
  if (bulk_ || !outbox_empty()) return false;
  // The writer's thread first: if it cannot start, nothing has changed yet.
  auto writer = std::make_unique<bulk_writer>(db_);
  try {
    cache_->statements.clear();  // statements may refer to the indexes
    bulk_index_sql_.clear();
    for (const auto name : bulk_indexes) {
      auto def = db_.prepare("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?");
      def.bind(1, name);
      if (!def.step()) continue;
      bulk_index_sql_.push_back(def.get_text(0));
      def.reset();
      db_.exec(fmt::format("DROP INDEX {}", name));
    }
    // The whole first plan stays in the page cache until it commits (no spill to the WAL
    // and back while the indexes are built); given back afterwards.
    db_.exec("PRAGMA cache_size=-1048576");
    // The commit writes the load to the WAL (durable there); copying it into the database
    // file waits for checkpoint_after_bulk_load(), after READY, instead of the commit.
    checkpoint_pending_ = true;
    db_.exec("PRAGMA wal_autocheckpoint=0");
    auto& items = cached("SELECT 1 FROM items LIMIT 1");
    bulk_items_empty_ = !items.step();
    items.reset();
  } catch (...) {
    restore_bulk_settings();  // the caller's rollback restores the dropped indexes
    throw;
  }
  bulk_items_written_ = 0;
  bulk_ = true;
  writer_ = std::move(writer);
  return true;
}

void store::restore_bulk_settings() noexcept {
  bulk_index_sql_.clear();
  bulk_codes_.clear();
  checkpoint_pending_ = false;
  try {
    db_.exec(database::default_cache_size);
    db_.exec(database::default_autocheckpoint);
  } catch (const std::exception& e) {
    spdlog::error("store: the page cache and checkpoint settings could not be restored: {}", e.what());
  }
}

store::first_load_scope::first_load_scope(store& st) : st_(st) {
  if (!st_.outbox_empty()) return;
  st_.db_.exec("PRAGMA foreign_keys=OFF");
  st_.foreign_keys_off_ = true;
}

store::first_load_scope::~first_load_scope() {
  if (!st_.foreign_keys_off_) return;
  st_.foreign_keys_off_ = false;
  try {
    st_.db_.exec("PRAGMA foreign_keys=ON");
  } catch (const std::exception& e) {
    spdlog::error("store: foreign-key checks could not be turned back on: {}", e.what());
  }
}

void store::end_bulk_load() {
  if (!bulk_) return;
  const auto t0 = std::chrono::steady_clock::now();
  auto ms = [&t0] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  };
  flush_bulk_items();
  flush_bulk_rows();
  settle();
  writer_.reset();
  const auto written = ms();
  cache_->statements.clear();
  if (foreign_keys_off_) {
    auto check = db_.prepare("PRAGMA foreign_key_check");
    if (check.step())
      throw std::runtime_error(fmt::format("first plan: row {} of {} refers to a missing row of {}",
                                           check.get_int(1), check.get_text(0), check.get_text(2)));
  }
  const auto checked = ms();
  std::string each;
  {
    threaded_sort sort(db_);
    for (std::size_t i = 0; i < bulk_index_sql_.size(); ++i) {
      const auto before = ms();
      db_.exec(bulk_index_sql_[i]);
      each += fmt::format("{}{} ms", i == 0 ? "" : ", ", ms() - before);
    }
  }
  db_.exec(database::default_cache_size);
  bulk_ = false;
  bulk_index_sql_.clear();
  bulk_codes_.clear();
  spdlog::debug("first plan: the last batches written at {} ms, references checked at {} ms, indexes built at {} ms "
                "({})",
                written, checked, ms(), each);
}

void store::checkpoint_after_bulk_load() {
  if (!checkpoint_pending_) return;
  checkpoint_pending_ = false;
  db_.exec(database::default_autocheckpoint);
  db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

void store::abort_bulk_load() noexcept {
  // Stops the writer (what it was not yet handed is dropped) before the caller's rollback
  // undoes the rest; called from an unwinding guard, so it does not throw.
  writer_.reset();
  bulk_items_.clear();
  bulk_rows_.clear();
  cache_->statements.clear();
  bulk_ = false;
  restore_bulk_settings();
}

std::vector<outbox_rec> store::rows_of_item(std::int64_t item) {
  auto& st = cached(fmt::format("SELECT {} FROM outbox WHERE item=? ORDER BY due, id", row_cols));
  st.bind(1, item);
  std::vector<outbox_rec> out;
  while (st.step()) out.push_back(read_row(st));
  st.reset();
  return out;
}

std::vector<outbox_rec> store::group_rows_of_occurrence(std::int64_t occurrence) {
  auto& st = cached(fmt::format("SELECT {} FROM outbox WHERE occurrence=? AND item IS NULL ORDER BY due, id", row_cols));
  st.bind(1, occurrence);
  std::vector<outbox_rec> out;
  while (st.step()) out.push_back(read_row(st));
  st.reset();
  return out;
}

std::vector<outbox_rec> store::rows_of_occurrence(std::int64_t occurrence) {
  auto& st = cached(fmt::format("SELECT {} FROM outbox WHERE item IN (SELECT id FROM items WHERE occurrence=?1) "
                                "OR (item IS NULL AND occurrence=?1) ORDER BY due, id",
                                row_cols));
  st.bind(1, occurrence);
  std::vector<outbox_rec> out;
  while (st.step()) out.push_back(read_row(st));
  st.reset();
  return out;
}

std::optional<outbox_rec> store::row_by_id(std::int64_t id) {
  auto& st = cached(fmt::format("SELECT {} FROM outbox WHERE id=?", row_cols));
  st.bind(1, id);
  std::optional<outbox_rec> out;
  if (st.step()) out = read_row(st);
  st.reset();
  return out;
}

std::optional<outbox_rec> store::row_by_key(std::string_view key) {
  auto& st = cached(fmt::format("SELECT {} FROM outbox WHERE key=?", row_cols));
  st.bind(1, key);
  std::optional<outbox_rec> out;
  if (st.step()) out = read_row(st);
  st.reset();
  return out;
}

std::optional<outbox_rec> store::row_by_provider_id(std::string_view provider_id) {
  auto& st = cached(fmt::format("SELECT {} FROM outbox WHERE provider_id=? AND provider_id<>'' LIMIT 1", row_cols));
  st.bind(1, provider_id);
  std::optional<outbox_rec> out;
  if (st.step()) out = read_row(st);
  st.reset();
  return out;
}

void store::set_row_times(std::int64_t id, sys_seconds due, sys_seconds next_at, bool catch_up) {
  cached("UPDATE outbox SET due=?, next_at=?, catch_up=?, updated_at=? WHERE id=? AND state='planned'")
      .bind(1, secs(due))
      .bind(2, secs(next_at))
      .bind(3, catch_up)
      .bind(4, secs(next_at))
      .bind(5, id)
      .run();
}

void store::set_row_state(std::int64_t id, row_state s, std::string_view reason, sys_seconds now) {
  cached("UPDATE outbox SET state=?, reason=?, updated_at=? WHERE id=?")
      .bind(1, to_string(s))
      .bind(2, reason)
      .bind(3, secs(now))
      .bind(4, id)
      .run();
}

std::vector<outbox_rec> store::due_rows(sys_seconds now, std::int64_t limit) {
  auto& st = cached(fmt::format("SELECT {} FROM outbox WHERE state='planned' AND next_at<=? ORDER BY next_at, id LIMIT ?",
                                row_cols));
  st.bind(1, secs(now)).bind(2, limit);
  std::vector<outbox_rec> out;
  while (st.step()) out.push_back(read_row(st));
  st.reset();
  return out;
}

std::optional<sys_seconds> store::next_due() {
  auto& st = cached("SELECT MIN(next_at) FROM outbox WHERE state='planned'");
  std::optional<sys_seconds> out;
  if (st.step() && !st.is_null(0)) out = from_secs(st.get_int(0));
  st.reset();
  return out;
}

bool store::claim(std::int64_t id, sys_seconds now) {
  cached("UPDATE outbox SET state='sending', attempts=attempts+1, first_attempt_at=COALESCE(first_attempt_at, ?), "
         "updated_at=? WHERE id=? AND state='planned'")
      .bind(1, secs(now))
      .bind(2, secs(now))
      .bind(3, id)
      .run();
  return db_.changes() == 1;
}

void store::mark_sent(std::int64_t id, sys_seconds now, std::string_view provider_id) {
  cached("UPDATE outbox SET state='sent', sent_at=?, provider_id=?, last_error='', updated_at=? WHERE id=? "
         "AND state='sending'")
      .bind(1, secs(now))
      .bind(2, provider_id)
      .bind(3, secs(now))
      .bind(4, id)
      .run();
}

void store::mark_retry(std::int64_t id, sys_seconds next_at, std::string_view error) {
  cached("UPDATE outbox SET state='planned', next_at=?, last_error=?, updated_at=? WHERE id=? AND state='sending'")
      .bind(1, secs(next_at))
      .bind(2, error)
      .bind(3, secs(next_at))
      .bind(4, id)
      .run();
}

void store::mark_failed(std::int64_t id, sys_seconds now, std::string_view reason, std::string_view error) {
  cached("UPDATE outbox SET state='failed', reason=?, last_error=?, updated_at=? WHERE id=? AND state IN "
         "('sending','planned','sent')")
      .bind(1, reason)
      .bind(2, error)
      .bind(3, secs(now))
      .bind(4, id)
      .run();
}

void store::mark_delivered(std::int64_t id, sys_seconds at) {
  cached("UPDATE outbox SET state='delivered', delivered_at=?, updated_at=? WHERE id=? AND state IN ('sent','sending')")
      .bind(1, secs(at))
      .bind(2, secs(at))
      .bind(3, id)
      .run();
}

std::int64_t store::reset_sending(sys_seconds now) {
  cached("UPDATE outbox SET state='planned', next_at=?, updated_at=? WHERE state='sending'")
      .bind(1, secs(now))
      .bind(2, secs(now))
      .run();
  return db_.changes();
}

outbox_counts store::counts(sys_seconds now) {
  outbox_counts c;
  auto& st = cached("SELECT state, COUNT(*) FROM outbox GROUP BY state");
  while (st.step()) {
    const auto s = row_state_from(st.get_text(0));
    const std::int64_t n = st.get_int(1);
    if (!s) continue;
    switch (*s) {
      case row_state::planned: c.planned = n; break;
      case row_state::sending: c.sending = n; break;
      case row_state::sent: c.sent = n; break;
      case row_state::delivered: c.delivered = n; break;
      case row_state::failed: c.failed = n; break;
      case row_state::cancelled: c.cancelled = n; break;
      case row_state::skipped: c.skipped = n; break;
    }
  }
  st.reset();
  auto& o = cached("SELECT MIN(next_at) FROM outbox WHERE state='planned'");
  if (o.step() && !o.is_null(0) && o.get_int(0) <= secs(now)) c.oldest_due = from_secs(o.get_int(0));
  o.reset();
  return c;
}

std::map<std::pair<std::string, std::string>, std::int64_t> store::row_counts_of_occurrence(std::int64_t occurrence) {
  auto& st = cached("SELECT channel, state, COUNT(*) FROM outbox WHERE item IN (SELECT id FROM items WHERE occurrence=?1) "
                    "OR (item IS NULL AND occurrence=?1) GROUP BY channel, state");
  st.bind(1, occurrence);
  std::map<std::pair<std::string, std::string>, std::int64_t> out;
  while (st.step()) out[{st.get_text(0), st.get_text(1)}] = st.get_int(2);
  st.reset();
  return out;
}

std::vector<outbox_rec> store::rows_in_state(row_state s, std::int64_t limit) {
  auto& st = cached(fmt::format("SELECT {} FROM outbox WHERE state=? ORDER BY updated_at DESC, id DESC LIMIT ?", row_cols));
  st.bind(1, to_string(s)).bind(2, limit);
  std::vector<outbox_rec> out;
  while (st.step()) out.push_back(read_row(st));
  st.reset();
  return out;
}

// --- SMS cap ------------------------------------------------------------------------------

std::int64_t store::sms_count(std::string_view number_hash, std::string_view day) {
  auto& st = cached("SELECT count FROM sms_counts WHERE number_hash=? AND day=?");
  st.bind(1, number_hash).bind(2, day);
  std::int64_t n = 0;
  if (st.step()) n = st.get_int(0);
  st.reset();
  return n;
}

void store::sms_increment(std::string_view number_hash, std::string_view day) {
  cached("INSERT INTO sms_counts(number_hash, day, count) VALUES(?,?,1) "
         "ON CONFLICT(number_hash, day) DO UPDATE SET count = count + 1")
      .bind(1, number_hash)
      .bind(2, day)
      .run();
}

void store::sms_decrement(std::string_view number_hash, std::string_view day) {
  cached("UPDATE sms_counts SET count = MAX(count - 1, 0) WHERE number_hash=? AND day=?")
      .bind(1, number_hash)
      .bind(2, day)
      .run();
}

// --- audit ------------------------------------------------------------------------------

std::int64_t store::audit(const audit_rec& a) {
  cached("INSERT INTO audit(at, who, how, action, item, occurrence, unit_id, detail, raw) VALUES(?,?,?,?,?,?,?,?,?)")
      .bind(1, secs(a.at))
      .bind(2, a.who)
      .bind(3, a.how)
      .bind(4, a.action)
      .bind(5, a.item)
      .bind(6, a.occurrence)
      .bind(7, a.unit_id)
      .bind(8, a.detail)
      .bind(9, a.raw)
      .run();
  return db_.last_insert_id();
}

std::vector<audit_rec> store::audit_of_item(std::int64_t item) {
  auto& st = cached(fmt::format("SELECT {} FROM audit WHERE item=? ORDER BY at, id", audit_cols));
  st.bind(1, item);
  std::vector<audit_rec> out;
  while (st.step()) out.push_back(read_audit(st));
  st.reset();
  return out;
}

std::vector<audit_rec> store::audit_of_unit(std::string_view unit_id, std::int64_t limit) {
  auto& st = cached(fmt::format("SELECT {} FROM audit WHERE unit_id=? ORDER BY at DESC, id DESC LIMIT ?", audit_cols));
  st.bind(1, unit_id).bind(2, limit);
  std::vector<audit_rec> out;
  while (st.step()) out.push_back(read_audit(st));
  st.reset();
  return out;
}

std::int64_t store::close_finished_items(sys_seconds now) {
  auto& st = cached(
      "UPDATE items SET closed_at = MAX("
      "  (SELECT COALESCE(items.ext_deadline, o.deadline) FROM occurrences o WHERE o.id = items.occurrence),"
      "  COALESCE((SELECT MAX(r.updated_at) FROM outbox r WHERE r.item = items.id), 0)) "
      "WHERE closed_at IS NULL AND state = 'open'"
      "  AND (SELECT COALESCE(items.ext_deadline, o.deadline) FROM occurrences o WHERE o.id = items.occurrence) <= ?"
      "  AND NOT EXISTS (SELECT 1 FROM outbox r WHERE r.item = items.id AND r.state IN ('planned', 'sending'))");
  st.bind(1, secs(now));
  st.run();
  return db_.changes();
}

std::int64_t store::reduce_raw(sys_seconds before) {
  auto& sel = cached("SELECT id, raw FROM audit WHERE at<? AND raw_reduced=0 AND raw<>'' LIMIT 10000");
  sel.bind(1, secs(before));
  std::vector<std::pair<std::int64_t, std::string>> raw_rows;
  while (sel.step()) raw_rows.emplace_back(sel.get_int(0), sel.get_text(1));
  sel.reset();
  for (auto& [id, raw] : raw_rows) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(raw.data()), raw.size(), digest);
    std::string hex = "sha256:";
    for (unsigned char b : digest) hex += fmt::format("{:02x}", b);
    cached("UPDATE audit SET raw=?, raw_reduced=1 WHERE id=?").bind(1, hex).bind(2, id).run();
  }
  return static_cast<std::int64_t>(raw_rows.size());
}

std::int64_t store::forget_text(std::string_view needle, std::string_view replacement) {
  if (needle.empty()) return 0;
  cached("UPDATE audit SET raw=replace(raw, ?1, ?2), detail=replace(detail, ?1, ?2) "
         "WHERE instr(raw, ?1) > 0 OR instr(detail, ?1) > 0")
      .bind(1, needle)
      .bind(2, replacement)
      .run();
  return db_.changes();
}

std::optional<std::string> store::meta(std::string_view key) {
  auto& st = cached("SELECT value FROM meta WHERE key=?");
  st.bind(1, key);
  std::optional<std::string> out;
  if (st.step()) out = st.get_text(0);
  st.reset();
  return out;
}

void store::set_meta(std::string_view key, std::string_view value) {
  cached("INSERT INTO meta(key, value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value")
      .bind(1, key)
      .bind(2, value)
      .run();
}

}  // namespace dondoc::store
