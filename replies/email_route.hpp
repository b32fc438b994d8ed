// Which item an email reply is about, who answered, and whether it may change anything
// (DESIGN.md "Acknowledgement, submission, status"). Reads the store; changes nothing
// (the daemon applies, in the same transaction as it records the message as handled).
//
// The rules, in order:
//  - A bounce names the outbox rows that were not delivered (Message-ID KEY@domain or
//    X-Dondoc-Key of the original); an auto-reply changes nothing.
//  - The item: the valid token of the tagged address the reply was sent to
//    (dondoc-replies+TOKEN@…), else one of our Message-IDs in In-Reply-To/References,
//    else — from a roster address — a reply code in the first lines or the subject,
//    else the sender's only open item.
//  - A valid token is accepted from any address; when the sender is not a roster contact
//    who may answer for that unit it is recorded as an *unverified sender*. A Message-ID
//    alone is not: our keys are digests of roster identifiers, not secrets, so a reply
//    matched only by its thread must come from a roster contact of the unit (or a
//    coordinator).
//  - An explicit code of another item the (roster) sender may answer for wins over the
//    thread: a coordinator answering in one unit's thread for another unit.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "replies/email_reply.hpp"
#include "replies/router.hpp"
#include "replies/tokens.hpp"
#include "store/store.hpp"

namespace dondoc::replies {

struct routed_email {
  enum class verdict : std::uint8_t {
    apply,       // acknowledge or submit the item
    audit_only,  // the item is already closed: recorded only
    rejected,    // not understood, unknown sender, bad token, …: recorded only
    ignored,     // an auto-reply: recorded only
    bounce,      // mark failed_rows failed (when the report says the delivery failed)
  };
  verdict result = verdict::rejected;
  intent what = intent::none;
  std::optional<store::item_rec> item;
  std::string who = "unknown";   // contact id (for an unverified sender: the contact of the token's row)
  bool verified = false;         // the sender's address is a roster contact who may answer for the unit
  std::string matched_by;        // token | thread | code | sender | "" (nothing matched)
  std::string reason;            // not_understood, unknown_sender, bad_token, unknown_code, not_open, …
  bool bad_token = false;        // a tag that looked like a token did not verify
  std::vector<std::int64_t> failed_rows;  // bounces: our email rows the report names
};
std::string_view to_string(routed_email::verdict v);

routed_email route_email(store::store& st, const config::config& cfg, const token_codec& tokens,
                         const email_message& m, std::chrono::sys_seconds now);

}  // namespace dondoc::replies
