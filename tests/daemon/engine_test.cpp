// The engine's rules against a real SQLite file, with `now` chosen by the test: first
// starts, catch-up after downtime, retries, answers, roster changes, quiet hours and caps.
#include "daemon/engine.hpp"

#include <doctest/doctest.h>

#include <date/tz.h>
#include <filesystem>
#include <map>

#include "config/config.hpp"
#include "store/store.hpp"
#include "tests/support/fixtures.hpp"

using namespace dondoc;
using namespace std::chrono_literals;
using store::row_state;
using test_support::vn;

namespace {

// 2026-06-15 (Monday) is the nominal date; before = false, so L = 15/6 and T = 16/6 00:00.
constexpr const char* base_roster = R"(
[service]
timezone = "Asia/Ho_Chi_Minh"
state_dir = "/nonexistent"

[sending]
office_hours = ["07:30-11:30", "13:30-17:00"]
sms_quiet_hours = "22:00-07:00"
sms_per_recipient_per_day = 2
catch_up_grace = "15m"
catch_up_max_age = "2wd"

[calendar]
weekend = ["saturday", "sunday"]
holidays = "none"

[[contacts]]
id = "coord"
name = "Điều phối"
email = "coord@snv.example"
roles = ["coordinator"]

[[units]]
id = "a"
name = "Đơn vị A"
kind = "so"
[[units.contacts]]
id = "a-focal"
name = "Cán bộ A"
roles = ["focal"]
email = "a@a.example"
phone = "0900 000 001"
[[units.contacts]]
id = "a-head"
name = "Thủ trưởng A"
roles = ["head"]
email = "ahead@a.example"

[[units]]
id = "b"
name = "Đơn vị B"
kind = "so"
[[units.contacts]]
id = "b-focal"
name = "Cán bộ B"
roles = ["focal", "head"]
email = "b@b.example"
phone = "0900 000 002"

[[reports]]
id = "r"
title = "Báo cáo thử"
units = ["all"]
deadline = { date = 2026-06-15 }
reminders = [
  { before = "5wd", to = ["focal"], channels = ["email"] },
  { before = "2wd", to = ["focal"], channels = ["email", "sms"] },
  { before = "0wd", to = ["focal"], channels = ["email"], repeat = { every = "4h", max = 1 } },
]
escalation = [
  { after = "1wd", to = ["head"], channels = ["email"] },
  { after = "2wd", to = ["@coordinator"], channels = ["email"] },
  { after = "4wd", to = ["head"], channels = ["email"] },
]
)";

// The engine and its store in a fresh directory, on base_roster or the roster given.
struct fixture : test_support::engine_env {
  std::shared_ptr<const config::config> cfg;

  explicit fixture(const std::string& roster = base_roster)
      : engine_env(test_support::unique_temp_path("dondoc-engine-"), 42) {
    load(roster);
  }
  void load(const std::string& roster) {
    cfg = test_support::require_roster(roster);
    start(cfg);
  }
  // Sends everything due at `now` successfully; returns the keys sent.
  std::vector<daemon::job> send_due(std::chrono::sys_seconds now,
                                    notifiers::outcome result = notifiers::outcome::ok) {
    return engine_env::send_due(now, {result, "test", "", std::nullopt}, 1000);
  }
  std::map<std::string, std::int64_t> states() {
    std::map<std::string, std::int64_t> out;
    auto q = st->db().prepare("SELECT state || ':' || reason, COUNT(*) FROM outbox GROUP BY 1");
    while (q.step()) out[q.get_text(0)] = q.get_int(1);
    return out;
  }
  std::vector<store::outbox_rec> rows(const std::string& unit) { return st->rows_of_item(item(unit).id); }
  store::item_rec item(const std::string& unit) { return test_support::require_item(*st, "r@2026-06-15", unit); }
};

std::int64_t count(const std::vector<store::outbox_rec>& rows, row_state s, const std::string& reason = "*") {
  std::int64_t n = 0;
  for (const auto& r : rows)
    if (r.state == s && (reason == "*" || r.reason == reason)) ++n;
  return n;
}

// base_roster's settings and units with report "r" (title, all units) given by its
// deadline and steps.
std::string roster_with_report(const std::string& deadline_and_steps) {
  std::string roster = base_roster;
  roster.erase(roster.find("[[reports]]"));
  return roster + "[[reports]]\nid = \"r\"\ntitle = \"Báo cáo thử\"\nunits = [\"all\"]\n" + deadline_and_steps;
}

}  // namespace

