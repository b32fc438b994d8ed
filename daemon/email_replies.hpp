// Applying one received email: read (replies::read_email), routed
// (replies::route_email), then acted on through the engine — acknowledgements and
// submissions, bounces as failed deliveries — and always written to the audit log. Runs
// inside the caller's transaction (the write batch), so the IMAP poller can record the
// message as handled in the same commit. Asio-free.
//
// No email is ever answered automatically: answering what we cannot read, an
// auto-reply or a bounce is how mail loops start, and the unit's page (the link) and
// the coordinator are the help.
#pragma once

#include <string>

#include "daemon/app.hpp"
#include "replies/email_reply.hpp"
#include "replies/email_route.hpp"

namespace dondoc::daemon {

// What happened to one email, for the log and tests.
struct email_outcome {
  replies::routed_email routed;
  bool failed = false;  // applying threw; rolled back to before it and audited as reply_failed
  std::string error;
};

// Applies `m` (whose raw bytes were `raw_size` long) inside the open transaction. A
// failure while applying is rolled back to a savepoint and audited, so one bad message
// cannot block the mailbox or undo the other changes of the batch.
email_outcome apply_email_reply(app_state& app, const replies::email_message& m, sys_seconds now);

// "b***@gmail.com" (for the audit detail and logs: the address itself stays in `raw`,
// which raw_retention reduces to a digest).
std::string mask_email(std::string_view address);

}  // namespace dondoc::daemon
