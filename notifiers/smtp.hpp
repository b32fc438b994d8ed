// Email over SMTP with libcurl: STARTTLS required on smtp:// (unless tls = "none", which
// the loader allows on loopback only), implicit TLS on smtps://, AUTH with the password
// read from the secrets directory. Classification: 2xx ok; 4xx and connection or
// timeout errors retry; 5xx permanent.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "notifiers/curl_multi.hpp"
#include "notifiers/notifier.hpp"

namespace boost::asio {
class io_context;
}

namespace dondoc::notifiers {

struct smtp_options {
  std::string ca_file;  // trust this CA bundle (tests: a self-signed certificate); empty: the system store
  std::chrono::milliseconds connect_timeout{10'000};
};

// The outcome of one SMTP transfer (exposed for tests).
send_result classify_smtp(const curl_result& r);

class smtp_transport final : public email_transport {
 public:
  // Reads the password file now: a missing or empty file throws secret_error naming the
  // path (a start-up error). Transfers run on `io`'s thread, at most
  // settings.concurrency at once, each bounded by settings.timeout.
  smtp_transport(boost::asio::io_context& io, const config::email_settings& settings, const std::string& secrets_dir,
                 smtp_options opts = {});
  ~smtp_transport() override;

  void send(outgoing_email msg, completion done) override;
  std::string name() const override { return "smtp"; }

  // Aborts running and queued sends; each completes with retry. Also run by the destructor.
  void shutdown();
  const curl_multi& engine() const { return multi_; }

 private:
  config::email_settings settings_;
  std::string password_;
  smtp_options opts_;
  curl_multi multi_;
  std::string last_failure_;  // logged once while it repeats
};

}  // namespace dondoc::notifiers