TEST_CASE("a first start before any step plans every row, and planning again changes nothing") {
  fixture f;
  const auto s1 = f.reconcile(vn(2026, 5, 1, 9));
  CHECK(s1.items_created == 2);
  // a: r0 email, r1 email+sms, r2 email x2 (repeat), e0 email (head), e2 email (head) = 7
  // b: the same 7 (b-focal is also head) ; grouped e1 to coord = 1
  CHECK(s1.rows_inserted == 15);
  const auto s2 = f.reconcile(vn(2026, 5, 1, 10));
  CHECK(s2.rows_inserted == 0);
  CHECK(s2.rows_moved == 0);
  CHECK(s2.rows_cancelled == 0);
  CHECK(s2.pairs_planned == 0);  // unchanged fingerprints, horizon already reached
}

TEST_CASE("a first start after some reminders skips them, except the latest, sent as a catch-up") {
  fixture f;
  // r0 (5wd before 15/6 = Mon 8/6 07:30) and r1 (2wd = Thu 11/6 07:30) are past on Fri 12/6.
  const auto now = vn(2026, 6, 12, 9);
  f.reconcile(now);
  auto rows = f.rows("a");
  CHECK(count(rows, row_state::skipped, "before_tracking") == 1);  // r0 email
  std::int64_t catch_up = 0;
  for (const auto& r : rows)
    if (r.catch_up) {
      ++catch_up;
      CHECK(r.step_name == "r:2wd");
      CHECK(r.next_at == now);
    }
  CHECK(catch_up == 2);  // r1 email + sms, both now (inside office hours and outside quiet hours)
  const auto sent = f.send_due(now);
  CHECK(sent.size() == 4);  // two units x (email + sms)
}

TEST_CASE("an occurrence whose deadline is before the first start is untracked and sends nothing") {
  fixture f;
  f.reconcile(vn(2026, 6, 20, 9));
  const auto it = f.item("a");
  CHECK_FALSE(it.tracked);
  CHECK(f.rows("a").empty());
  CHECK(f.eng->status(it, vn(2026, 6, 20, 9)) == daemon::unit_status::untracked);
}

TEST_CASE("after downtime only the latest missed reminder goes, and only while the deadline is ahead") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  // Down from before r0 until Fri 12/6 10:00: r0 and r1 missed; only r1 goes.
  const auto now = vn(2026, 6, 12, 10);
  auto sent = f.send_due(now);
  std::map<std::string, int> steps;
  for (const auto& j : sent) ++steps[j.row.step_name];
  CHECK(steps["r:2wd"] == 4);
  CHECK(steps.count("r:5wd") == 0);
  CHECK(count(f.rows("a"), row_state::skipped, "catch_up") == 1);
}

TEST_CASE("after downtime past the deadline reminders are skipped and the latest escalation per audience goes") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  // Escalations: e0 head Tue 16/6, e1 coordinator Wed 17/6, e2 head Fri 19/6. Back Fri 19/6 10:00.
  const auto now = vn(2026, 6, 19, 10);
  auto sent = f.send_due(now);
  std::map<std::string, int> steps;
  for (const auto& j : sent) ++steps[j.row.step_name];
  CHECK(steps.count("r:0wd") == 0);  // T passed: no reminder
  CHECK(steps["e:4wd"] == 2);        // latest to heads (a-head, b-focal), due today
  CHECK(steps.count("e:1wd") == 0);  // an older step to the same audience
  CHECK(steps.count("e:2wd") == 0);  // the coordinator's, due Wed 17/6 07:30: older than 2wd by now
  // Back on Thu 18/6 10:00 instead: the heads' latest (Tue 16/6) is older than 2wd, the
  // coordinator's (Wed 17/6) is not.
  fixture h;
  h.reconcile(vn(2026, 5, 1, 9));
  std::map<std::string, int> steps2;
  for (const auto& j : h.send_due(vn(2026, 6, 18, 10))) ++steps2[j.row.step_name];
  CHECK(steps2.count("e:1wd") == 0);
  CHECK(steps2["e:2wd"] == 1);
  // Down longer: back Fri 26/6 — e2 (19/6) is older than 2wd, nothing goes.
  fixture g;
  g.reconcile(vn(2026, 5, 1, 9));
  CHECK(g.send_due(vn(2026, 6, 26, 10)).empty());
}

