// Turns a claimed row (a job) into the email or SMS a notifier sends: fills the
// composer's input from the configuration, the occurrence and the store (reply code,
// link token, tagged Reply-To, the thread's earlier Message-IDs, outstanding units).
#pragma once

#include <optional>
#include <string>

#include "daemon/engine.hpp"
#include "notifiers/notifier.hpp"
#include "replies/tokens.hpp"

namespace dondoc::daemon {

struct built_message {
  std::optional<notifiers::outgoing_email> email;
  std::optional<notifiers::outgoing_sms> sms;
  std::string error;  // nothing to send (e.g. the SMS template cannot fit): a permanent failure
};

class message_builder {
 public:
  message_builder(engine& e, const replies::token_codec& tokens) : engine_(e), tokens_(tokens) {}

  built_message build(const job& j, sys_seconds now);

  // The link token of a unit row (also the tag of its Reply-To address).
  std::string token_for(const store::outbox_rec& row) const;

 private:
  engine& engine_;
  const replies::token_codec& tokens_;
};

// "dondoc-replies@host" + token -> "dondoc-replies+TOKEN@host".
std::string tagged_address(const std::string& reply_to, const std::string& token);

}  // namespace dondoc::daemon
