// `dondoc forget CONTACT`: a departed official's addresses leave the store and the file
// outbox (Nghị định 13/2023 on personal data). Rows and audit entries keep the contact id;
// numbers are masked, email addresses replaced.
#pragma once

#include <string>

#include "daemon/app.hpp"

namespace dondoc::daemon {

struct forget_result {
  bool known = false;
  std::int64_t rows = 0;           // outbox rows of the contact
  std::int64_t files = 0;          // outbox files rewritten
  std::int64_t audit_entries = 0;  // audit entries scrubbed
};

forget_result forget_contact(app_state& app, const std::string& contact_id, const std::string& who, sys_seconds now);

}  // namespace dondoc::daemon