TEST_CASE("a retry backs off and a reminder is never retried at or after the deadline") {
  std::string roster = base_roster;
  roster.replace(roster.find("  { before = \"5wd\""), 0, "  { before = \"3m\", to = [\"focal\"], channels = [\"email\"] },\n");
  fixture f(roster);
  f.reconcile(vn(2026, 6, 15, 23, 0));  // first start an hour before T: only the 3m reminder is ahead
  auto t = vn(2026, 6, 15, 23, 57);
  auto first = f.send_due(t, notifiers::outcome::retry);
  CHECK(first.size() == 2);
  for (const auto& r : f.rows("a"))
    if (r.step_name == "r:3m") {
      CHECK(r.state == row_state::planned);
      CHECK(r.attempts == 1);
      CHECK(r.next_at >= t + 24s);  // 30 s -20 %
      CHECK(r.next_at <= t + 36s);  // 30 s +20 %
    }
  // Retries back off (30 s, 60 s, 120 s …); the one that would land at/after T fails the row.
  for (int i = 0; i < 10; ++i) {
    const auto next = f.eng->next_wake();
    if (!next || *next >= vn(2026, 6, 16)) break;
    f.send_due(*next, notifiers::outcome::retry);
  }
  std::string reason;
  std::int64_t attempts = 0;
  for (const auto& r : f.rows("a"))
    if (r.step_name == "r:3m") {
      reason = r.reason;
      attempts = r.attempts;
      CHECK(r.state == row_state::failed);
    }
  CHECK(reason == "past_deadline");
  CHECK(attempts >= 2);
  CHECK(attempts <= 4);
}

TEST_CASE("retries stop after the attempt bound") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  auto t = vn(2026, 6, 8, 7, 30);  // r0, a week before T
  f.send_due(t, notifiers::outcome::retry);
  for (int i = 0; i < 40; ++i) {
    const auto next = f.eng->next_wake();
    if (!next || *next > vn(2026, 6, 9)) break;
    f.send_due(*next, notifiers::outcome::retry);
  }
  for (const auto& r : f.rows("a"))
    if (r.step_name == "r:5wd") {
      CHECK(r.state == row_state::failed);
      CHECK(r.reason == "retries_exhausted");
      CHECK(r.attempts == 12);
    }
}

TEST_CASE("an acknowledgement cancels the pending repeats of steps already sent, not later steps") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  f.send_due(vn(2026, 6, 8, 7, 30));   // r0
  f.send_due(vn(2026, 6, 11, 7, 30));  // r1
  f.send_due(vn(2026, 6, 15, 7, 30));  // r2 repeat 0
  {
    store::transaction tx(f.st->db());
    auto res = f.eng->acknowledge(f.item("a").id, "a-focal", "sms", "DA NHAN", vn(2026, 6, 15, 9));
    tx.commit();
    CHECK(res.changed);
  }
  auto rows = f.rows("a");
  CHECK(count(rows, row_state::cancelled, "acknowledged") == 1);  // r2 repeat 1
  CHECK(count(rows, row_state::planned) == 2);                    // e0 and e2 still go
  CHECK(f.eng->status(f.item("a"), vn(2026, 6, 15, 9)) == daemon::unit_status::acknowledged);
  CHECK(f.eng->status(f.item("a"), vn(2026, 6, 16, 9)) == daemon::unit_status::overdue);
}

TEST_CASE("a submission cancels every later step and grouped escalations list only outstanding units") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  {
    store::transaction tx(f.st->db());
    f.eng->submit(f.item("a").id, vn(2026, 6, 15, 10), "unit", "a-focal", "link", "", "", vn(2026, 6, 15, 10));
    tx.commit();
  }
  CHECK(count(f.rows("a"), row_state::planned) == 0);
  CHECK(f.eng->status(f.item("a"), vn(2026, 6, 20)) == daemon::unit_status::submitted);
  // The coordinator's grouped escalation on Wed 17/6 lists only b.
  f.send_due(vn(2026, 6, 16, 7, 30));
  store::transaction tx(f.st->db());
  auto jobs = f.eng->take_due(vn(2026, 6, 17, 7, 30), 100, 100);
  tx.commit();
  bool grouped = false;
  for (const auto& j : jobs)
    if (!j.row.item) {
      grouped = true;
      REQUIRE(j.outstanding.size() == 1);
      CHECK(j.outstanding.front().unit_id == "b");
    }
  CHECK(grouped);
}

