// dondocd's service object: configuration, store, engine, notifiers and listeners on one
// io_context, in that order up and in mirror order down. It never installs signal
// handlers itself (main does), so tests can embed it.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace dondoc::daemon {

struct service_options {
  std::string config_path = "/etc/dondoc/dondoc.toml";
  std::string state_dir;  // overrides [service] state_dir when not empty
};

// A start-up failure: every line (FILE:LINE:COL: error: …, a bind error, a database
// error) is logged before the process exits 1.
struct startup_error : std::runtime_error {
  explicit startup_error(std::vector<std::string> l)
      : std::runtime_error(l.empty() ? "start-up failed" : l.front()), lines(std::move(l)) {}
  std::vector<std::string> lines;
};

class service {
 public:
  service(boost::asio::io_context& io, service_options opts);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // Loads and validates the configuration, opens the store, recovers rows a crash left
  // in flight, reconciles, binds the listeners, then notifies READY=1. Throws startup_error.
  void start();
  // SIGHUP: the new roster is parsed and validated completely before anything changes;
  // on failure the running configuration stays and the errors are reported.
  void reload();
  // SIGTERM: stop claiming, let in-flight sends finish (bounded), record, close.
  void stop(std::function<void()> on_stopped);

  std::string public_endpoint() const;
  std::string admin_endpoint() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace dondoc::daemon
