// The daily digest's rules against a real SQLite file with `now` chosen by the test: who
// gets it, when (working days, office hours), what it says, once per day per recipient,
// nothing when nothing is outstanding and nothing changed, and re-sending after a crash.
#include "daemon/digest.hpp"

#include <doctest/doctest.h>

#include <date/tz.h>

#include "config/config.hpp"
#include "store/store.hpp"
#include "tests/support/fixtures.hpp"

using namespace dondoc;
using namespace std::chrono_literals;
using test_support::vn;

namespace {

// r@2026-06-15: L = Monday 15/6, T = 16/6 00:00. Unit b's focal has no email and unit c
// has no focal: their reminders are skipped (no_address / no_recipient).
constexpr const char* roster = R"(
[service]
timezone = "Asia/Ho_Chi_Minh"
state_dir = "/nonexistent"

[sending]
office_hours = ["07:30-11:30", "13:30-17:00"]

[calendar]
weekend = ["saturday", "sunday"]
holidays = "none"

[[contacts]]
id = "coord"
name = "Nguyễn Thị Lan"
title = "Chuyên viên Sở Nội vụ"
email = "lan@snv.example"
roles = ["coordinator"]

[[contacts]]
id = "coord-no-mail"
name = "Trần Văn Không Thư"
roles = ["coordinator"]

[[contacts]]
id = "rc"
name = "Lê Thị Riêng"
email = "rieng@snv.example"
roles = ["staff"]

[[units]]
id = "a"
name = "Sở Tài chính"
kind = "so"
[[units.contacts]]
id = "a-focal"
name = "Cán bộ A"
roles = ["focal"]
email = "a@a.example"

[[units]]
id = "b"
name = "Ban Dân tộc"
kind = "ban"
[[units.contacts]]
id = "b-focal"
name = "Cán bộ B"
roles = ["focal"]
phone = "0900 000 002"

[[units]]
id = "c"
name = "Đài Phát thanh"
kind = "nganh"

[[reports]]
id = "r"
title = "Báo cáo thử nghiệm"
units = ["all"]
deadline = { date = 2026-06-15 }
coordinators = ["rc"]
reminders = [{ before = "2wd", to = ["focal"], channels = ["email"] }]
escalation = [{ after = "1wd", to = ["focal"], channels = ["email"] }]

[[reports]]
id = "other"
title = "Báo cáo khác"
units = ["id:a"]
deadline = { date = 2026-06-15 }
reminders = [{ before = "2wd", to = ["focal"], channels = ["email"] }]
)";

// The engine and the digest's runner on the roster above, in a fresh directory.
struct fixture : test_support::engine_env {
  std::unique_ptr<daemon::digest_runner> runner;

  fixture() : engine_env(test_support::unique_temp_path("dondoc-digest-"), 7) {
    start(test_support::require_roster(roster));
    runner = std::make_unique<daemon::digest_runner>(*eng);
  }
  std::vector<daemon::digest_job> round(std::chrono::sys_seconds now) {
    store::transaction t(st->db());
    auto jobs = runner->take_due(now);
    t.commit();
    return jobs;
  }
  void record(const daemon::digest_job& j, notifiers::outcome o, std::chrono::sys_seconds now) {
    store::transaction t(st->db());
    runner->record(j, {o, o == notifiers::outcome::ok ? "" : "451 try later", "", std::nullopt}, now);
    t.commit();
  }
  std::string state(const std::string& day, const std::string& contact) {
    store::digest_log log(*st);
    auto r = log.get(day, contact);
    return r ? r->state + (r->reason.empty() ? "" : ":" + r->reason) : "none";
  }
  std::int64_t item_id(const std::string& unit) { return test_support::require_item(*st, "r@2026-06-15", unit).id; }
  const daemon::digest_job* job_for(const std::vector<daemon::digest_job>& jobs, const std::string& contact) {
    for (const auto& j : jobs)
      if (j.recipient->id == contact) return &j;
    return nullptr;
  }
};

}  // namespace