TEST_CASE("reopening restores what the submission cancelled that is still ahead") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  const auto now = vn(2026, 6, 10, 9);
  {
    store::transaction tx(f.st->db());
    f.eng->submit(f.item("a").id, now, "coordinator", "cli:lan", "cli", "", "", now);
    auto r = f.eng->reopen(f.item("a").id, "cli:lan", "cli", "nhầm", now);
    tx.commit();
    CHECK(r.changed);
  }
  // Only what was still ahead comes back; r0 (due 8/6, never sent here) stays cancelled.
  auto rows = f.rows("a");
  CHECK(count(rows, row_state::cancelled) == 1);
  CHECK(count(rows, row_state::planned) == 6);
  CHECK(f.item("a").state == store::item_state::open);
}

TEST_CASE("an extension moves that unit's deadline and steps, and nothing of the other unit") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  {
    store::transaction tx(f.st->db());
    f.eng->extend(f.item("a").id, date::sys_days{date::year{2026} / 6 / 19}, "cli:lan", "cli", vn(2026, 6, 1));
    tx.commit();
  }
  const auto [l, t] = f.eng->effective_deadline(f.item("a"));
  CHECK(l == date::sys_days{date::year{2026} / 6 / 19});
  CHECK(t == vn(2026, 6, 20));
  for (const auto& r : f.rows("a"))
    if (r.step_name == "e:1wd") CHECK(r.next_at == vn(2026, 6, 22, 7, 30));  // Mon after Fri 19/6
  for (const auto& r : f.rows("b"))
    if (r.step_name == "e:1wd") CHECK(r.next_at == vn(2026, 6, 16, 7, 30));
}

TEST_CASE("a roster change re-plans only the pairs it touches, and a removed unit's rows are cancelled") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  // b's focal contact gets a deputy: only (r, b) changes.
  std::string edited = base_roster;
  const auto pos = edited.find("phone = \"0900 000 002\"");
  edited.insert(pos + std::string("phone = \"0900 000 002\"").size(),
                "\n[[units.contacts]]\nid = \"b-deputy\"\nname = \"Phó B\"\nroles = [\"deputy\"]\n");
  f.load(edited);
  auto s = f.reconcile(vn(2026, 5, 2, 9));
  CHECK(s.pairs_planned == 1);
  CHECK(s.rows_inserted == 0);  // no step goes to deputies
  // Unit a removed from the roster.
  std::string removed = edited;
  const auto a0 = removed.find("[[units]]\nid = \"a\"");
  const auto b0 = removed.find("[[units]]\nid = \"b\"");
  removed.erase(a0, b0 - a0);
  f.load(removed);
  s = f.reconcile(vn(2026, 5, 3, 9));
  CHECK(count(f.rows("a"), row_state::cancelled, "roster_changed") == 7);
  CHECK_FALSE(f.item("a").in_plan);
}

TEST_CASE("an SMS due in quiet hours waits for morning and a capped number gets no more that day") {
  std::string roster = base_roster;
  roster.replace(roster.find("{ before = \"2wd\", to = [\"focal\"], channels = [\"email\", \"sms\"] }"),
                 std::string("{ before = \"2wd\", to = [\"focal\"], channels = [\"email\", \"sms\"] }").size(),
                 "{ before = \"2wd\", to = [\"focal\"], channels = [\"email\", \"sms\"] },\n"
                 "  { before = \"100h\", to = [\"focal\"], channels = [\"sms\"] },\n"
                 "  { before = \"99h\", to = [\"focal\"], channels = [\"sms\"] },\n"
                 "  { before = \"98h\", to = [\"focal\"], channels = [\"sms\"] }");
  fixture f(roster);
  f.reconcile(vn(2026, 5, 1, 9));
  // 100h before Tue 16/6 00:00 = Thu 11/6 20:00; 99h = 21:00; 98h = 22:00 -> quiet until 07:00.
  auto a = f.send_due(vn(2026, 6, 11, 7, 30));  // r1: email + sms (1st SMS of the day for each unit)
  auto b = f.send_due(vn(2026, 6, 11, 20, 0));  // 100h: 2nd SMS
  auto c = f.send_due(vn(2026, 6, 11, 21, 0));  // 99h: over the cap of 2
  CHECK(b.size() == 2);
  CHECK(c.empty());
  std::int64_t capped = 0, waiting = 0;
  for (const auto& r : f.rows("a")) {
    if (r.reason == "sms_cap") ++capped;
    if (r.step_name == "r:98h") {
      CHECK(r.state == row_state::planned);
      CHECK(r.next_at == vn(2026, 6, 12, 7, 0));  // the plan already moved it out of quiet hours
      ++waiting;
    }
  }
  CHECK(capped == 1);
  CHECK(waiting == 1);
}

