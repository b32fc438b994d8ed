// SMTP sends through the curl_multi engine. Each message is one transfer: MAIL FROM,
// RCPT TO, DATA streamed from memory; connections stay in the engine's cache, so a
// burst of reminders reuses a few authenticated sessions instead of one per message.
//
// Why a failed AUTH (535) retries although it is a 5xx: it is the operator's mistake
// (a wrong or rotated password) and affects every message alike; failing them all
// permanently would lose the reminders, while retrying lets a fixed secret and a reload
// deliver them. It is logged as an error so the journal shows it at once.
#include "notifiers/smtp.hpp"

#include <spdlog/spdlog.h>

#include "config/values.hpp"
#include "notifiers/secrets.hpp"

namespace dondoc::notifiers {
namespace {

std::string bracket(const std::string& addr) {
  std::string out;
  out.reserve(addr.size() + 2);
  out.push_back('<');
  out += addr;
  out.push_back('>');
  return out;
}

curl_multi::options engine_options(const config::email_settings& s, const smtp_options& o) {
  curl_multi::options m;
  m.name = "smtp";
  m.concurrency = s.concurrency;
  m.total_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(s.timeout);
  m.connect_timeout = std::min(o.connect_timeout, m.total_timeout);
  return m;
}

}  // namespace

send_result classify_smtp(const curl_result& r) {
  send_result out;
  if (r.code == CURLE_OK) {
    out.kind = outcome::ok;
    return out;
  }
  const long c = r.response_code;
  if (r.cancelled) {
    out.kind = outcome::retry;
    out.reason = "shutdown";
    return out;
  }
  if (r.code == CURLE_LOGIN_DENIED) {
    out.kind = outcome::retry;
    out.reason = "SMTP authentication failed (" + std::to_string(c) + "): check the password file";
    return out;
  }
  if (c >= 500 && c < 600) {
    out.kind = outcome::permanent;
    out.reason = "SMTP " + std::to_string(c) + ": " + r.error;
    return out;
  }
  out.kind = outcome::retry;
  out.reason = c >= 400 && c < 500 ? "SMTP " + std::to_string(c) + ": " + r.error : r.error;
  return out;
}

smtp_transport::smtp_transport(boost::asio::io_context& io, const config::email_settings& settings,
                               const std::string& secrets_dir, smtp_options opts)
    : settings_(settings),
      password_(settings.username.empty() && settings.password_file.empty()
                    ? std::string()
                    : read_secret(secrets_dir, settings.password_file, "[channels.email] password_file")),
      opts_(std::move(opts)),
      multi_(io, engine_options(settings, opts_)) {}

smtp_transport::~smtp_transport() { shutdown(); }

void smtp_transport::shutdown() { multi_.shutdown(); }

void smtp_transport::send(outgoing_email msg, completion done) {
  curl_request req;
  req.easy = make_easy();
  CURL* e = req.easy.get();
  curl_easy_setopt(e, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(e, CURLOPT_MAIL_FROM, bracket(msg.envelope_from).c_str());
  switch (settings_.tls) {
    case config::tls_mode::starttls:
    case config::tls_mode::implicit:
      curl_easy_setopt(e, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
      break;
    case config::tls_mode::none:
      curl_easy_setopt(e, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_NONE));
      break;
  }
  if (!opts_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, opts_.ca_file.c_str());
  if (!settings_.username.empty()) {
    curl_easy_setopt(e, CURLOPT_USERNAME, settings_.username.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, password_.c_str());
  }
  req.mail_rcpt.reset(curl_slist_append(nullptr, bracket(msg.rcpt).c_str()));
  req.upload = std::move(msg.data);
  multi_.submit(std::move(req), [this, meta = std::move(msg.meta), done = std::move(done)](curl_result r) {
    send_result res = classify_smtp(r);
    if (res.kind == outcome::ok) {
      if (!last_failure_.empty()) spdlog::info("smtp sends again after failures");
      last_failure_.clear();
      spdlog::debug("email sent key={} contact={} ms={}", meta.key, meta.contact, r.elapsed.count());
    } else if (res.reason != last_failure_) {
      last_failure_ = res.reason;
      const bool config_problem = r.code == CURLE_LOGIN_DENIED || r.code == CURLE_USE_SSL_FAILED ||
                                  r.code == CURLE_PEER_FAILED_VERIFICATION || r.code == CURLE_SSL_CACERT_BADFILE;
      const auto level = config_problem ? spdlog::level::err : spdlog::level::warn;
      spdlog::log(level, "email not sent key={} contact={} outcome={} reason=\"{}\"", meta.key, meta.contact,
                  res.kind == outcome::retry ? "retry" : "permanent", res.reason);
    } else {
      spdlog::debug("email not sent key={} (same failure) reason=\"{}\"", meta.key, res.reason);
    }
    if (done) done(std::move(res));
  });
}

}  // namespace dondoc::notifiers
