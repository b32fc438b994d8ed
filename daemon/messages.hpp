// Turns a claimed row (a job) into the email or SMS a notifier sends: fills the
// composer's input from the configuration, the occurrence and the store (reply code,
// link token, tagged Reply-To, the thread's earlier Message-IDs, outstanding units).
#pragma once

#include <optional>
#include <string>

#include "daemon/engine.hpp"
#include "notifiers/compose.hpp"
#include "notifiers/notifier.hpp"
#include "replies/tokens.hpp"

namespace dondoc::daemon {

struct built_message {
  std::optional<notifiers::outgoing_email> email;
  std::optional<notifiers::outgoing_sms> sms;
  std::string error;  // nothing to send (e.g. the SMS template cannot fit): a permanent failure
};

// What a job needs before composing: everything read from the store and the
// configuration. An email's input points into the job's configuration (job::rt), which
// must outlive the composing.
struct prepared_message {
  std::optional<notifiers::compose_input> email;  // compose_email + make_email, on any thread
  std::optional<notifiers::outgoing_sms> sms;     // already built (cheap)
  std::string error;                              // as built_message::error
};

class message_builder {
 public:
  message_builder(engine& e, const replies::token_codec& tokens) : engine_(e), tokens_(tokens) {}

  // On the store's thread: the reads; an SMS is built at once. The daemon composes the
  // email on its worker thread (notifiers/worker.hpp).
  prepared_message prepare(const job& j, sys_seconds now);
  // prepare() and the composing together, on the calling thread (dondoc simulate).
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
