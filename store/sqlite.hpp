// A thin RAII layer over the SQLite C API: a connection, prepared statements with typed
// binds and columns, and a transaction guard. SQL only through prepared statements.
// Errors are exceptions of type sqlite_error carrying the SQLite code, so the caller can
// tell SQLITE_FULL/SQLITE_BUSY (expected, lane 2) from bugs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace dondoc::store {

class sqlite_error : public std::runtime_error {
 public:
  sqlite_error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }
  bool disk_full() const;  // SQLITE_FULL or SQLITE_IOERR (no space)
  bool busy() const;       // SQLITE_BUSY / SQLITE_LOCKED

 private:
  int code_;
};

class statement {
 public:
  statement() = default;
  statement(sqlite3* db, std::string_view sql);
  ~statement();
  statement(statement&& o) noexcept;
  statement& operator=(statement&& o) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  // Binds are 1-based, like SQLite.
  statement& bind(int i, std::int64_t v);
  statement& bind(int i, std::string_view v);  // copies the text
  // Binds without a copy: the text must outlive the statement's run (hot insert paths).
  statement& bind_static(int i, std::string_view v);
  statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, std::nullopt_t);
  template <typename T>
  statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind(i, std::nullopt);
  }
  statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, bool v) { return bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }

  // Steps once: true while there is a row.
  bool step();
  // Runs to completion (for writes); resets for reuse.
  void run();
  void reset();

  bool is_null(int col) const;
  std::int64_t get_int(int col) const;
  std::string get_text(int col) const;
  std::optional<std::int64_t> get_opt_int(int col) const;
  std::optional<std::string> get_opt_text(int col) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class database {
 public:
  // Opens (creating) the file; WAL, foreign keys, a busy timeout.
  explicit database(const std::string& path);
  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  void exec(std::string_view sql);
  // Up to 64 MiB of page cache: reconciling a national roster touches hundreds of
  // thousands of index pages; an idle province's daemon never fills it.
  static constexpr std::string_view default_cache_size = "PRAGMA cache_size=-65536";
  static constexpr std::string_view default_autocheckpoint = "PRAGMA wal_autocheckpoint=1000";
  statement prepare(std::string_view sql) { return statement(db_, sql); }
  std::int64_t changes() const;
  std::int64_t total_changes() const;  // rows changed since the connection opened
  std::int64_t last_insert_id() const;
  sqlite3* handle() { return db_; }

  std::int64_t user_version();
  void set_user_version(std::int64_t v);

  // Called by a transaction just before it commits (true) or rolls back (false): the
  // store lets its bulk writer thread finish, or stops it, so that no other thread holds
  // the connection when the transaction ends.
  void on_transaction_end(std::function<void(bool commit)> f) { before_end_ = std::move(f); }
  void transaction_ending(bool commit) {
    if (before_end_) before_end_(commit);
  }

 private:
  sqlite3* db_ = nullptr;
  std::function<void(bool)> before_end_;
};

// Commits on commit(); rolls back when destroyed without it.
class transaction {
 public:
  explicit transaction(database& db);
  ~transaction();
  void commit();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

 private:
  database& db_;
  bool done_ = false;
};

[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view context);

}  // namespace dondoc::store
