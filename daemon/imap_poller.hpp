// The IMAP poller of [channels.email.replies]: every `poll` it asks the reply mailbox for
// new messages, fetches them one by one, applies each through the write batch, and
// flags it \Seen. See imap_poller.cpp for why nothing is applied twice or lost.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "daemon/app.hpp"

namespace boost::asio {
class io_context;
}

namespace dondoc::daemon {

class imap_poller {
 public:
  // Reads the password from the secrets directory now: a missing file is a start-up
  // (or reload) error naming the path (notifiers::secret_error).
  imap_poller(boost::asio::io_context& io, app_state& app, const config::email_replies_settings& settings,
              const std::string& secrets_dir);
  ~imap_poller();
  imap_poller(const imap_poller&) = delete;
  imap_poller& operator=(const imap_poller&) = delete;

  // Polls soon, then every `poll` seconds.
  void start();
  // Cancels the timer and aborts the transfer in flight. A reply already handed to the
  // write batch still commits together with its position; nothing else happens.
  void stop();

  // What a reload compares to decide whether to restart the poller: the settings of
  // [channels.email.replies], the secrets directory, and (a digest of) the password.
  static std::string signature(const config::config& cfg);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

// The poller for `cfg`, or null when [channels.email.replies] is not configured.
std::unique_ptr<imap_poller> make_imap_poller(boost::asio::io_context& io, app_state& app, const config::config& cfg);

}  // namespace dondoc::daemon
