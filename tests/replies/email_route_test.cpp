// Email replies routed and applied on a real SQLite file: the corpus messages with the
// placeholders replaced by real tokens, keys and codes of a store the engine planned and
// "sent", each applied as the daemon applies it (daemon::apply_email_reply in a
// transaction), and what it did: acknowledged (pending repeats of sent steps cancelled,
// later steps kept), submitted (every later step cancelled), bounced (the row failed),
// or nothing at all, always with an audit entry.
#include "daemon/email_replies.hpp"

#include <doctest/doctest.h>

#include "config/config.hpp"
#include "daemon/engine.hpp"
#include "replies/tokens.hpp"
#include "store/store.hpp"
#include "tests/support/fixtures.hpp"

using namespace dondoc;
using namespace std::chrono_literals;
using store::row_state;
using test_support::mail_corpus;
using test_support::vn;
using verdict = replies::routed_email::verdict;

namespace {

// Friday 11/12/2026 is the deadline; reminders 5, 2 and 0 working days before at 07:30,
// the first repeated once 4 h later; an escalation to the head 1 working day after.
constexpr const char* roster = R"(
[service]
timezone = "Asia/Ho_Chi_Minh"
state_dir = "/nonexistent"
public_url = "https://dondoc.snv.example"

[sending]
office_hours = ["07:30-17:00"]

[calendar]
weekend = ["saturday", "sunday"]
holidays = "none"

[channels.email]
url = "smtp://127.0.0.1:2525"
tls = "none"
from = "Sở Nội vụ tỉnh Quảng Ngãi <dondoc@snv.example>"
reply_to = "dondoc-replies@snv.example"

[[contacts]]
id = "coord"
name = "Nguyễn Thị Lan"
email = "lan.nt@snv.example"
roles = ["coordinator"]

[[units]]
id = "so-tai-chinh"
name = "Sở Tài chính"
kind = "so"
[[units.contacts]]
id = "stc-binh"
name = "Trần Văn Bình"
roles = ["focal"]
email = "binh.tv@stc.example"
[[units.contacts]]
id = "stc-cuc"
name = "Lê Thị Cúc"
roles = ["head"]
email = "cuc.lt@stc.example"

[[units]]
id = "so-y-te"
name = "Sở Y tế"
kind = "so"
[[units.contacts]]
id = "syt-an"
name = "Nguyễn Văn An"
roles = ["focal", "head"]
email = "an.nv@syt.example"

[[reports]]
id = "kl43"
title = "Báo cáo 6 tháng kết quả thực hiện Kết luận số 43-KL/TW"
units = ["all"]
deadline = { date = 2026-12-11 }
reminders = [
  { before = "5wd", to = ["focal"], channels = ["email"], repeat = { every = "4h", max = 1 } },
  { before = "2wd", to = ["focal"], channels = ["email"] },
  { before = "0wd", to = ["focal"], channels = ["email"] },
]
escalation = [
  { after = "1wd", to = ["head"], channels = ["email"] },
]
)";

const auto first_send = vn(2026, 12, 4, 7, 31);  // the 5wd reminders have gone
const auto reply_time = vn(2026, 12, 4, 9, 0);

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
}

// The roster planned on 1/12 and the 5wd reminders recorded as sent on 4/12, with the
// daemon's state for the reply handler.
struct fixture : test_support::app_env {
  daemon::app_state app;