TEST_CASE("recipients are the roster-wide coordinators and each report's coordinators") {
  fixture f;
  const auto& cfg = f.eng->cfg();
  std::vector<std::string> ids;
  for (const auto* c : daemon::digest_recipients(cfg)) ids.push_back(c->id);
  CHECK(ids == std::vector<std::string>{"coord", "coord-no-mail", "rc"});
  const auto* rc = cfg.find_contact("rc");
  CHECK(daemon::digest_covers(*rc, *cfg.find_report("r")));
  CHECK_FALSE(daemon::digest_covers(*rc, *cfg.find_report("other")));  // only the reports it coordinates
  CHECK(daemon::digest_covers(*cfg.find_contact("coord"), *cfg.find_report("other")));
}

TEST_CASE("a digest goes once a day, on working days in office hours, while units are outstanding") {
  fixture f;
  f.reconcile(vn(2026, 6, 1, 8));

  // Before any reminder is due there is nothing to report.
  CHECK(f.round(vn(2026, 6, 1, 8)).empty());
  CHECK(f.state("2026-06-01", "coord") == "skipped:nothing_to_report");
  CHECK(f.state("2026-06-01", "coord-no-mail") == "skipped:no_address");

  // 11/6 (2wd before L): reminders go; unit b and c are skipped for want of an address/recipient.
  f.send_due(vn(2026, 6, 11, 7, 30));
  CHECK(f.runner->round_day(vn(2026, 6, 11, 7, 0)) == std::nullopt);  // before office hours
  CHECK(f.runner->round_day(vn(2026, 6, 11, 12, 0)) == std::nullopt);  // lunch break
  auto jobs = f.round(vn(2026, 6, 11, 7, 30));
  REQUIRE(jobs.size() == 2);
  const auto* coord = f.job_for(jobs, "coord");
  const auto* rc = f.job_for(jobs, "rc");
  REQUIRE(coord);
  REQUIRE(rc);
  CHECK(coord->input.sections.size() == 2);  // r and other
  REQUIRE(rc->input.sections.size() == 1);   // r only
  const auto& s = rc->input.sections[0];
  CHECK(s.occurrence == "r@2026-06-15");
  CHECK(s.total == 3);
  CHECK(s.counts.at("pending") == 3);
  CHECK(s.overdue.empty());
  REQUIRE(s.outstanding.size() == 3);
  CHECK(s.outstanding[0].name == "Ban Dân tộc");  // Vietnamese order: B, Đ, S
  CHECK(s.outstanding[1].name == "Đài Phát thanh");
  CHECK(s.outstanding[2].name == "Sở Tài chính");
  REQUIRE(s.skipped.size() == 2);
  CHECK(s.skipped[0].reason == "no_address");
  CHECK(s.skipped[0].recipient == "Cán bộ B");
  CHECK_FALSE(s.skipped[0].fixed_now);
  CHECK(s.skipped[1].reason == "no_recipient");
  CHECK(s.skipped[1].recipient == "đầu mối");
  CHECK(f.state("2026-06-11", "coord") == "sending");

  // Composed in Vietnamese, with the outstanding units and the skipped ones.
  const auto mail = notifiers::compose_digest(rc->input);
  CHECK(mail.subject == "[Tổng hợp] Tình hình nộp báo cáo ngày 11/06/2026: 3 đơn vị chưa nộp");
  CHECK(mail.text.find("Kính gửi: Lê Thị Riêng.") != std::string::npos);
  CHECK(mail.text.find("Đơn vị chưa nộp, chưa đến hạn (3):") != std::string::npos);
  CHECK(mail.text.find("Sở Tài chính") != std::string::npos);
  CHECK(mail.text.find("người nhận không có địa chỉ email") != std::string::npos);
  CHECK(mail.text.find("vẫn thiếu") != std::string::npos);
  CHECK(mail.text.find("còn 4 ngày") != std::string::npos);
  const auto email = notifiers::make_digest_email(rc->input, mail);
  CHECK(email.rcpt == "rieng@snv.example");
  CHECK(email.meta.kind == "digest");
  CHECK(email.data.find("X-Dondoc-Key: " + rc->input.key) != std::string::npos);
  CHECK(rc->input.key == daemon::digest_key("2026-06-11", "rc"));

  for (const auto& j : jobs) f.record(j, notifiers::outcome::ok, vn(2026, 6, 11, 7, 31));
  CHECK(f.state("2026-06-11", "coord") == "sent");
  // Once a day: later rounds the same day send nothing.
  CHECK(f.round(vn(2026, 6, 11, 9, 0)).empty());
  CHECK(f.round(vn(2026, 6, 11, 14, 0)).empty());
  // Friday: due at the office start; once done, the next wake is Monday's. Nothing on a Saturday.
  CHECK(f.runner->next_wake(vn(2026, 6, 12, 6, 0)) == vn(2026, 6, 12, 7, 30));
  CHECK(f.runner->next_wake(vn(2026, 6, 12, 8, 0)) == vn(2026, 6, 12, 8, 0));  // started late: at once
  for (const auto& j : f.round(vn(2026, 6, 12, 8, 0))) f.record(j, notifiers::outcome::ok, vn(2026, 6, 12, 8, 1));
  CHECK(f.runner->next_wake(vn(2026, 6, 12, 8, 1)) == vn(2026, 6, 15, 7, 30));
  CHECK(f.runner->round_day(vn(2026, 6, 13, 8, 0)) == std::nullopt);

  // After T, the units are overdue.
  f.send_due(vn(2026, 6, 16, 7, 30));
  jobs = f.round(vn(2026, 6, 16, 7, 30));
  REQUIRE(f.job_for(jobs, "rc"));
  const auto& s2 = f.job_for(jobs, "rc")->input.sections.at(0);
  CHECK(s2.overdue.size() == 3);
  CHECK(s2.counts.at("overdue") == 3);
  const auto late = notifiers::compose_digest(f.job_for(jobs, "rc")->input);
  CHECK(late.subject == "[Tổng hợp] Tình hình nộp báo cáo ngày 16/06/2026: 3 đơn vị quá hạn");
  CHECK(late.text.find("Đơn vị quá hạn, chưa nộp (3):") != std::string::npos);
  CHECK(late.text.find("đã quá hạn 1 ngày") != std::string::npos);
  for (const auto& j : jobs) f.record(j, notifiers::outcome::ok, vn(2026, 6, 16, 7, 31));

  // Everything settled on 16/6: the 17/6 digest still goes (it changed), the 18/6 one does not.
  {
    store::transaction t(f.st->db());
    f.eng->submit(f.item_id("a"), vn(2026, 6, 16, 9), "coordinator", "cli:test", "cli", "", "", vn(2026, 6, 16, 10));
    f.eng->exempt(f.item_id("b"), "cli:test", "cli", "sáp nhập", vn(2026, 6, 16, 10));
    f.eng->exempt(f.item_id("c"), "cli:test", "cli", "sáp nhập", vn(2026, 6, 16, 10));
    t.commit();
  }
  jobs = f.round(vn(2026, 6, 17, 7, 30));
  REQUIRE(f.job_for(jobs, "rc"));
  const auto done = notifiers::compose_digest(f.job_for(jobs, "rc")->input);
  CHECK(done.subject == "[Tổng hợp] Tình hình nộp báo cáo ngày 17/06/2026: các đơn vị đã nộp đủ");
  CHECK(done.text.find("nộp muộn 1, miễn 2") != std::string::npos);
  for (const auto& j : jobs) f.record(j, notifiers::outcome::ok, vn(2026, 6, 17, 7, 31));
  jobs = f.round(vn(2026, 6, 18, 7, 30));
  CHECK(f.job_for(jobs, "rc") == nullptr);
  CHECK(f.state("2026-06-18", "rc") == "skipped:nothing_to_report");
  CHECK(f.job_for(jobs, "coord") != nullptr);  // "other" is still outstanding for the coordinator
}