TEST_CASE("rows a crash left in sending are sent again at start") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  store::transaction tx(f.st->db());
  auto jobs = f.eng->take_due(vn(2026, 6, 8, 7, 30), 100, 100);
  tx.commit();
  REQUIRE(jobs.size() == 2);
  // "Crash": nothing recorded. At restart the rows go back to planned and are due now.
  store::transaction tx2(f.st->db());
  CHECK(f.eng->recover(vn(2026, 6, 8, 7, 31)) == 2);
  tx2.commit();
  CHECK(f.send_due(vn(2026, 6, 8, 7, 31)).size() == 2);
}

TEST_CASE("the store migrates from an empty database and from every earlier version") {
  const auto dir = test_support::unique_temp_path("dondoc-migrate-");
  std::filesystem::create_directories(dir);
  for (std::int64_t from = 0; from < store::store::schema_version(); ++from) {
    const auto path = (dir / ("v" + std::to_string(from) + ".db")).string();
    {
      store::database db(path);
      store::store::migrate_to(db, from);
      CHECK(db.user_version() == from);
      if (from >= 1) {
        // Data written by that version must survive the upgrade.
        db.exec("INSERT INTO occurrences(report_id, period, name, nominal, title, basis, submit_to, last_day, deadline)"
                " VALUES('r', '2026', 'r@2026-06-15', '2026-06-15', 'Báo cáo', '', '', '2026-06-15', 0)");
        db.exec("INSERT INTO items(occurrence, unit_id, unit_name, unit_kind, tracked, reply_code)"
                " VALUES(1, 'a', 'Đơn vị A', 'so', 1, 'ABCDEF')");
      }
    }
    store::store st(path);
    CHECK(st.current_version() == store::store::schema_version());
    if (from >= 1) {
      auto it = st.item_by_code("ABCDEF");
      REQUIRE(it);
      CHECK(it->unit_name == "Đơn vị A");
    }
  }
  // A database newer than this dondoc is refused, not touched.
  {
    const auto path = (dir / "future.db").string();
    {
      store::database db(path);
      db.set_user_version(store::store::schema_version() + 1);
    }
    CHECK_THROWS_AS(store::store{path}, store::sqlite_error);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}


TEST_CASE("a request that cannot be done is refused; one already done is not") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  const auto now = vn(2026, 6, 10, 9);
  store::transaction tx(f.st->db());
  const auto id = f.item("a").id;
  auto confirm_open = f.eng->confirm(id, "cli:lan", "cli", now);
  CHECK_FALSE(confirm_open.changed);
  CHECK(confirm_open.refused);  // nothing was submitted: `dondoc confirm` exits 1
  auto reopen_open = f.eng->reopen(id, "cli:lan", "cli", "", now);
  CHECK_FALSE(reopen_open.changed);
  CHECK_FALSE(reopen_open.refused);  // already open: the state asked for holds
  f.eng->submit(id, now, "unit", "a-focal", "sms", "", "", now);
  auto first = f.eng->confirm(id, "cli:lan", "cli", now);
  CHECK(first.changed);
  CHECK_FALSE(first.refused);
  auto again = f.eng->confirm(id, "cli:lan", "cli", now);
  CHECK_FALSE(again.changed);
  CHECK_FALSE(again.refused);  // twice is harmless
  CHECK(f.eng->extend(987654, date::sys_days{date::year{2026} / 6 / 19}, "cli:lan", "cli", now).refused);
  // The limits of the API, the CLI and the pages alike: no extension before L, no
  // submission time ahead of the clock (beyond the slack), and nothing changes.
  const auto early = f.eng->extend(f.item("b").id, date::sys_days{date::year{2026} / 6 / 12}, "cli:lan", "cli", now);
  CHECK(early.refused);
  CHECK(early.message.find("before the occurrence's last day 2026-06-15") != std::string::npos);
  CHECK_FALSE(f.item("b").ext_last_day);
  CHECK(f.eng->submit(f.item("b").id, now + std::chrono::hours{1}, "coordinator", "cli:lan", "cli", "", "", now).refused);
  CHECK_FALSE(f.eng->submit(f.item("b").id, now + std::chrono::minutes{4}, "coordinator", "cli:lan", "cli", "", "", now)
                  .refused);
  CHECK(f.item("b").state == store::item_state::submitted);
  tx.commit();
}

