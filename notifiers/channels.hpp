// The channels of one configuration, built at start-up (and on reload): the file outbox
// always, SMTP when [channels.email] is set, an SMS gateway when [channels.sms] is set.
// A channel that is not configured is delivered to the outbox (DESIGN.md), and
// `dondoc simulate` uses the outbox only.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "notifiers/file_outbox.hpp"
#include "notifiers/sms_gateways.hpp"
#include "notifiers/smtp.hpp"

namespace boost::asio {
class io_context;
}

namespace dondoc::notifiers {

struct channel_options {
  bool outbox_only = false;     // simulate: never a configured server or gateway
  std::string outbox_dir;       // overrides channels.outbox.dir (simulate's temporary store)
  std::string ca_file;          // extra trusted CA for SMTP and gateways (tests)
};

class channel_set {
 public:
  // Reads every secret file and creates the outbox now: throws secret_error or
  // std::system_error naming the path (start-up lane).
  channel_set(boost::asio::io_context& io, const config::config& cfg, const channel_options& opts = {});
  ~channel_set();

  email_transport& email() { return smtp_ ? static_cast<email_transport&>(*smtp_) : *outbox_; }
  sms_transport& sms() { return sms_ ? static_cast<sms_transport&>(*sms_) : *outbox_; }
  file_outbox& outbox() { return *outbox_; }
  bool email_configured() const { return smtp_ != nullptr; }
  bool sms_configured() const { return sms_ != nullptr; }

  // Aborts in-flight sends (each completes with retry). Also run by the destructor.
  void shutdown();

 private:
  std::unique_ptr<file_outbox> outbox_;
  std::unique_ptr<smtp_transport> smtp_;
  std::unique_ptr<sms_gateway> sms_;
};

}  // namespace dondoc::notifiers
