// Metrics read the store at scrape time (counts by state, units by status) and the
// in-memory counters the service keeps (messages by channel and result, HTTP by route
// and code). Label values are escaped as the format requires.
#include "daemon/metrics.hpp"

#include <map>

#include <fmt/format.h>

#include "store/digests.hpp"

namespace dondoc::daemon {
namespace {

std::string esc(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string route_label(const std::string& path) {
  if (path.rfind("/a/", 0) == 0) return "/a/:token";
  if (path.rfind("/hooks/sms/", 0) == 0) return path.size() < 32 ? path : "/hooks/sms/:provider";
  if (path.rfind("/calendar/", 0) == 0) return "/calendar/:report";
  if (path.rfind("/o/", 0) == 0) return "/o/:occurrence";
  if (path.rfind("/u/", 0) == 0) return "/u/:unit";
  if (path.rfind("/export/", 0) == 0) return "/export/:occurrence";
  static const char* known[] = {"/", "/healthz", "/metrics", "/api/v1/health", "/api/v1/status", "/api/v1/actions",
                                "/api/v1/history", "/api/v1/forget", "/login", "/logout"};
  for (const char* k : known)
    if (path == k) return path;
  return "other";
}

std::string render_metrics(app_state& app) {
  const auto now = app.clock();
  std::string out;
  family(out, "dondoc_up", "gauge", "1 when the daemon is ready and its database writable.");
  out += fmt::format("dondoc_up {}\n", app.health.ready && app.health.database_ok ? 1 : 0);
  family(out, "dondoc_build_info", "gauge", "Version of the running daemon.");
  out += fmt::format("dondoc_build_info{{version=\"{}\"}} 1\n", esc(DONDOC_VERSION_STRING));

  family(out, "dondoc_messages_total", "counter", "Messages handed to a channel, by channel and result.");
  for (const auto& [k, v] : app.stats.messages)
    out += fmt::format("dondoc_messages_total{{channel=\"{}\",result=\"{}\"}} {}\n", esc(k.first), esc(k.second), v);
  family(out, "dondoc_sms_segments_total", "counter", "SMS segments accepted by the gateway.");
  out += fmt::format("dondoc_sms_segments_total {}\n", app.stats.sms_segments);

  const auto counts = app.db->counts(now);
  family(out, "dondoc_outbox_rows", "gauge", "Outbox rows by state.");
  const std::pair<const char*, std::int64_t> states[] = {
      {"planned", counts.planned}, {"sending", counts.sending},     {"sent", counts.sent},
      {"delivered", counts.delivered}, {"failed", counts.failed}, {"cancelled", counts.cancelled},
      {"skipped", counts.skipped}};
  for (const auto& [s, n] : states) out += fmt::format("dondoc_outbox_rows{{state=\"{}\"}} {}\n", s, n);
  family(out, "dondoc_outbox_depth", "gauge", "Rows planned or being sent.");
  out += fmt::format("dondoc_outbox_depth {}\n", counts.planned + counts.sending);
  family(out, "dondoc_outbox_oldest_due_age_seconds", "gauge", "Age of the oldest row that is due and not yet sent.");
  out += fmt::format("dondoc_outbox_oldest_due_age_seconds {}\n",
                     counts.oldest_due ? (now - *counts.oldest_due).count() : 0);

  family(out, "dondoc_units", "gauge", "Units of recent and open occurrences, by occurrence and status.");
  const auto today = app.eng->rt().planner.sys_to_local(now).first;
  // Occurrences (same window): open (units outstanding, deadline ahead), overdue (units
  // outstanding, deadline passed), complete (every unit submitted, exempted or untracked).
  std::map<std::string, std::int64_t> occ_by{{"open", 0}, {"overdue", 0}, {"complete", 0}};
  for (const auto& occ : app.db->occurrences_since(today - date::days{120})) {
    std::map<std::string, std::int64_t> by;
    bool outstanding = false;
    for (const auto& it : app.db->items_of_occurrence(occ.id)) {
      if (!it.in_plan) continue;
      const auto st = app.eng->status(it, now);
      ++by[std::string(to_string(st))];
      outstanding = outstanding || st == unit_status::pending || st == unit_status::acknowledged ||
                    st == unit_status::overdue;
    }
    ++occ_by[!outstanding ? "complete" : (now >= occ.deadline ? "overdue" : "open")];
    for (const auto& [s, n] : by)
      out += fmt::format("dondoc_units{{occurrence=\"{}\",report=\"{}\",status=\"{}\"}} {}\n", esc(occ.name),
                         esc(occ.report_id), s, n);
  }
  family(out, "dondoc_occurrences", "gauge", "Recent and open occurrences by status (open, overdue, complete).");
  for (const auto& [s, n] : occ_by) out += fmt::format("dondoc_occurrences{{status=\"{}\"}} {}\n", s, n);

  store::digest_log digests(*app.db);
  family(out, "dondoc_digests", "gauge", "Daily digests in the digest log, by state (all days).");
  auto digest_counts = digests.counts_by_state();
  for (const char* s : {"planned", "sending", "sent", "failed", "skipped"})
    out += fmt::format("dondoc_digests{{state=\"{}\"}} {}\n", s, digest_counts[s]);
  family(out, "dondoc_last_digest_timestamp_seconds", "gauge", "When a daily digest was last sent (0: never).");
  const auto last_digest = digests.last_sent_at();
  out += fmt::format("dondoc_last_digest_timestamp_seconds {}\n",
                     last_digest ? last_digest->time_since_epoch().count() : 0);

  family(out, "dondoc_last_plan_timestamp_seconds", "gauge", "When the plan was last reconciled.");
  out += fmt::format("dondoc_last_plan_timestamp_seconds {}\n", app.health.last_plan_at.time_since_epoch().count());
  family(out, "dondoc_last_plan_success", "gauge", "1 when the last reconciliation succeeded.");
  out += fmt::format("dondoc_last_plan_success {}\n", app.health.last_plan_ok ? 1 : 0);
  family(out, "dondoc_last_plan_success_timestamp_seconds", "gauge", "When the plan was last reconciled successfully.");
  out += fmt::format("dondoc_last_plan_success_timestamp_seconds {}\n",
                     app.health.last_plan_ok_at.time_since_epoch().count());
  family(out, "dondoc_last_reload_timestamp_seconds", "gauge", "When the configuration was last reloaded (0: never).");
  out += fmt::format("dondoc_last_reload_timestamp_seconds {}\n",
                     app.health.last_reload ? app.health.last_reload->at.time_since_epoch().count() : 0);
  family(out, "dondoc_last_reload_success", "gauge", "1 when the last reload succeeded (or there was none).");
  out += fmt::format("dondoc_last_reload_success {}\n", !app.health.last_reload || app.health.last_reload->ok ? 1 : 0);
  family(out, "dondoc_last_reload_success_timestamp_seconds", "gauge", "When a reload last succeeded (0: none yet).");
  out += fmt::format("dondoc_last_reload_success_timestamp_seconds {}\n",
                     app.health.last_reload_ok_at.time_since_epoch().count());
  family(out, "dondoc_reloads_total", "counter", "Reloads by result.");
  out += fmt::format("dondoc_reloads_total{{result=\"ok\"}} {}\n", app.stats.reloads_ok);
  out += fmt::format("dondoc_reloads_total{{result=\"failed\"}} {}\n", app.stats.reloads_failed);
  family(out, "dondoc_replies_total", "counter", "Replies received by SMS, email or link.");
  out += fmt::format("dondoc_replies_total {}\n", app.stats.replies);
  family(out, "dondoc_replies_rejected_total", "counter", "Replies that changed nothing (unknown sender, code, text).");
  out += fmt::format("dondoc_replies_rejected_total {}\n", app.stats.replies_rejected);
  family(out, "dondoc_clock_jumps_total", "counter", "Wall-clock jumps detected.");
  out += fmt::format("dondoc_clock_jumps_total {}\n", app.health.clock_jumps);

  family(out, "dondoc_http_requests_total", "counter", "HTTP requests by route and status code.");
  for (const auto& [k, v] : app.stats.http)
    out += fmt::format("dondoc_http_requests_total{{route=\"{}\",code=\"{}\"}} {}\n", esc(k.first), k.second, v);
  if (app.metrics_extra) out += app.metrics_extra();
  return out;
}

}  // namespace dondoc::daemon