TEST_CASE("after T, a unit with nothing more to send is closed (its links expire token_ttl later)") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  const auto after = vn(2026, 6, 30, 9);
  {
    // Unit a's messages all ended without a sent escalation (skipped, say, after downtime);
    // unit b still has planned ones.
    store::transaction tx(f.st->db());
    for (const auto& r : f.rows("a")) f.st->set_row_state(r.id, row_state::skipped, "catch_up", vn(2026, 6, 20, 8));
    f.eng->housekeeping(vn(2026, 6, 15, 9));  // before T (16/6 00:00) nothing closes
    CHECK_FALSE(f.item("a").closed_at);
    f.eng->housekeeping(after);
    tx.commit();
  }
  REQUIRE(f.item("a").closed_at);
  CHECK(*f.item("a").closed_at == vn(2026, 6, 20, 8));  // the later of T and its rows' last change
  CHECK_FALSE(f.item("b").closed_at);
  {
    store::transaction tx(f.st->db());
    f.eng->housekeeping(after + std::chrono::hours{24});  // again: nothing moves
    tx.commit();
  }
  CHECK(*f.item("a").closed_at == vn(2026, 6, 20, 8));
}

TEST_CASE("SMS due together to one number count against its cap as they are claimed, not when answered") {
  std::string roster = base_roster;
  const std::string step = "{ before = \"2wd\", to = [\"focal\"], channels = [\"email\", \"sms\"] }";
  // Three SMS steps for the same moment (Thu 11/6 07:30): one batch, cap 2 per number.
  roster.replace(roster.find(step), step.size(),
                 "{ before = \"2wd\", id = \"first\", to = [\"focal\"], channels = [\"email\", \"sms\"] },\n"
                 "  { before = \"2wd\", id = \"again\", to = [\"focal\"], channels = [\"sms\"] },\n"
                        "  { before = \"2wd\", id = \"third\", to = [\"focal\"], channels = [\"sms\"] }");
  fixture f(roster);
  f.reconcile(vn(2026, 5, 1, 9));
  const auto now = vn(2026, 6, 11, 7, 30);
  std::vector<daemon::job> jobs;
  {
    store::transaction tx(f.st->db());
    jobs = f.eng->take_due(now, 100, 100);  // all claimed before any is answered
    tx.commit();
  }
  std::int64_t sms_a = 0;
  for (const auto& j : jobs)
    if (j.row.channel == "sms" && j.row.unit_id == "a") ++sms_a;
  CHECK(sms_a == 2);
  CHECK(count(f.rows("a"), row_state::skipped, "sms_cap") == 1);
  // One of them fails for good: it was not accepted, so it does not count.
  {
    store::transaction tx(f.st->db());
    bool failed_one = false;
    for (const auto& j : jobs) {
      const bool fail = !failed_one && j.row.channel == "sms" && j.row.unit_id == "a";
      failed_one = failed_one || fail;
      f.eng->record(j, {fail ? notifiers::outcome::permanent : notifiers::outcome::ok, "test", "", std::nullopt}, now);
    }
    tx.commit();
  }
  // a's number: 2 claimed, 1 failed -> 1; b's: 2 claimed and accepted (its third capped).
  std::vector<std::int64_t> counts;
  auto q = f.st->db().prepare("SELECT count FROM sms_counts WHERE day = '2026-06-11' ORDER BY count");
  while (q.step()) counts.push_back(q.get_int(0));
  CHECK(counts == std::vector<std::int64_t>{1, 2});
}

