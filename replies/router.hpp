// Who a reply is from and which item it is about. An SMS is matched by its reply code
// among the sender's items, or — without a code — by the sender's number when it has
// exactly one open item. The sender must be a roster contact of that unit, or a
// roster-wide coordinator. Reads the store; changes nothing (the engine applies).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "replies/parse.hpp"
#include "store/store.hpp"

namespace dondoc::replies {

struct routed_reply {
  enum class verdict : std::uint8_t { apply, audit_only, rejected };
  verdict result = verdict::rejected;
  intent what = intent::none;
  std::optional<store::item_rec> item;
  std::string who;     // contact id, or "unknown"
  std::string reason;  // for the audit log: not_understood, unknown_sender, unknown_code, ambiguous, closed…
};

// Items a contact may answer for: its unit's items (unit contacts), or every unit's
// (roster-wide coordinators). Open = not submitted/exempted, tracked, in the plan, and
// not closed longer than token_ttl ago.
bool item_open(const store::item_rec& it, std::chrono::sys_seconds now, std::chrono::seconds token_ttl);

routed_reply route_sms(store::store& st, const config::config& cfg, const std::string& sender_e164,
                       const std::string& text, std::chrono::sys_seconds now);

// Contacts (unit and roster-wide) with this E.164 number.
std::vector<const config::contact*> contacts_by_phone(const config::config& cfg, const std::string& e164);
// Contacts with this email address (case-insensitive).
std::vector<const config::contact*> contacts_by_email(const config::config& cfg, const std::string& address);

// May this contact act for this unit? (its own unit, or a roster-wide coordinator)
bool may_answer(const config::config& cfg, const config::contact& c, const std::string& unit_id);

}  // namespace dondoc::replies
