// Plan fingerprints: a digest of everything in the configuration that decides the rows
// of one (report, unit) pair. Reconciliation re-plans only pairs whose fingerprint
// changed, so a reload that touches one unit costs one unit's work, not the province's.
#pragma once

#include <string>

#include "config/config.hpp"

namespace dondoc::daemon {

// Calendar, office and quiet hours, time zone: change them and every pair re-plans.
std::string global_fingerprint(const config::config& cfg);
// The report's rule, steps, overrides, selectors and coordinators.
std::string report_fingerprint(const config::report& r);
// The unit's validity, kind, tags and its contacts' ids and roles (not addresses: those
// are read from the current roster when a row is claimed).
std::string unit_fingerprint(const config::unit& u);
// Roster-wide contacts' ids and roles (for grouped steps).
std::string group_fingerprint(const config::config& cfg);
// Combines parts into a short hex digest.
std::string combine(const std::string& a, const std::string& b, const std::string& c);

}  // namespace dondoc::daemon