  fixture() : app_env(test_support::unique_temp_path("dondoc-email-route-"), 7, std::string(32, 'x')) {
    start(test_support::require_roster(roster));
    wire(app);
    reconcile(vn(2026, 12, 1, 8));
    send_due(first_send);
  }
  store::item_rec item(const std::string& unit) { return test_support::require_item(*st, "kl43@2026-12-11", unit); }
  // The unit's first reminder email, as sent.
  store::outbox_rec sent_row(const std::string& unit) {
    for (const auto& r : st->rows_of_item(item(unit).id))
      if (r.state == row_state::sent && r.repeat == 0) return r;
    FAIL("no sent row for " << unit);
    return {};
  }
  std::string token(const std::string& unit) { return app_env::token(sent_row(unit)); }
  // The corpus message with real values: the token and key of `unit`'s reminder,
  // CCCCCC = so-tai-chinh's code, DDDDDD = so-y-te's.
  std::string message(const std::string& file, const std::string& unit) {
    std::string raw = mail_corpus(file);
    std::string forged = token(unit);
    forged.back() = forged.back() == 'a' ? 'b' : 'a';
    replace_all(raw, std::string(26, 't'), token(unit));
    replace_all(raw, std::string(26, 'k'), sent_row(unit).key);
    replace_all(raw, std::string(26, 'f'), forged);
    replace_all(raw, "CCCCCC", item("so-tai-chinh").reply_code);
    replace_all(raw, "DDDDDD", item("so-y-te").reply_code);
    return raw;
  }
  daemon::email_outcome apply(const std::string& raw, std::chrono::sys_seconds now = reply_time) {
    const auto m = replies::read_email(raw);
    store::transaction tx(st->db());
    auto out = daemon::apply_email_reply(app, m, now);
    tx.commit();
    return out;
  }
  std::int64_t count(const std::string& unit, row_state s) {
    std::int64_t n = 0;
    for (const auto& r : st->rows_of_item(item(unit).id))
      if (r.state == s) ++n;
    return n;
  }
  std::vector<std::string> audit_actions(const std::string& unit) {
    std::vector<std::string> out;
    for (const auto& a : st->audit_of_unit(unit, 100)) out.push_back(a.action + ":" + a.how);
    return out;
  }
  std::int64_t audit_total() {
    auto q = st->db().prepare("SELECT COUNT(*) FROM audit");
    q.step();
    return q.get_int(0);
  }
};

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

struct route_case {
  const char* file;
  const char* unit;  // whose token and key the placeholders become
  verdict result;
  const char* what;        // ack | submit | none
  const char* matched_by;  // token | thread | code | sender | ""
  bool verified;
  const char* who;
  const char* reason;
  const char* acts_on;  // the unit whose item it names ("" for none)
  const char* why;
};

const route_case cases[] = {
    {"outlook-html-only.eml", "so-tai-chinh", verdict::apply, "ack", "token", true, "stc-binh", "", "so-tai-chinh",
     "Outlook HTML: the tagged Reply-To of the focal official"},
    {"gmail-alternative-quoted.eml", "so-y-te", verdict::apply, "submit", "thread", true, "syt-an", "", "so-y-te",
     "Gmail without the tag: In-Reply-To from a roster address of the unit"},
    {"thunderbird-on-wrote.eml", "so-tai-chinh", verdict::apply, "ack", "token", true, "stc-binh", "",
     "so-tai-chinh", "the quoted \"DA NOP\" is not read"},
    {"windows-1258-qp.eml", "so-tai-chinh", verdict::apply, "ack", "thread", true, "stc-cuc", "", "so-tai-chinh",
     "Windows-1258 from the unit's head"},
    {"base64-utf8.eml", "so-tai-chinh", verdict::apply, "submit", "code", true, "stc-binh", "", "so-tai-chinh",
     "a new message from a roster address with the code in the subject"},
    {"decomposed-vietnamese.eml", "so-y-te", verdict::apply, "ack", "sender", true, "syt-an", "", "so-y-te",
     "no thread, tag or code: the sender's only open item"},
    {"auto-reply-outlook.eml", "so-tai-chinh", verdict::ignored, "none", "token", false, "stc-binh", "auto_reply",
     "so-tai-chinh", "an auto-reply changes nothing even though it says \"Đã nhận\""},
    {"vang-mat.eml", "so-y-te", verdict::ignored, "none", "token", false, "syt-an", "auto_reply", "so-y-te",
     "\"Vắng mặt\" changes nothing"},
    {"out-of-office-xautoreply.eml", "so-tai-chinh", verdict::ignored, "none", "token", false, "stc-cuc",
     "auto_reply", "so-tai-chinh", "X-Autoreply changes nothing"},
    {"dsn-bounce.eml", "so-tai-chinh", verdict::bounce, "none", "", false, "mail-system", "bounced", "so-tai-chinh",
     "a failed DSN marks the reminder failed"},
    {"dsn-delayed.eml", "so-tai-chinh", verdict::bounce, "none", "", false, "mail-system", "delivery_delayed",
     "so-tai-chinh", "a delay notice marks nothing"},
    {"non-roster-valid-token.eml", "so-tai-chinh", verdict::apply, "ack", "token", false, "stc-binh", "",
     "so-tai-chinh", "a valid token from any address: accepted, unverified sender"},
    {"forged-token.eml", "so-tai-chinh", verdict::rejected, "submit", "", false, "unknown", "bad_token", "",
     "a forged token from an unknown address"},
    {"negated.eml", "so-tai-chinh", verdict::rejected, "none", "token", true, "stc-binh", "not_understood",
     "so-tai-chinh", "\"chưa nhận được\" changes nothing"},
    {"coordinator-code-in-thread.eml", "so-tai-chinh", verdict::apply, "submit", "code", true, "coord", "", "so-y-te",
     "the coordinator names another unit's code in this unit's thread"},
};

}  // namespace

