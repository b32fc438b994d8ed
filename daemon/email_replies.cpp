// Email replies into the store. Mirrors apply_sms_reply (daemon/routes.cpp): an applied
// reply goes through engine::acknowledge/submit (which audit it), anything else is
// audited here with the reason. An unverified sender (a valid token from an address
// that is not a roster contact of the unit) gets its own audit entry just before the
// engine's, naming the masked address and how the reply was matched; the engine's entry
// keeps the raw input.
#include "daemon/email_replies.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace dondoc::daemon {
namespace {

// At most `n` bytes, cut at a UTF-8 character boundary.
std::string cut_utf8(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0u) == 0x80u) --n;
  return std::string(s.substr(0, n)) + "…";
}

std::string raw_of(const replies::email_message& m) {
  std::string head = m.head;
  for (auto& c : head)
    if (c == '\n') c = '|';
  return cut_utf8(fmt::format("email from {} message-id <{}> subject \"{}\": {}", m.from.empty() ? "?" : m.from,
                              m.message_id, m.subject, head),
                  2000);
}

void fill_item(app_state& app, store::audit_rec& a, const std::optional<store::item_rec>& item) {
  if (!item) return;
  a.item = item->id;
  a.unit_id = item->unit_id;
  if (auto occ = app.db->occurrence_by_id(item->occurrence)) a.occurrence = occ->name;
}

void record(app_state& app, const replies::email_message& m, const replies::routed_email& r, sys_seconds now) {
  using verdict = replies::routed_email::verdict;
  const std::string raw = raw_of(m);
  ++app.stats.replies;
  store::audit_rec a;
  a.at = now;
  a.who = r.who;
  a.how = "email";
  a.raw = raw;
  fill_item(app, a, r.item);
  switch (r.result) {
    case verdict::apply: {
      if (!r.verified) {
        store::audit_rec u = a;
        u.action = "unverified_sender";
        u.detail = fmt::format("unverified sender {}; matched by {}; answered as {}", mask_email(m.from),
                               r.matched_by, r.who);
        app.db->audit(u);
      }
      if (r.what == replies::intent::acknowledge) app.eng->acknowledge(r.item->id, r.who, "email", raw, now);
      else app.eng->submit(r.item->id, now, "unit", r.who, "email", "", raw, now);
      spdlog::info("email reply applied action={} unit={} who={} matched_by={}{}", replies::to_string(r.what),
                   r.item->unit_id, r.who, r.matched_by, r.verified ? "" : " sender=unverified");
      return;
    }
    case verdict::bounce: {
      for (const auto id : r.failed_rows) app.db->mark_failed(id, now, "bounced", m.auto_reason);
      a.action = "bounce";
      a.detail = fmt::format("{}: {} message{} marked failed ({})", r.reason, r.failed_rows.size(),
                             r.failed_rows.size() == 1 ? "" : "s", m.auto_reason);
      app.db->audit(a);
      spdlog::info("email bounce recorded rows={} reason={}", r.failed_rows.size(), r.reason);
      return;
    }
    case verdict::audit_only:
      a.action = std::string(replies::to_string(r.what));
      a.detail = r.reason;
      break;
    case verdict::ignored:
      a.action = "reply_ignored";
      a.detail = fmt::format("{} ({})", r.reason, m.auto_reason);
      break;
    case verdict::rejected:
      a.action = "reply_rejected";
      a.detail = r.reason;
      if (r.bad_token && r.reason != "bad_token") a.detail += "; a tag did not verify";
      ++app.stats.replies_rejected;
      break;
  }
  if (!r.matched_by.empty()) a.detail += "; matched by " + r.matched_by;
  app.db->audit(a);
  spdlog::info("email reply not applied verdict={} reason={} from={}", replies::to_string(r.result), r.reason,
               mask_email(m.from));
}

}  // namespace

std::string mask_email(std::string_view address) {
  const auto at = address.rfind('@');
  if (address.empty()) return "?";
  if (at == std::string_view::npos || at == 0) return "***";
  return std::string(address.substr(0, 1)) + "***" + std::string(address.substr(at));
}

email_outcome apply_email_reply(app_state& app, const replies::email_message& m, sys_seconds now) {
  email_outcome out;
  auto& db = app.db->db();
  db.exec("SAVEPOINT email_reply");
  try {
    out.routed = replies::route_email(*app.db, app.eng->cfg(), *app.tokens, m, now);
    record(app, m, out.routed, now);
    db.exec("RELEASE email_reply");
  } catch (const std::exception& e) {
    db.exec("ROLLBACK TO email_reply");
    db.exec("RELEASE email_reply");
    out.failed = true;
    out.error = e.what();
    spdlog::error("an email reply could not be applied from={} error=\"{}\"", mask_email(m.from), out.error);
    store::audit_rec a;
    a.at = now;
    a.who = "unknown";
    a.how = "email";
    a.action = "reply_failed";
    a.detail = cut_utf8(out.error, 500);
    a.raw = raw_of(m);
    app.db->audit(a);
  }
  return out;
}

}  // namespace dondoc::daemon
