// The coordinator's pages and exports read the store and the engine here and fill the
// plain view structs of web/views.hpp and web/export.hpp. Read-only; `now` is passed in.
// Names come from the current roster when the unit is still in it, else from the store
// (as first planned), so units that left the roster keep their history.
#pragma once

#include <optional>
#include <string>

#include "daemon/app.hpp"
#include "web/export.hpp"
#include "web/views.hpp"

namespace dondoc::daemon {

// "17/06/2019 10:05" in the service zone.
std::string local_text(const engine& e, sys_seconds t);

// Open and recent occurrences (nominal date within 120 days, reminders started), plus
// the next upcoming one of each report; `all`: every occurrence in the store.
web::overview_view build_overview(app_state& app, sys_seconds now, bool all);
std::optional<web::occurrence_view> build_occurrence(app_state& app, const std::string& occurrence,
                                                     const std::string& filter, sys_seconds now);
std::optional<web::item_view> build_item(app_state& app, const std::string& occurrence, const std::string& unit,
                                         sys_seconds now);
std::optional<web::unit_view> build_unit(app_state& app, const std::string& unit, sys_seconds now);
// The export of an occurrence's table (the filter as on the page; "" for every unit).
std::optional<web::export_table> build_export(app_state& app, const std::string& occurrence,
                                              const std::string& filter, sys_seconds now);

// Masks every digit of a phone number but the first four and the last three
// ("0255 3822 000" -> "0255 ••• •000"); E.164 mobiles use config::mask_phone.
std::string mask_any_phone(const std::string& phone);

}  // namespace dondoc::daemon
