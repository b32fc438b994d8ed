// The bulk load of a first plan: its batches are written on a second thread while the
// caller goes on (store::bulk_writer). Labelled `threads`, so it also runs under TSan.
#include <doctest/doctest.h>

#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "store/store.hpp"

using namespace dondoc;
using store::row_state;

namespace {

const std::chrono::sys_seconds june_14{date::sys_days{date::year{2026} / 6 / 14}};

// A store in a fresh temporary directory, with one occurrence (id 1); the directory is
// removed at the end, after the store is closed.
struct fresh_store {
  std::filesystem::path dir;
  std::optional<store::store> st;
  fresh_store() {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("dondoc-bulk-" + std::to_string(rd()));
    std::filesystem::create_directories(dir);
    st.emplace((dir / "dondoc.db").string());
    st->db().exec("INSERT INTO occurrences(report_id, period, name, nominal, title, basis, submit_to, last_day, "
                  "deadline) VALUES('r', '2026', 'r@2026-06-15', '2026-06-15', 'Báo cáo', '', '', '2026-06-15', 0)");
  }
  ~fresh_store() {
    st.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  fresh_store(const fresh_store&) = delete;
  fresh_store& operator=(const fresh_store&) = delete;
};

store::outbox_rec make_row(std::string key, std::int64_t occurrence) {
  store::outbox_rec r;
  r.key = std::move(key);
  r.occurrence = occurrence;
  r.report_id = "r";
  r.kind = "reminder";
  r.step_name = "r:1d";
  r.channel = "email";
  r.due = r.next_at = june_14;
  return r;
}

store::item_rec make_item(int n) {
  store::item_rec it;
  it.occurrence = 1;
  it.unit_id = "u" + std::to_string(n);
  it.unit_name = "Đơn vị " + std::to_string(n);
  it.unit_kind = "xa";
  return it;
}

// A bulk load of `rows` rows (keys k0, k1, …) of occurrence 1, committed.
void load_rows(store::store& st, int rows) {
  {
    store::transaction t(st.db());
    REQUIRE(st.begin_bulk_load());
    for (int i = 0; i < rows; ++i) st.insert_row(make_row("k" + std::to_string(i), 1));
    st.end_bulk_load();
    t.commit();
  }
  st.checkpoint_after_bulk_load();
}

std::int64_t count(store::store& st, const std::string& table) {
  auto q = st.db().prepare("SELECT count(*) FROM " + table);
  q.step();
  return q.get_int(0);
}

}  // namespace

TEST_CASE("a first load checks its references once, at its end; outside it each row is checked as written") {
  fresh_store env;
  auto& st = *env.st;
  const auto row = make_row;
  {
    // A load with one dangling reference among 150 rows (two full batches and a rest):
    // refused as a whole at its end, and nothing of it stays.
    store::store::first_load_scope scope(st);
    store::transaction t(st.db());
    REQUIRE(st.begin_bulk_load());
    for (int i = 0; i < 150; ++i) st.insert_row(row("k" + std::to_string(i), i == 70 ? 99 : 1));
    CHECK_THROWS_WITH_AS(st.end_bulk_load(), doctest::Contains("of outbox refers to a missing row of occurrences"),
                         std::runtime_error);
    st.abort_bulk_load();
  }
  CHECK_FALSE(st.row_by_key("k0"));
  // Outside a first load each row is checked as it is written.
  CHECK_THROWS_AS(st.insert_row(row("dangling", 99)), store::sqlite_error);
  std::vector<store::item_rec> items(70);
  {
    // The items of a first load are numbered by the store and written in batches too;
    // each row may refer to its item at once.
    store::store::first_load_scope scope(st);
    store::transaction t(st.db());
    REQUIRE(st.begin_bulk_load());
    for (int i = 0; i < 150; ++i) {
      auto& it = items[static_cast<std::size_t>(i % 70)];
      if (i < 70) {
        it = make_item(i);
        st.insert_item(it, static_cast<std::uint64_t>(i));
        CHECK(it.id == i + 1);
      }
      auto r = row("k" + std::to_string(i), 1);
      r.item = it.id;
      r.unit_id = it.unit_id;
      st.insert_row(std::move(r));
    }
    st.end_bulk_load();
    t.commit();
  }
  st.checkpoint_after_bulk_load();
  for (int i : {0, 63, 64, 127, 128, 149}) {
    auto r = st.row_by_key("k" + std::to_string(i));
    REQUIRE_MESSAGE(r, i);
    CHECK(r->occurrence == 1);
    CHECK(r->state == row_state::planned);
    const auto& it = items[static_cast<std::size_t>(i % 70)];
    CHECK(r->item == it.id);
    auto stored = st.item_by_code(it.reply_code);
    REQUIRE(stored);
    CHECK(stored->id == it.id);
    CHECK(stored->unit_id == it.unit_id);
    CHECK(stored->unit_name == it.unit_name);
  }
  // The outbox has rows now: no second bulk load, and per-row checks stay on.
  { store::store::first_load_scope scope(st); }
  CHECK_FALSE(st.begin_bulk_load());
  CHECK_THROWS_AS(st.insert_row(row("dangling", 99)), store::sqlite_error);
}

TEST_CASE("a first load of many batches: the caller's own statements wait for what it handed over") {
  fresh_store env;
  auto& st = *env.st;
  constexpr int units = 700, per_unit = 9;
  {
    store::store::first_load_scope scope(st);
    store::transaction t(st.db());
    REQUIRE(st.begin_bulk_load());
    for (int u = 0; u < units; ++u) {
      auto it = make_item(u);
      st.insert_item(it, static_cast<std::uint64_t>(u));
      for (int k = 0; k < per_unit; ++k) {
        auto r = make_row("u" + std::to_string(u) + "/" + std::to_string(k), 1);
        r.item = it.id;
        r.unit_id = it.unit_id;
        st.insert_row(std::move(r));
      }
      st.put_tracking({"r", it.unit_id, june_14, "fp" + std::to_string(u), date::sys_days{date::year{2027} / 1 / 1}});
      if (u % 100 == 99) {
        // A statement of the caller's in the middle of the load sees every full batch it
        // handed over (the rest, under one batch, is still in its hands).
        CHECK(count(st, "outbox") == (u + 1) * per_unit / 64 * 64);
        CHECK(count(st, "items") == (u + 1) / 64 * 64);
        CHECK(count(st, "tracking") == u + 1);
      }
    }
    st.end_bulk_load();
    t.commit();
  }
  st.checkpoint_after_bulk_load();
  CHECK(st.rows_of_occurrence(1).size() == static_cast<std::size_t>(units * per_unit));
  CHECK(st.items_of_occurrence(1).size() == static_cast<std::size_t>(units));
  const auto tracking = st.load_tracking();
  REQUIRE(tracking.size() == static_cast<std::size_t>(units));
  CHECK(tracking.back().fingerprint.rfind("fp", 0) == 0);
  auto r = st.row_by_key("u699/8");
  REQUIRE(r);
  CHECK(r->unit_id == "u699");
  CHECK(r->item == 700);
}

TEST_CASE("a write that fails on the writer's thread fails the load on the caller's, and nothing of it stays") {
  fresh_store env;
  auto& st = *env.st;
  {
    // Outside a first_load_scope each row's references are checked as the writer writes
    // it: row 100 refers to an occurrence that does not exist.
    store::transaction t(st.db());
    REQUIRE(st.begin_bulk_load());
    bool failed = false;
    try {
      for (int i = 0; i < 2000; ++i) st.insert_row(make_row("k" + std::to_string(i), i == 100 ? 99 : 1));
      st.end_bulk_load();
    } catch (const store::sqlite_error& e) {
      failed = true;
      CHECK(std::string(e.what()).find("FOREIGN KEY") != std::string::npos);
    }
    CHECK(failed);
    st.abort_bulk_load();
  }
  CHECK_FALSE(st.row_by_key("k0"));
  CHECK(st.rows_of_occurrence(1).empty());
  // The store is usable afterwards, and a new load goes through.
  load_rows(st, 200);
  CHECK(st.rows_of_occurrence(1).size() == 200);
}

TEST_CASE("a load left by an exception on the caller's side: the writer stops before the rollback, nothing stays") {
  fresh_store env;
  auto& st = *env.st;
  // Each way out: the guard's abort first (the engine's order), or the transaction's
  // rollback first (its end stops the writer itself) — with batches queued and in flight.
  for (const bool abort_first : {true, false}) {
    CAPTURE(abort_first);
    try {
      store::store::first_load_scope scope(st);
      store::transaction t(st.db());
      REQUIRE(st.begin_bulk_load());
      for (int i = 0; i < 5000; ++i) st.insert_row(make_row("k" + std::to_string(i), 1));
      if (abort_first) st.abort_bulk_load();
      throw std::runtime_error("the plan failed");
    } catch (const std::runtime_error&) {
    }
    st.abort_bulk_load();  // harmless a second time
    CHECK(sqlite3_get_autocommit(st.db().handle()) != 0);  // no transaction left open
    CHECK(count(st, "outbox") == 0);  // nothing written outside the rolled-back transaction
  }
  load_rows(st, 100);  // and a new load goes through
  CHECK(count(st, "outbox") == 100);
}

TEST_CASE("a first load too large for one sort run: its indexes are whole, the connection's settings restored") {
  // The indexes are rebuilt at the end of the load by SQLite's sorter in runs of 4 MiB from
  // temporary files, with a worker thread (store.cpp, threaded_sort): 160,000 keys of 26
  // characters need several runs and the merge.
  fresh_store env;
  auto& st = *env.st;
  constexpr int rows = 160'000;
  std::vector<std::int64_t> next_ats;
  std::mt19937_64 rng(20261128);
  {
    store::transaction t(st.db());
    REQUIRE(st.begin_bulk_load());
    for (int i = 0; i < rows; ++i) {
      // Keys and times in random order, as a plan gives them (the key is a hash).
      auto r = make_row(fmt::format("{:026x}", rng()).substr(0, 26), 1);
      r.next_at = r.due = june_14 + std::chrono::minutes{static_cast<std::int64_t>(rng() % 500'000)};
      next_ats.push_back(r.next_at.time_since_epoch().count());
      st.insert_row(std::move(r));
    }
    st.end_bulk_load();
    t.commit();
  }
  st.checkpoint_after_bulk_load();
  auto text = [&](const std::string& sql) {
    auto q = st.db().prepare(sql);
    REQUIRE(q.step());
    return q.get_text(0);
  };
  CHECK(text("PRAGMA integrity_check") == "ok");
  CHECK(text("SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema WHERE name IN "
             "('outbox_key', 'outbox_planned') ORDER BY name)") == "outbox_key,outbox_planned");
  CHECK(text("PRAGMA temp_store") == "2");  // MEMORY, as the connection was opened
  CHECK(text("PRAGMA threads") == "0");
  CHECK(text("PRAGMA cache_spill") != "0");
  // The planned index gives every row, in time order.
  std::sort(next_ats.begin(), next_ats.end());
  std::vector<std::int64_t> by_index;
  auto planned = st.db().prepare("SELECT next_at FROM outbox INDEXED BY outbox_planned WHERE state = 'planned' "
                                 "ORDER BY next_at");
  while (planned.step()) by_index.push_back(planned.get_int(0));
  CHECK(by_index == next_ats);
  // The key index finds each key and refuses a second row with one.
  auto first = st.db().prepare("SELECT key, id FROM outbox WHERE id IN (1, 80000, 160000) ORDER BY id");
  int found = 0;
  while (first.step()) {
    auto r = st.row_by_key(first.get_text(0));
    REQUIRE(r);
    CHECK(r->id == first.get_int(1));
    ++found;
  }
  CHECK(found == 3);
  CHECK(count(st, "outbox") == rows);
  CHECK_THROWS_AS(st.insert_row(make_row(text("SELECT key FROM outbox WHERE id = 1234"), 1)), store::sqlite_error);
}
