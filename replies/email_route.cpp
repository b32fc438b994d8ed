// Email reply routing. The token is checked exactly as the link page checks it (the
// row it names, then the HMAC over that row's occurrence, unit and contact), so a tag
// copied from another unit's message, altered, or made up is refused the same way.
#include "replies/email_route.hpp"

#include <algorithm>

namespace dondoc::replies {

std::string_view to_string(routed_email::verdict v) {
  switch (v) {
    case routed_email::verdict::apply: return "apply";
    case routed_email::verdict::audit_only: return "audit_only";
    case routed_email::verdict::rejected: return "rejected";
    case routed_email::verdict::ignored: return "ignored";
    case routed_email::verdict::bounce: return "bounce";
  }
  return "rejected";
}

namespace {

using verdict = routed_email::verdict;

// The first valid token among the reply address tags.
std::optional<store::outbox_rec> token_row(store::store& st, const config::config& cfg, const token_codec& tokens,
                                           const email_message& m, bool& bad) {
  const std::string reply_to = cfg.channels.email ? cfg.channels.email->reply_to : std::string();
  for (const auto& tag : reply_tags(m, reply_to)) {
    const auto id = token_codec::row_of(tag);
    if (!id) {
      bad = true;
      continue;
    }
    auto row = st.row_by_id(*id);
    if (!row || !row->item || !tokens.verify(tag, std::to_string(row->occurrence), row->unit_id, row->contact_id)) {
      bad = true;
      continue;
    }
    return row;
  }
  return std::nullopt;
}

// The newest of our unit messages the reply refers to: In-Reply-To, then References
// from the last.
std::optional<store::outbox_rec> thread_row(store::store& st, const email_message& m) {
  std::vector<std::string> ids = m.in_reply_to;
  ids.insert(ids.end(), m.references.rbegin(), m.references.rend());
  for (const auto& id : ids) {
    const std::string key = key_of_message_id(id);
    if (key.empty()) continue;
    auto row = st.row_by_key(key);
    if (row && row->item && row->channel == "email") return row;
  }
  return std::nullopt;
}

}  // namespace

routed_email route_email(store::store& st, const config::config& cfg, const token_codec& tokens,
                         const email_message& m, std::chrono::sys_seconds now) {
  routed_email out;
  if (!m.parsed) {
    out.reason = "not_a_message";
    return out;
  }
  const auto senders = contacts_by_email(cfg, m.from);
  if (!senders.empty()) out.who = senders.front()->id;

  if (m.kind == email_kind::bounce) {
    out.result = verdict::bounce;
    out.reason = m.bounce_failed ? "bounced" : "delivery_delayed";
    for (const auto& id : m.bounced_ids) {
      const std::string key = key_of_message_id(id);
      if (key.empty()) continue;
      auto row = st.row_by_key(key);
      if (!row || row->channel != "email") continue;
      if (!out.item && row->item) out.item = st.item_by_id(*row->item);
      const bool delivered_once = row->state == store::row_state::sent || row->state == store::row_state::delivered;
      if (m.bounce_failed && delivered_once &&
          std::find(out.failed_rows.begin(), out.failed_rows.end(), row->id) == out.failed_rows.end())
        out.failed_rows.push_back(row->id);
    }
    if (out.failed_rows.empty() && m.bounce_failed) out.reason = "bounce_of_unknown_message";
    out.who = "mail-system";
    return out;
  }

  auto by_token = token_row(st, cfg, tokens, m, out.bad_token);
  auto by_thread = by_token ? std::nullopt : thread_row(st, m);
  const store::outbox_rec* named = by_token ? &*by_token : by_thread ? &*by_thread : nullptr;
  if (named != nullptr) {
    out.item = st.item_by_id(*named->item);
    out.matched_by = by_token ? "token" : "thread";
  }
  auto allowed = [&](const std::string& unit) -> const config::contact* {
    for (const auto* c : senders)
      if (may_answer(cfg, *c, unit)) return c;
    return nullptr;
  };

  if (m.kind == email_kind::auto_reply) {
    out.result = verdict::ignored;
    out.reason = "auto_reply";
    return out;
  }

  const auto parsed = read_intent(m);
  out.what = parsed.what;

  // Codes the reply names: the keyword line's first, then any code-like word of the
  // first lines and the subject (a Vietnamese word can look like a code; only one that
  // is an item counts).
  std::vector<std::string> codes;
  if (parsed.code) codes.push_back(*parsed.code);
  for (const auto& c : code_words(m.head))
    if (std::find(codes.begin(), codes.end(), c) == codes.end()) codes.push_back(c);
  for (const auto& c : code_words(m.subject))
    if (std::find(codes.begin(), codes.end(), c) == codes.end()) codes.push_back(c);
  std::optional<store::item_rec> by_code;
  const config::contact* code_who = nullptr;
  bool code_of_other_unit = false;
  if (!senders.empty())
    for (const auto& c : codes) {
      auto it = st.item_by_code(c);
      if (!it) continue;
      if (const auto* w = allowed(it->unit_id)) {
        by_code = std::move(it);
        code_who = w;
        break;
      }
      code_of_other_unit = true;
    }

  if (by_code && (!out.item || by_code->id != out.item->id)) {
    out.item = std::move(by_code);
    out.matched_by = "code";
    out.who = code_who->id;
    out.verified = true;
  } else if (out.item) {
    if (const auto* w = allowed(out.item->unit_id)) {
      out.who = w->id;
      out.verified = true;
    } else if (out.matched_by == "token") {
      out.who = named->contact_id;  // the thread's recipient; the sender is recorded as unverified
    } else {
      out.reason = senders.empty() ? "unknown_sender" : "sender_of_another_unit";
      return out;  // rejected, with the item for the audit log
    }
  } else {
    // Nothing names an item: a roster sender with exactly one open item.
    if (senders.empty()) {
      out.reason = out.bad_token ? "bad_token" : "unknown_sender";
      return out;
    }
    if (parsed.what == intent::none) {
      out.reason = out.bad_token ? "bad_token" : "not_understood";
      return out;
    }
    if (parsed.code) {
      out.reason = code_of_other_unit ? "code_of_another_unit" : "unknown_code";
      return out;
    }
    std::vector<store::item_rec> open;
    const config::contact* who = nullptr;
    for (const auto* c : senders) {
      if (c->unit < 0) continue;  // a coordinator must name the unit (a code or its thread)
      for (auto& it : st.items_of_unit(cfg.units[static_cast<std::size_t>(c->unit)].id))
        if (item_open(it, now, cfg.service.token_ttl)) {
          open.push_back(std::move(it));
          who = c;
        }
    }
    if (open.size() != 1) {
      out.reason = open.empty() ? "no_open_item" : "ambiguous";
      return out;
    }
    out.item = std::move(open.front());
    out.who = who->id;
    out.verified = true;
    out.matched_by = "sender";
  }

  if (parsed.what == intent::none) {
    out.reason = "not_understood";
    return out;
  }
  if (out.item->closed_at && *out.item->closed_at + cfg.service.token_ttl < now) {
    out.reason = "expired";  // as the link answers 410: the occurrence closed token_ttl ago
    return out;
  }
  if (out.item->state != store::item_state::open) {
    out.result = verdict::audit_only;
    out.reason = "already_closed";
    return out;
  }
  if (!item_open(*out.item, now, cfg.service.token_ttl)) {
    out.reason = "not_open";
    return out;
  }
  out.result = verdict::apply;
  return out;
}

}  // namespace dondoc::replies
