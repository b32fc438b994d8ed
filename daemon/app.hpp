// What the running daemon's parts share: the store and engine, the link tokens, health
// and counters for the status endpoints, and the write batcher. Asio-free, so the HTTP
// routes compile quickly and can be tested without sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/engine.hpp"
#include "replies/tokens.hpp"
#include "store/store.hpp"

namespace dondoc::daemon {

struct reload_info {
  sys_seconds at{};
  bool ok = true;
  std::vector<std::string> errors;  // FILE:LINE:COL: error: …
};

struct health_info {
  sys_seconds started_at{};
  bool ready = false;
  bool stopping = false;
  sys_seconds config_loaded_at{};
  std::vector<std::string> config_files;
  std::optional<reload_info> last_reload;
  bool database_ok = true;
  std::string database_error;
  sys_seconds last_plan_at{};
  sys_seconds last_plan_ok_at{};    // the last successful reconciliation (for /metrics)
  sys_seconds last_reload_ok_at{};  // the last successful reload (0: none yet)
  bool last_plan_ok = true;
  std::string last_plan_error;
  std::int64_t clock_jumps = 0;
  std::string imap_error;
  std::string sms_gateway_error;
};

// Counters for /metrics (monotonic since start).
struct counters {
  std::map<std::pair<std::string, std::string>, std::uint64_t> messages;  // (channel, result) -> n
  std::map<std::pair<std::string, int>, std::uint64_t> http;               // (route, code) -> n
  std::uint64_t sms_segments = 0;
  std::uint64_t replies = 0;
  std::uint64_t replies_rejected = 0;
  std::uint64_t reloads_ok = 0;
  std::uint64_t reloads_failed = 0;
};

// Writes from HTTP handlers are batched: each request queues its change, the batch runs
// in one transaction (one fsync), then every request is answered. This is what makes
// thousands of acknowledgements a second durable.
class write_batcher {
 public:
  using work_fn = std::function<void(sys_seconds now)>;  // runs inside the transaction
  using done_fn = std::function<void(bool committed)>;
  // `schedule` arranges for run() to be called soon (the service posts it to the io_context).
  explicit write_batcher(std::function<void()> schedule) : schedule_(std::move(schedule)) {}
  void submit(work_fn work, done_fn done);
  // Runs every queued change in one transaction; returns false when the commit failed.
  bool run(store::store& st, sys_seconds now);
  std::size_t pending() const { return queue_.size(); }

 private:
  std::function<void()> schedule_;
  std::vector<std::pair<work_fn, done_fn>> queue_;
  bool scheduled_ = false;
};

struct app_state {
  std::string config_path;
  store::store* db = nullptr;
  engine* eng = nullptr;
  const replies::token_codec* tokens = nullptr;
  write_batcher* writes = nullptr;
  health_info health;
  counters stats;
  std::function<sys_seconds()> clock;           // wall clock (tests may replace it)
  std::function<void()> wake_dispatch;          // a change may have made rows due
  std::string admin_password;                   // required when the admin listener is not local
  bool admin_requires_password = false;
  std::function<std::string()> metrics_extra;   // e.g. curl and server gauges from the service
  // Rewrites the file outbox's sms.jsonl through the open outbox (forget); false on failure.
  std::function<bool(const std::function<std::string(std::string)>&)> rewrite_sms_log;
};

}  // namespace dondoc::daemon
