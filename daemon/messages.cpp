// Message assembly. A unit message carries the unit's reply code, a link to its page
// (/a/TOKEN, one token per recipient) and a Reply-To tagged with the same token, so a
// reply is matched even when a mail client drops In-Reply-To. Grouped messages to
// roster-wide roles list the units still outstanding and carry no token.
#include "daemon/messages.hpp"

#include <algorithm>

#include "notifiers/compose.hpp"

namespace dondoc::daemon {

std::string tagged_address(const std::string& reply_to, const std::string& token) {
  const auto at = reply_to.rfind('@');
  if (at == std::string::npos || token.empty()) return reply_to;
  return reply_to.substr(0, at) + "+" + token + reply_to.substr(at);
}

std::string message_builder::token_for(const store::outbox_rec& row) const {
  return tokens_.make(row.id, std::to_string(row.occurrence), row.unit_id, row.contact_id);
}

built_message message_builder::build(const job& j, sys_seconds now) {
  auto p = prepare(j, now);
  built_message out;
  out.error = std::move(p.error);
  out.sms = std::move(p.sms);
  if (p.email) out.email = notifiers::make_email(*p.email, notifiers::compose_email(*p.email));
  return out;
}

prepared_message message_builder::prepare(const job& j, sys_seconds now) {
  const auto& cfg = *j.rt->cfg;
  prepared_message out;
  notifiers::compose_input in;
  in.cfg = &cfg;
  in.report = j.report;
  in.occurrence = j.occ.name;
  in.nominal = j.occ.nominal;
  in.last_day = j.last_day;
  in.deadline = j.deadline;
  in.unit = j.unit;
  in.recipient = j.contact;
  in.step = j.step;
  in.step_index = j.row.step;
  in.kind = j.kind;
  in.repeat = j.row.repeat;
  in.now = now;
  in.due = j.row.due;
  in.catch_up = j.row.catch_up;
  in.key = j.row.key;
  in.total_units = j.total_units;
  if (j.item) {
    in.reply_code = j.item->reply_code;
    in.unit_status = std::string(to_string(engine_.status(*j.item, now)));
    in.acknowledged_at = j.item->acknowledged_at;
    const std::string token = token_for(j.row);
    in.link = cfg.service.public_url + "/a/" + token;
    if (cfg.channels.email && !cfg.channels.email->reply_to.empty())
      in.reply_to = tagged_address(cfg.channels.email->reply_to, token);
    // Earlier messages of this thread (same unit and recipient), oldest first.
    if (j.row.channel == "email") {
      auto rows = engine_.db().rows_of_item(j.item->id);
      std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.sent_at.value_or(sys_seconds{}) < b.sent_at.value_or(sys_seconds{});
      });
      for (const auto& r : rows)
        if (r.channel == "email" && r.contact_id == j.row.contact_id && r.sent_at && r.id != j.row.id)
          in.thread_references.push_back(r.key + "@" + notifiers::message_id_domain(cfg));
    }
  } else {
    for (const auto& it : j.outstanding) {
      notifiers::unit_line l;
      l.id = it.unit_id;
      l.name = it.unit_name;
      l.status = std::string(to_string(engine_.status(it, now)));
      l.acknowledged_at = it.acknowledged_at;
      in.outstanding.push_back(std::move(l));
    }
  }
  if (j.row.channel == "email") {
    out.email = std::move(in);
  } else {
    const auto sms = notifiers::compose_sms(in);
    if (!sms.ok) {
      out.error = sms.error.empty() ? "the SMS cannot be built" : sms.error;
      return out;
    }
    out.sms = notifiers::make_sms(in, sms);
  }
  return out;
}

}  // namespace dondoc::daemon