TEST_CASE("a repeat is not sent once the unit has acknowledged, even of a step first sent after it") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  {
    store::transaction tx(f.st->db());
    f.eng->acknowledge(f.item("a").id, "a-focal", "sms", "DA NHAN", vn(2026, 6, 9, 9));  // before r:0wd
    tx.commit();
  }
  f.send_due(vn(2026, 6, 15, 7, 30));  // r:0wd goes (a step not yet due when acknowledged)
  f.send_due(vn(2026, 6, 15, 13, 30));  // its repeat (4 h later is 11:30, moved to 13:30): not for a
  std::int64_t first = 0, repeat_cancelled = 0, repeat_b = 0;
  for (const auto& r : f.rows("a"))
    if (r.step_name == "r:0wd") {
      if (r.repeat == 0 && r.state == row_state::sent) ++first;
      if (r.repeat == 1 && r.state == row_state::cancelled && r.reason == "acknowledged") ++repeat_cancelled;
    }
  for (const auto& r : f.rows("b"))
    if (r.step_name == "r:0wd" && r.repeat == 1 && r.state == row_state::sent) ++repeat_b;
  CHECK(first == 1);
  CHECK(repeat_cancelled == 1);
  CHECK(repeat_b == 1);  // b did not acknowledge: its repeat goes
}

TEST_CASE("a roster change undone plans again what it had cancelled and is still ahead") {
  fixture f;
  f.reconcile(vn(2026, 5, 1, 9));
  const auto planned_before = count(f.rows("b"), row_state::planned);
  std::string without_b = base_roster;
  const auto at = without_b.find("[[units]]\nid = \"b\"");
  without_b.erase(at, without_b.find("[[reports]]") - at);
  f.load(without_b);
  f.reconcile(vn(2026, 5, 2, 9));
  CHECK(count(f.rows("b"), row_state::cancelled, "roster_changed") == planned_before);
  f.load(base_roster);
  const auto s = f.reconcile(vn(2026, 5, 3, 9));
  CHECK(count(f.rows("b"), row_state::planned) == planned_before);
  CHECK(count(f.rows("b"), row_state::cancelled) == 0);
  CHECK(s.rows_inserted == planned_before);
}

TEST_CASE("first written after its step's time, a step is skipped on every channel, also an SMS quiet hours held") {
  fixture f(roster_with_report(R"(deadline = { date = 2026-06-15, time = "09:00" }
reminders = [
  { before = "10h", to = ["focal"], channels = ["email", "sms"] },
  { before = "570m", to = ["focal"], channels = ["email", "sms"] },
]
)"));
  // First start at 00:00 on the 15th: 10h (23:00) and 570m (23:30) are both past; the
  // SMS of each were planned for 07:00 (quiet hours). Only the latest step catches up.
  f.reconcile(vn(2026, 6, 15, 0));
  std::map<std::string, std::string> got;
  for (const auto& r : f.rows("a"))
    got[r.step_name + "/" + r.channel] = std::string(store::to_string(r.state)) + ":" + r.reason + (r.catch_up ? ":cu" : "");
  CHECK(got["r:10h/email"] == "skipped:before_tracking");
  CHECK(got["r:10h/sms"] == "skipped:before_tracking");
  CHECK(got["r:570m/email"] == "planned::cu");
  CHECK(got["r:570m/sms"] == "planned::cu");
}

TEST_CASE("a catch-up email that only office hours could send at or after T is skipped past_deadline, not quiet_hours") {
  fixture f(roster_with_report(R"(deadline = { date = 2026-06-15, time = "07:00" }
reminders = [
  { before = "1wd", to = ["focal"], channels = ["email", "sms"] },
]
)"));
  f.reconcile(vn(2026, 6, 15, 0));  // the reminder (Fri 12/6) is past; T is 07:00 today
  std::map<std::string, std::string> got;
  for (const auto& r : f.rows("a")) got[r.channel] = std::string(store::to_string(r.state)) + ":" + r.reason;
  CHECK(got["email"] == "skipped:past_deadline");  // the next office-hours start, 07:30, is after T
  CHECK(got["sms"] == "skipped:past_deadline");    // so is the SMS's (07:30 is not in quiet hours)
}
