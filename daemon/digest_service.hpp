// The digest's timer: wakes at the first office-hours start of each working day (and
// for retries), runs the digest runner's round in a transaction, hands the messages to
// the email transport the dispatcher uses (SMTP or the file outbox), and records what
// it answered. The rules live in digest.cpp; this file is only the Asio around them.
#pragma once

#include <functional>
#include <memory>

#include "daemon/app.hpp"
#include "notifiers/notifier.hpp"

namespace boost::asio {
class io_context;
}

namespace dondoc::daemon {

class digest_service {
 public:
  // `email` returns the current email transport (it changes on a reload).
  using email_fn = std::function<std::shared_ptr<notifiers::email_transport>()>;
  digest_service(boost::asio::io_context& io, app_state& app, email_fn email);
  ~digest_service();
  digest_service(const digest_service&) = delete;
  digest_service& operator=(const digest_service&) = delete;

  // Re-sends what a crash interrupted, drops earlier days' unsent digests, and arms the
  // timer (a round due now runs at once).
  void start();
  // After a reload: office hours, the calendar or the recipients may have changed.
  void reschedule();
  // Stops the timer; answers still in flight are dropped (their rows stay `sending` and
  // go again at the next start).
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace dondoc::daemon