TEST_CASE("nothing changed and nothing outstanding: no digest") {
  fixture f;
  f.reconcile(vn(2026, 6, 1, 8));
  f.send_due(vn(2026, 6, 11, 7, 30));
  {
    store::transaction t(f.st->db());
    for (const char* u : {"a", "b", "c"})
      f.eng->submit(f.item_id(u), vn(2026, 6, 11, 9), "coordinator", "cli:test", "cli", "", "", vn(2026, 6, 11, 9));
    t.commit();
  }
  // The report "other" stays outstanding for the roster-wide coordinator; rc sees only r.
  auto jobs = f.round(vn(2026, 6, 12, 7, 30));
  REQUIRE(f.job_for(jobs, "rc"));
  CHECK(f.job_for(jobs, "rc")->input.sections.at(0).outstanding.empty());
  for (const auto& j : jobs) f.record(j, notifiers::outcome::ok, vn(2026, 6, 12, 7, 31));
  jobs = f.round(vn(2026, 6, 15, 7, 30));
  CHECK(f.job_for(jobs, "rc") == nullptr);
  CHECK(f.state("2026-06-15", "rc") == "skipped:nothing_to_report");
  REQUIRE(f.job_for(jobs, "coord"));  // "other" is still outstanding for the coordinator
}

TEST_CASE("a digest interrupted by a crash goes again with the same key; yesterday's never") {
  fixture f;
  f.reconcile(vn(2026, 6, 1, 8));
  f.send_due(vn(2026, 6, 11, 7, 30));
  auto jobs = f.round(vn(2026, 6, 11, 7, 30));
  REQUIRE(f.job_for(jobs, "rc"));
  const std::string key = f.job_for(jobs, "rc")->input.key;
  // Crash: nothing recorded. At the next start the row goes again.
  {
    store::transaction t(f.st->db());
    f.runner->recover(vn(2026, 6, 11, 8, 0));
    t.commit();
  }
  CHECK(f.state("2026-06-11", "rc") == "planned");
  jobs = f.round(vn(2026, 6, 11, 8, 0));
  REQUIRE(f.job_for(jobs, "rc"));
  CHECK(f.job_for(jobs, "rc")->input.key == key);
  CHECK(f.job_for(jobs, "rc")->attempt == 2);

  // A transient failure is retried later the same day.
  f.record(*f.job_for(jobs, "rc"), notifiers::outcome::retry, vn(2026, 6, 11, 8, 0));
  CHECK(f.state("2026-06-11", "rc") == "planned");
  CHECK(f.runner->next_wake(vn(2026, 6, 11, 8, 0)) == vn(2026, 6, 11, 8, 1));
  CHECK(f.round(vn(2026, 6, 11, 8, 0)).empty());  // not yet
  jobs = f.round(vn(2026, 6, 11, 8, 1));
  REQUIRE(f.job_for(jobs, "rc"));
  f.record(*f.job_for(jobs, "rc"), notifiers::outcome::retry, vn(2026, 6, 11, 8, 1));

  // Still unsent the next day: it expires, and the new day has its own digest.
  jobs = f.round(vn(2026, 6, 12, 7, 30));
  CHECK(f.state("2026-06-11", "rc") == "failed:expired");
  REQUIRE(f.job_for(jobs, "rc"));
  CHECK(f.job_for(jobs, "rc")->input.key != key);

  // A permanent failure is final.
  f.record(*f.job_for(jobs, "rc"), notifiers::outcome::permanent, vn(2026, 6, 12, 7, 31));
  CHECK(f.state("2026-06-12", "rc") == "failed:permanent");
  CHECK(f.round(vn(2026, 6, 12, 9, 0)).empty());
}

