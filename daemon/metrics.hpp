// /metrics in the Prometheus text exposition format (version 0.0.4).
#pragma once

#include <string>

#include "daemon/app.hpp"

namespace dondoc::daemon {

std::string render_metrics(app_state& app);
// A route label with ids folded away (/a/TOKEN -> /a/:token), for bounded cardinality.
std::string route_label(const std::string& path);

}  // namespace dondoc::daemon
