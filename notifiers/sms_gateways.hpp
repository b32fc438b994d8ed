// SMS over HTTP gateways: eSMS.vn, SpeedSMS, and a generic configurable HTTP provider
// for contracts with VNPT, Viettel, FPT and others. Each gateway classifies its own
// answers into ok / retry / permanent; phone numbers are masked in every log line.
//
// Phone forms: eSMS gets the local form 0xxxxxxxxx (the form its examples use; it also
// accepts 84xxxxxxxxx), SpeedSMS the international form without "+" (84xxxxxxxxx), the
// http provider {to} = E.164 (+84…) and {to_local} = 0xxxxxxxxx.
#pragma once

#include <memory>
#include <regex>
#include <string>

#include "config/config.hpp"
#include "notifiers/curl_multi.hpp"
#include "notifiers/notifier.hpp"

namespace boost::asio {
class io_context;
}

namespace dondoc::notifiers {

struct gateway_options {
  std::string secrets_dir;  // where api_key_file / secret_key_file are read
  std::string public_url;   // service.public_url: eSMS CallbackUrl = public_url + "/hooks/sms/esms"
  std::string ca_file;      // trust this CA bundle; empty: the system store
  std::chrono::milliseconds connect_timeout{10'000};
};

// "+84912000002" -> "0912000002" / "84912000002" (other input is returned unchanged).
std::string phone_local(std::string_view e164);
std::string phone_international(std::string_view e164);
// JSON string escaping (without the quotes).
std::string json_escape(std::string_view s);

// Shared HTTP rules: transport errors, 5xx and 429 retry; other non-2xx permanent.
// Returns nullopt for a 2xx, which the provider then reads.
std::optional<send_result> classify_http_status(const curl_result& r);

class sms_gateway : public sms_transport {
 public:
  ~sms_gateway() override;
  void send(outgoing_sms msg, completion done) override;
  std::string name() const override { return name_; }
  // Aborts running and queued sends; each completes with retry. Also run by the destructor.
  void shutdown();
  const curl_multi& engine() const { return multi_; }

  // The request for one message, and the reading of its answer (exposed for tests).
  virtual curl_request build(const outgoing_sms& msg) const = 0;
  virtual send_result classify(const curl_result& r) const = 0;

 protected:
  sms_gateway(boost::asio::io_context& io, const config::sms_settings& s, std::string name, const gateway_options& o);
  void common(CURL* e) const;  // URL-independent options (CA file…)

  config::sms_settings settings_;
  gateway_options opts_;

 private:
  std::string name_;
  curl_multi multi_;
  std::string last_failure_;
};

// eSMS.vn SendMultipleMessage_V4_post_json. CodeResult 100 ok; 124 (duplicate RequestId:
// this key was already accepted) ok; 103 (no balance) retry in an hour, logged as an
// error; any other code permanent (99 invalid, 101 wrong key, 104 brandname, 108 bad
// number, 146 template mismatch…).
class esms_gateway final : public sms_gateway {
 public:
  esms_gateway(boost::asio::io_context& io, const config::sms_settings& s, const gateway_options& o);
  curl_request build(const outgoing_sms& msg) const override;
  send_result classify(const curl_result& r) const override;
  std::string payload(const outgoing_sms& msg) const;

 private:
  std::string api_key_, secret_key_;
};

// SpeedSMS /index.php/sms/send, HTTP Basic "token:x". {"status":"success","code":"00"}
// ok; code 300 (not enough balance, as SpeedSMS documents it) retry in an hour; other
// error codes permanent.
class speedsms_gateway final : public sms_gateway {
 public:
  speedsms_gateway(boost::asio::io_context& io, const config::sms_settings& s, const gateway_options& o);
  curl_request build(const outgoing_sms& msg) const override;
  send_result classify(const curl_result& r) const override;
  std::string payload(const outgoing_sms& msg) const;

 private:
  std::string token_;
};

// Generic HTTP: url, method, headers, body template with {to} {to_local} {text} {key}
// (and {api_key} {secret_key} when those files are configured), JSON-escaped in a JSON
// body (Content-Type …json, or a body starting with "{"), URL-escaped in a form body
// (x-www-form-urlencoded, the default without a Content-Type) and in the url. Any
// 2xx is ok unless ok_match is set, then the answer must match it (else permanent).
class http_gateway final : public sms_gateway {
 public:
  http_gateway(boost::asio::io_context& io, const config::sms_settings& s, const gateway_options& o);
  curl_request build(const outgoing_sms& msg) const override;
  send_result classify(const curl_result& r) const override;
  std::string render_body(const outgoing_sms& msg) const;

 private:
  std::string api_key_, secret_key_;
  bool json_ = false;
  bool form_ = false;  // application/x-www-form-urlencoded: values URL-escaped
  std::optional<std::regex> ok_match_;
};

// The gateway for `s.provider`. Reads its secret files now (secret_error on failure).
std::unique_ptr<sms_gateway> make_sms_gateway(boost::asio::io_context& io, const config::sms_settings& s,
                                              const gateway_options& o);

}  // namespace dondoc::notifiers