TEST_CASE("an occurrence that was over before dondoc knew its units is not reported") {
  fixture f;
  f.reconcile(vn(2026, 6, 20, 8));  // a first start after T: every unit is untracked
  CHECK(f.round(vn(2026, 6, 22, 7, 30)).empty());
  CHECK(f.state("2026-06-22", "coord") == "skipped:nothing_to_report");
  CHECK(f.state("2026-06-22", "rc") == "skipped:nothing_to_report");
}

TEST_CASE("a deadline at a time of day is shown with that time") {
  fixture f;
  notifiers::digest_input in;
  in.cfg = &f.eng->cfg();
  in.day = date::sys_days{date::year{2026} / 6 / 15};
  in.now = vn(2026, 6, 15, 7, 30);
  notifiers::digest_section s;
  s.occurrence = "r@2026-06-15";
  s.title = "Báo cáo nhanh";
  s.last_day = date::sys_days{date::year{2026} / 6 / 15};
  s.deadline = vn(2026, 6, 15, 17, 0);
  s.total = 1;
  s.counts["pending"] = 1;
  s.outstanding.push_back({"a", "Sở Tài chính", "pending", std::nullopt, std::nullopt});
  in.sections.push_back(s);
  const auto mail = notifiers::compose_digest(in);
  CHECK(mail.text.find("thứ Hai, 15/06/2026, trước 17:00 (hôm nay là hạn cuối)") != std::string::npos);
  CHECK(mail.subject == "[Tổng hợp] Tình hình nộp báo cáo ngày 15/06/2026: 1 đơn vị chưa nộp");
  CHECK(mail.html.find("<h2") != std::string::npos);
}
