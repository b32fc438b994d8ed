// The HTTP routes of the daemon: the public listener (links, SMS gateway hooks, health)
// and the admin listener (health detail, status and actions for `dondoc`, metrics, the
// calendar feed, and the coordinator's pages). Handlers read through the store and write
// through the write batcher.
#pragma once

#include "daemon/app.hpp"
#include "web/http.hpp"

namespace dondoc::daemon {

web::handler make_public_handler(app_state& app);
web::handler make_admin_handler(app_state& app);

// Admin routes that are pages for people (/, /o/…, /u/…, exports); set by the pages
// module so that routes.cpp stays about the API. Returns false when it did not handle
// the request.
using page_router = std::function<bool(app_state&, web::request&, web::reply_fn&)>;
void set_page_router(page_router r);

}  // namespace dondoc::daemon
