// SQLite wrapper. The connection is owned by one thread (the daemon's); statements are
// cached by the store, so the hot paths never re-parse SQL.
#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

namespace dondoc::store {

bool sqlite_error::disk_full() const {
  const int primary = code_ & 0xff;
  return primary == SQLITE_FULL || code_ == SQLITE_IOERR_WRITE || code_ == SQLITE_IOERR_FSYNC ||
         code_ == SQLITE_IOERR_TRUNCATE || code_ == SQLITE_IOERR_SHMSIZE;
}

bool sqlite_error::busy() const {
  const int primary = code_ & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

void throw_sqlite(sqlite3* db, int rc, std::string_view context) {
  const int ext = db ? sqlite3_extended_errcode(db) : rc;
  throw sqlite_error(ext, fmt::format("sqlite: {}: {} (code {})", context, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), ext));
}

statement::statement(sqlite3* db, std::string_view sql) : db_(db) {
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_,
                                    nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db, rc, fmt::format("prepare \"{}\"", sql.substr(0, 60)));
}

statement::~statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

statement::statement(statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }

statement& statement::operator=(statement&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

statement& statement::bind(int i, std::int64_t v) {
  const int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  return *this;
}

statement& statement::bind(int i, std::string_view v) {
  const int rc = sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  return *this;
}

statement& statement::bind_static(int i, std::string_view v) {
  const int rc = sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  return *this;
}

statement& statement::bind(int i, std::nullopt_t) {
  const int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  return *this;
}

bool statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_);
  throw_sqlite(db_, rc, fmt::format("step \"{}\"", std::string_view(sqlite3_sql(stmt_)).substr(0, 60)));
}

void statement::run() {
  while (step()) {
  }
  reset();
}

void statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t statement::get_int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string statement::get_text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

std::optional<std::int64_t> statement::get_opt_int(int col) const {
  if (is_null(col)) return std::nullopt;
  return get_int(col);
}

std::optional<std::string> statement::get_opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return get_text(col);
}

database::database(const std::string& path) {
  // Process-wide, before SQLite initialises: no memory statistics (a global mutex per
  // allocation). Later calls fail harmlessly with SQLITE_MISUSE.
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
    throw sqlite_error(rc, fmt::format("cannot open database {}: {}", path, msg));
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
  // A new database gets 8 KiB pages (the page size is fixed once the first table exists):
  // the first plan of a national roster writes 180 MB, and twice the page halves the
  // B-tree's per-page work — measured 0.2–0.4 s of its 4.5 s. An existing file keeps its own.
  exec("PRAGMA page_size=8192");
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=FULL");
  exec("PRAGMA foreign_keys=ON");
  exec("PRAGMA temp_store=MEMORY");
  exec(default_cache_size);
}

database::~database() {
  if (db_) sqlite3_close_v2(db_);
}

void database::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string s(sql);
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    throw sqlite_error(sqlite3_extended_errcode(db_), fmt::format("sqlite: {}: {}", s.substr(0, 60), msg));
  }
}

std::int64_t database::changes() const { return sqlite3_changes64(db_); }
std::int64_t database::total_changes() const { return sqlite3_total_changes64(db_); }
std::int64_t database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

std::int64_t database::user_version() {
  auto st = prepare("PRAGMA user_version");
  st.step();
  return st.get_int(0);
}

void database::set_user_version(std::int64_t v) { exec(fmt::format("PRAGMA user_version={}", v)); }

transaction::transaction(database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

transaction::~transaction() {
  if (!done_) {
    try {
      db_.transaction_ending(false);
      db_.exec("ROLLBACK");
    } catch (...) {
      // The transaction may already be gone (e.g. after SQLITE_FULL rolled it back).
    }
  }
}

void transaction::commit() {
  db_.transaction_ending(true);
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace dondoc::store