TEST_CASE("each corpus reply is matched, attributed and applied as DESIGN.md says") {
  for (const auto& c : cases) {
    const std::string file = c.file, why = c.why;
    CAPTURE(file);
    CAPTURE(why);
    fixture f;
    const auto before_audit = f.audit_total();
    const auto a_before = f.item("so-tai-chinh"), b_before = f.item("so-y-te");
    const auto out = f.apply(f.message(c.file, c.unit));
    const auto& r = out.routed;
    CHECK_FALSE(out.failed);
    CHECK(replies::to_string(r.result) == replies::to_string(c.result));
    CHECK(replies::to_string(r.what) == std::string(c.what));
    CHECK(r.matched_by == c.matched_by);
    CHECK(r.verified == c.verified);
    CHECK(r.who == c.who);
    if (*c.reason != '\0') CHECK(r.reason == c.reason);
    CHECK(r.item.has_value() == (*c.acts_on != '\0'));
    if (r.item) CHECK(r.item->unit_id == c.acts_on);
    CHECK(f.audit_total() > before_audit);  // every email is in the audit log

    const auto a = f.item("so-tai-chinh"), b = f.item("so-y-te");
    if (c.result == verdict::apply) {
      const auto& changed = std::string(c.acts_on) == "so-tai-chinh" ? a : b;
      const auto& other = std::string(c.acts_on) == "so-tai-chinh" ? b : a;
      const auto& other_before = std::string(c.acts_on) == "so-tai-chinh" ? b_before : a_before;
      if (std::string(c.what) == "ack") {
        CHECK(changed.acknowledged_at == reply_time);
        CHECK(changed.state == store::item_state::open);
        // The repeat of the reminder already sent is cancelled; the later steps still go.
        CHECK(f.count(c.acts_on, row_state::cancelled) == 1);
        CHECK(f.count(c.acts_on, row_state::planned) == 3);
      } else {
        CHECK(changed.state == store::item_state::submitted);
        CHECK(changed.submit_source == "unit");
        CHECK(f.count(c.acts_on, row_state::planned) == 0);
        CHECK(f.count(c.acts_on, row_state::cancelled) == 4);
      }
      CHECK(other.acknowledged_at == other_before.acknowledged_at);
      CHECK(other.state == other_before.state);
      CHECK(f.count(other.unit_id, row_state::planned) == 4);
      CHECK(has(f.audit_actions(c.acts_on), std::string(c.what) + ":email"));
      CHECK(has(f.audit_actions(c.acts_on), "unverified_sender:email") == !c.verified);
    } else {
      // Nothing changed but the audit log (and a bounce's delivery state).
      CHECK(a.acknowledged_at == a_before.acknowledged_at);
      CHECK(b.acknowledged_at == b_before.acknowledged_at);
      CHECK(a.state == store::item_state::open);
      CHECK(b.state == store::item_state::open);
      CHECK(f.count("so-tai-chinh", row_state::planned) == 4);
      CHECK(f.count("so-y-te", row_state::planned) == 4);
      const bool failed = c.result == verdict::bounce && std::string(c.reason) == "bounced";
      CHECK(f.count("so-tai-chinh", row_state::failed) == (failed ? 1 : 0));
      for (const auto& row : f.st->rows_of_item(a.id))
        if (row.state == row_state::failed) CHECK(row.reason == "bounced");
    }
  }
}

