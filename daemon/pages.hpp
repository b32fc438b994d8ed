// The coordinator's pages on the admin listener, registered with set_page_router():
//   GET  /                      overview (?all=1: every occurrence)
//   GET  /o/{occurrence}        the units of an occurrence (?status=… filters)
//   GET  /o/{occurrence}/{unit} one unit's item: details, messages, audit, action forms
//   POST /o/{occurrence}/{unit} a coordinator action (submit, exempt, ack, confirm,
//                               reopen, extend; with a note), CSRF-protected
//   GET  /u/{unit}              contacts (phones masked), history, successor links
//   GET  /export/{occurrence}.xlsx|.csv  the occurrence's table (?status=… as above)
//   GET/POST /login, POST /logout   password login when the admin listener is not local
// HTTP Basic (the `dondoc` CLI) keeps working on every route.
#pragma once

#include "daemon/routes.hpp"

namespace dondoc::daemon {

page_router make_page_router();

}  // namespace dondoc::daemon
