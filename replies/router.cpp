// Reply routing rules (DESIGN.md "Acknowledgement, submission, status"): a code that is
// not an item of the sender, a sender not in the roster, or text that is not understood
// changes nothing; it is recorded and answered with help where the route is two-way.
#include "replies/router.hpp"

#include <algorithm>

namespace dondoc::replies {

bool item_open(const store::item_rec& it, std::chrono::sys_seconds now, std::chrono::seconds token_ttl) {
  if (it.state != store::item_state::open || !it.tracked || !it.in_plan) return false;
  return !it.closed_at || *it.closed_at + token_ttl > now;
}

std::vector<const config::contact*> contacts_by_phone(const config::config& cfg, const std::string& e164) {
  std::vector<const config::contact*> out;
  if (e164.empty()) return out;
  for (const auto& c : cfg.contacts)
    if (c.phone == e164) out.push_back(&c);
  for (const auto& u : cfg.units)
    for (const auto& c : u.contacts)
      if (c.phone == e164) out.push_back(&c);
  return out;
}

std::vector<const config::contact*> contacts_by_email(const config::config& cfg, const std::string& address) {
  auto lower = [](std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  const std::string a = lower(address);
  std::vector<const config::contact*> out;
  if (a.empty()) return out;
  for (const auto& c : cfg.contacts)
    if (lower(c.email) == a) out.push_back(&c);
  for (const auto& u : cfg.units)
    for (const auto& c : u.contacts)
      if (lower(c.email) == a) out.push_back(&c);
  return out;
}

bool may_answer(const config::config& cfg, const config::contact& c, const std::string& unit_id) {
  if (c.unit >= 0) return cfg.units[static_cast<std::size_t>(c.unit)].id == unit_id;
  return std::find(c.roles.begin(), c.roles.end(), "coordinator") != c.roles.end();
}

routed_reply route_sms(store::store& st, const config::config& cfg, const std::string& sender_e164,
                       const std::string& text, std::chrono::sys_seconds now) {
  routed_reply out;
  const std::string keyword = cfg.channels.sms ? cfg.channels.sms->mo_keyword : std::string();
  const auto parsed = parse_reply(text, keyword);
  out.what = parsed.what;
  const auto senders = contacts_by_phone(cfg, sender_e164);
  out.who = senders.empty() ? "unknown" : senders.front()->id;
  if (senders.empty()) {
    out.reason = "unknown_sender";
    return out;
  }
  if (parsed.what == intent::none) {
    out.reason = "not_understood";
    return out;
  }
  const auto ttl = cfg.service.token_ttl;
  if (parsed.code) {
    auto it = st.item_by_code(*parsed.code);
    if (!it) {
      out.reason = "unknown_code";
      return out;
    }
    const config::contact* who = nullptr;
    for (const auto* c : senders)
      if (may_answer(cfg, *c, it->unit_id)) who = c;
    if (who == nullptr) {
      out.reason = "code_of_another_unit";
      return out;
    }
    out.who = who->id;
    out.item = std::move(it);
    if (out.item->state != store::item_state::open) {
      out.result = routed_reply::verdict::audit_only;
      out.reason = "already_closed";
      return out;
    }
    if (!item_open(*out.item, now, ttl)) {
      out.result = routed_reply::verdict::rejected;
      out.reason = "not_open";
      out.item.reset();
      return out;
    }
    out.result = routed_reply::verdict::apply;
    return out;
  }
  // No code: the sender's number decides when it has exactly one open item.
  std::vector<store::item_rec> open;
  const config::contact* who = nullptr;
  for (const auto* c : senders) {
    if (c->unit < 0) continue;  // a coordinator must give a code
    for (auto& it : st.items_of_unit(cfg.units[static_cast<std::size_t>(c->unit)].id))
      if (item_open(it, now, ttl)) {
        open.push_back(std::move(it));
        who = c;
      }
  }
  if (open.size() != 1) {
    out.reason = open.empty() ? "no_open_item" : "ambiguous";
    return out;
  }
  out.who = who->id;
  out.item = std::move(open.front());
  out.result = routed_reply::verdict::apply;
  return out;
}

}  // namespace dondoc::replies