TEST_CASE("a thread alone is not enough from an address outside the unit") {
  fixture f;
  std::string raw = f.message("thunderbird-on-wrote.eml", "so-tai-chinh");
  replace_all(raw, "dondoc-replies+" + f.token("so-tai-chinh"), "dondoc-replies");  // the tag removed
  SUBCASE("another unit's official") {
    replace_all(raw, "binh.tv@stc.example", "an.nv@syt.example");
    const auto out = f.apply(raw);
    CHECK(out.routed.result == verdict::rejected);
    CHECK(out.routed.reason == "sender_of_another_unit");
  }
  SUBCASE("an unknown address (our keys are digests of roster ids, not secrets)") {
    replace_all(raw, "binh.tv@stc.example", "stranger@elsewhere.example");
    const auto out = f.apply(raw);
    CHECK(out.routed.result == verdict::rejected);
    CHECK(out.routed.reason == "unknown_sender");
  }
  CHECK_FALSE(f.item("so-tai-chinh").acknowledged_at);
  CHECK(f.count("so-tai-chinh", row_state::planned) == 4);
  CHECK(has(f.audit_actions("so-tai-chinh"), "reply_rejected:email"));
}

TEST_CASE("a token copied onto another unit's reply, or altered, is refused") {
  fixture f;
  // so-y-te's official answers with so-tai-chinh's tag but a token altered in one place.
  std::string raw = f.message("non-roster-valid-token.eml", "so-tai-chinh");
  std::string tok = f.token("so-tai-chinh");
  std::string altered = tok;
  altered[3] = altered[3] == 'a' ? 'b' : 'a';  // the row id part
  replace_all(raw, tok, altered);
  const auto out = f.apply(raw);
  CHECK(out.routed.result == verdict::rejected);
  CHECK(out.routed.reason == "bad_token");
  CHECK_FALSE(f.item("so-tai-chinh").acknowledged_at);
}

TEST_CASE("a reply read twice changes nothing the second time, and a closed item only audits") {
  fixture f;
  const std::string raw = f.message("outlook-html-only.eml", "so-tai-chinh");
  CHECK(f.apply(raw).routed.result == verdict::apply);
  const auto first = f.item("so-tai-chinh");
  const auto second = f.apply(raw, reply_time + 1h);
  CHECK(second.routed.result == verdict::apply);
  CHECK(f.item("so-tai-chinh").acknowledged_at == first.acknowledged_at);  // the first time is kept
  CHECK(f.count("so-tai-chinh", row_state::cancelled) == 1);

  const std::string submit = f.message("base64-utf8.eml", "so-tai-chinh");
  CHECK(f.apply(submit, reply_time + 2h).routed.result == verdict::apply);
  CHECK(f.item("so-tai-chinh").state == store::item_state::submitted);
  const auto after = f.apply(raw, reply_time + 3h);
  CHECK(after.routed.result == verdict::audit_only);
  CHECK(after.routed.reason == "already_closed");
}

TEST_CASE("a reply to an item closed longer than token_ttl ago is refused as expired") {
  fixture f;
  CHECK(f.apply(f.message("base64-utf8.eml", "so-tai-chinh")).routed.result == verdict::apply);
  const auto late = f.apply(f.message("outlook-html-only.eml", "so-tai-chinh"), reply_time + 31 * 24h);
  CHECK(late.routed.result == verdict::rejected);
  CHECK(late.routed.reason == "expired");
}

TEST_CASE("a message that cannot be applied is rolled back alone and audited") {
  fixture f;
  const auto m = replies::read_email(f.message("outlook-html-only.eml", "so-tai-chinh"));
  store::transaction tx(f.st->db());
  // A change made earlier in the same batch (another request's) must survive.
  f.st->set_meta("other-request", "kept");
  // A stand-in for a bug: updating the item fails half-way through the acknowledgement.
  f.st->db().exec("CREATE TEMP TRIGGER fail_item BEFORE UPDATE ON items BEGIN SELECT RAISE(ABORT, 'injected'); END");
  const auto out = daemon::apply_email_reply(f.app, m, reply_time);
  f.st->db().exec("DROP TRIGGER fail_item");
  tx.commit();
  CHECK(out.failed);
  CHECK(out.error.find("injected") != std::string::npos);
  CHECK_FALSE(f.item("so-tai-chinh").acknowledged_at);
  CHECK(f.count("so-tai-chinh", row_state::cancelled) == 0);
  CHECK(f.st->meta("other-request") == std::optional<std::string>("kept"));
  auto q = f.st->db().prepare("SELECT COUNT(*) FROM audit WHERE action = 'reply_failed'");
  q.step();
  CHECK(q.get_int(0) == 1);
}
