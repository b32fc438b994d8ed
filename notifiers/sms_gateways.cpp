// SMS gateways over HTTP (eSMS, SpeedSMS, generic). Each message is one HTTP request
// through the gateway's own curl_multi (its concurrency and timeout from
// [channels.sms]); the answer is classified by the provider's rules. eSMS requests
// carry the row key as RequestId, so a retry after a lost answer is answered "124
// duplicate" and counted as sent: at-least-once without double delivery.
#include "notifiers/sms_gateways.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "config/values.hpp"
#include "notifiers/secrets.hpp"

namespace dondoc::notifiers {
namespace {

using namespace std::chrono_literals;

curl_multi::options engine_options(const config::sms_settings& s, const std::string& name, const gateway_options& o) {
  curl_multi::options m;
  m.name = name;
  m.concurrency = s.concurrency;
  m.total_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(s.timeout);
  m.connect_timeout = std::min(o.connect_timeout, m.total_timeout);
  m.max_body = 64 * 1024;
  return m;
}

std::string read_optional(const gateway_options& o, const std::string& file, const char* what) {
  return file.empty() ? std::string() : read_secret(o.secrets_dir, file, what);
}

slist_ptr append(slist_ptr l, const std::string& h) {
  curl_slist* n = curl_slist_append(l.get(), h.c_str());
  if (n == nullptr) throw std::bad_alloc();
  (void)l.release();
  return slist_ptr(n);
}

// A JSON field that may be a string or a number, as a string.
std::string field(const nlohmann::json& j, const char* name) {
  const auto it = j.find(name);
  if (it == j.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  return it->dump();
}

std::string url_escape(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string substitute(std::string_view tpl, const std::map<std::string, std::string, std::less<>>& v,
                       std::string (*escape)(std::string_view)) {
  std::string out;
  for (std::size_t i = 0; i < tpl.size();) {
    if (tpl[i] == '{') {
      const auto close = tpl.find('}', i);
      if (close != std::string_view::npos) {
        const auto it = v.find(tpl.substr(i + 1, close - i - 1));
        if (it != v.end()) {
          out += escape != nullptr ? escape(it->second) : it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out.push_back(tpl[i++]);
  }
  return out;
}

std::string no_escape(std::string_view s) { return std::string(s); }

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

std::string snippet(std::string_view body) {
  std::string s(body.substr(0, 120));
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '"') c = ' ';
  return s;
}

}  // namespace

std::string phone_local(std::string_view e164) {
  if (e164.size() > 3 && e164.substr(0, 3) == "+84") return "0" + std::string(e164.substr(3));
  return std::string(e164);
}

std::string phone_international(std::string_view e164) {
  if (!e164.empty() && e164.front() == '+') return std::string(e164.substr(1));
  return std::string(e164);
}

std::string json_escape(std::string_view s) {
  const std::string d = nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return d.substr(1, d.size() - 2);
}

std::optional<send_result> classify_http_status(const curl_result& r) {
  send_result out;
  if (r.cancelled) {
    out.kind = outcome::retry;
    out.reason = "shutdown";
    return out;
  }
  if (r.code != CURLE_OK) {
    // Timeouts, refused or dropped connections, TLS failures: the gateway may take it later.
    out.kind = outcome::retry;
    out.reason = r.error.empty() ? curl_easy_strerror(r.code) : r.error;
    return out;
  }
  const long s = r.response_code;
  if (s >= 200 && s < 300) return std::nullopt;
  out.reason = "HTTP " + std::to_string(s);
  if (s >= 500 || s == 429 || s == 408) out.kind = outcome::retry;
  else out.kind = outcome::permanent;
  if (!r.body.empty()) out.reason += ": " + snippet(r.body);
  return out;
}

// ---- base ---------------------------------------------------------------------------

sms_gateway::sms_gateway(boost::asio::io_context& io, const config::sms_settings& s, std::string name,
                         const gateway_options& o)
    : settings_(s), opts_(o), name_(std::move(name)), multi_(io, engine_options(s, name_, o)) {}

sms_gateway::~sms_gateway() { shutdown(); }

void sms_gateway::shutdown() { multi_.shutdown(); }

void sms_gateway::common(CURL* e) const {
  if (!opts_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, opts_.ca_file.c_str());
  curl_easy_setopt(e, CURLOPT_USERAGENT, "dondoc");
}

void sms_gateway::send(outgoing_sms msg, completion done) {
  curl_request req;
  try {
    req = build(msg);
  } catch (const std::exception& ex) {
    send_result res;
    res.kind = outcome::retry;
    res.reason = std::string("cannot build the request: ") + ex.what();
    if (done) done(std::move(res));
    return;
  }
  multi_.submit(std::move(req), [this, meta = std::move(msg.meta), to = config::mask_phone(msg.to),
                                 done = std::move(done)](curl_result r) {
    // A cancelled transfer is not read by the provider: shutdown runs from the base
    // destructor, when the derived part (and its classify) is already gone.
    send_result res;
    if (r.cancelled) {
      res.kind = outcome::retry;
      res.reason = "shutdown";
    } else {
      res = classify(r);
    }
    const char* kind = res.kind == outcome::ok ? "ok" : res.kind == outcome::retry ? "retry" : "permanent";
    if (res.kind == outcome::ok) {
      if (!last_failure_.empty()) spdlog::info("sms gateway accepts again provider={}", name_);
      last_failure_.clear();
      spdlog::debug("sms sent key={} to={} provider={} id={} ms={}", meta.key, to, name_, res.provider_id,
                    r.elapsed.count());
    } else if (res.reason != last_failure_) {
      last_failure_ = res.reason;
      spdlog::warn("sms not sent key={} to={} provider={} outcome={} reason=\"{}\"", meta.key, to, name_, kind,
                   res.reason);
    } else {
      spdlog::debug("sms not sent key={} to={} provider={} outcome={} (same failure)", meta.key, to, name_, kind);
    }
    if (done) done(std::move(res));
  });
}

// ---- eSMS ---------------------------------------------------------------------------

esms_gateway::esms_gateway(boost::asio::io_context& io, const config::sms_settings& s, const gateway_options& o)
    : sms_gateway(io, s, "esms", o),
      api_key_(read_secret(o.secrets_dir, s.api_key_file, "[channels.sms] api_key_file")),
      secret_key_(read_secret(o.secrets_dir, s.secret_key_file, "[channels.sms] secret_key_file")) {}

std::string esms_gateway::payload(const outgoing_sms& msg) const {
  nlohmann::ordered_json j;
  j["ApiKey"] = api_key_;
  j["SecretKey"] = secret_key_;
  j["Phone"] = phone_local(msg.to);
  j["Content"] = msg.text;
  if (!settings_.brandname.empty()) j["Brandname"] = settings_.brandname;
  j["SmsType"] = settings_.sms_type.empty() ? "2" : settings_.sms_type;
  j["IsUnicode"] = "0";
  j["Sandbox"] = settings_.sandbox ? "1" : "0";
  j["RequestId"] = msg.meta.key.substr(0, 50);
  if (!opts_.public_url.empty()) {
    std::string base = opts_.public_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    j["CallbackUrl"] = base + "/hooks/sms/esms";
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

curl_request esms_gateway::build(const outgoing_sms& msg) const {
  curl_request req;
  req.easy = make_easy();
  common(req.easy.get());
  curl_easy_setopt(req.easy.get(), CURLOPT_URL, settings_.url.c_str());
  req.headers = append(nullptr, "Content-Type: application/json");
  req.headers = append(std::move(req.headers), "Accept: application/json");
  req.post_body = payload(msg);
  return req;
}

send_result esms_gateway::classify(const curl_result& r) const {
  if (auto h = classify_http_status(r)) return *h;
  send_result out;
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    // The request may have been accepted; RequestId makes the retry safe (124).
    out.kind = outcome::retry;
    out.reason = "eSMS answer is not JSON: " + snippet(r.body);
    return out;
  }
  const std::string code = field(j, "CodeResult");
  const std::string err = field(j, "ErrorMessage");
  out.provider_id = field(j, "SMSID");
  if (code == "100") {
    out.kind = outcome::ok;
  } else if (code == "124") {
    out.kind = outcome::ok;
    out.reason = "duplicate RequestId: already accepted";
  } else if (code == "103") {
    out.kind = outcome::retry;
    out.retry_after = std::chrono::seconds(3600);
    out.reason = "eSMS CodeResult 103: the account has no balance";
    spdlog::error("eSMS account has no balance; SMS wait until it is topped up (CodeResult 103)");
  } else {
    out.kind = outcome::permanent;
    out.reason = "eSMS CodeResult " + (code.empty() ? std::string("missing") : code) + (err.empty() ? "" : ": " + err);
  }
  return out;
}

// ---- SpeedSMS -----------------------------------------------------------------------

speedsms_gateway::speedsms_gateway(boost::asio::io_context& io, const config::sms_settings& s,
                                   const gateway_options& o)
    : sms_gateway(io, s, "speedsms", o),
      token_(read_secret(o.secrets_dir, s.api_key_file, "[channels.sms] api_key_file")) {}

std::string speedsms_gateway::payload(const outgoing_sms& msg) const {
  nlohmann::ordered_json j;
  j["to"] = nlohmann::json::array({phone_international(msg.to)});
  j["content"] = msg.text;
  std::int64_t type = 8;
  try {
    if (!settings_.sms_type.empty()) type = std::stoll(settings_.sms_type);
  } catch (...) {
  }
  j["sms_type"] = type;
  j["sender"] = settings_.brandname.empty() ? settings_.reply_number : settings_.brandname;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

curl_request speedsms_gateway::build(const outgoing_sms& msg) const {
  curl_request req;
  req.easy = make_easy();
  CURL* e = req.easy.get();
  common(e);
  curl_easy_setopt(e, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
  curl_easy_setopt(e, CURLOPT_USERNAME, token_.c_str());
  curl_easy_setopt(e, CURLOPT_PASSWORD, "x");
  req.headers = append(nullptr, "Content-Type: application/json");
  req.post_body = payload(msg);
  return req;
}

send_result speedsms_gateway::classify(const curl_result& r) const {
  if (auto h = classify_http_status(r)) return *h;
  send_result out;
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    out.kind = outcome::retry;
    out.reason = "SpeedSMS answer is not JSON: " + snippet(r.body);
    return out;
  }
  const std::string status = field(j, "status");
  const std::string code = field(j, "code");
  if (status == "success" && (code == "00" || code.empty())) {
    out.kind = outcome::ok;
    if (const auto d = j.find("data"); d != j.end() && d->is_object()) out.provider_id = field(*d, "tranId");
    return out;
  }
  const std::string message = field(j, "message");
  out.reason = "SpeedSMS status " + status + " code " + code + (message.empty() ? "" : ": " + message);
  if (code == "300") {
    out.kind = outcome::retry;
    out.retry_after = std::chrono::seconds(3600);
    spdlog::error("SpeedSMS account has not enough balance; SMS wait until it is topped up (code 300)");
  } else if (code == "500") {
    out.kind = outcome::retry;
  } else {
    out.kind = outcome::permanent;
  }
  return out;
}

// ---- generic HTTP -------------------------------------------------------------------

http_gateway::http_gateway(boost::asio::io_context& io, const config::sms_settings& s, const gateway_options& o)
    : sms_gateway(io, s, "http", o),
      api_key_(read_optional(o, s.api_key_file, "[channels.sms] api_key_file")),
      secret_key_(read_optional(o, s.secret_key_file, "[channels.sms] secret_key_file")) {
  bool has_content_type = false;
  for (const auto& [k, v] : s.headers) {
    if (!iequals_prefix(k, "content-type")) continue;
    has_content_type = true;
    if (v.find("json") != std::string::npos) json_ = true;
    if (v.find("x-www-form-urlencoded") != std::string::npos) form_ = true;
  }
  const auto first = s.body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (s.body[first] == '{' || s.body[first] == '[')) json_ = true;
  if (json_) form_ = false;
  else if (!has_content_type) form_ = true;  // sent as application/x-www-form-urlencoded
  if (!s.ok_match.empty()) ok_match_.emplace(s.ok_match);
}

std::string http_gateway::render_body(const outgoing_sms& msg) const {
  std::map<std::string, std::string, std::less<>> v{{"to", msg.to},          {"to_local", phone_local(msg.to)},
                                                    {"text", msg.text},      {"key", msg.meta.key}};
  if (!api_key_.empty()) v["api_key"] = api_key_;
  if (!secret_key_.empty()) v["secret_key"] = secret_key_;
  return substitute(settings_.body, v, json_ ? &json_escape : form_ ? &url_escape : &no_escape);
}

curl_request http_gateway::build(const outgoing_sms& msg) const {
  curl_request req;
  req.easy = make_easy();
  CURL* e = req.easy.get();
  common(e);
  std::map<std::string, std::string, std::less<>> v{{"to", msg.to}, {"to_local", phone_local(msg.to)},
                                                    {"text", msg.text}, {"key", msg.meta.key}};
  if (!api_key_.empty()) v["api_key"] = api_key_;
  if (!secret_key_.empty()) v["secret_key"] = secret_key_;
  const std::string url = substitute(settings_.url, v, &url_escape);
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());  // curl copies option strings
  slist_ptr headers;
  bool has_content_type = false;
  for (const auto& [k, val] : settings_.headers) {
    if (iequals_prefix(k, "content-type")) has_content_type = true;
    headers = append(std::move(headers), k + ": " + substitute(val, v, &no_escape));
  }
  if (settings_.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    if (!has_content_type)
      headers = append(std::move(headers), json_ ? "Content-Type: application/json"
                                                 : "Content-Type: application/x-www-form-urlencoded");
    req.post_body = render_body(msg);
    if (settings_.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, settings_.method.c_str());
  }
  req.headers = std::move(headers);
  return req;
}

send_result http_gateway::classify(const curl_result& r) const {
  if (auto h = classify_http_status(r)) return *h;
  send_result out;
  if (ok_match_ && !std::regex_search(r.body, *ok_match_)) {
    out.kind = outcome::permanent;
    out.reason = "answer does not match ok_match: " + snippet(r.body);
    return out;
  }
  out.kind = outcome::ok;
  return out;
}

std::unique_ptr<sms_gateway> make_sms_gateway(boost::asio::io_context& io, const config::sms_settings& s,
                                              const gateway_options& o) {
  switch (s.provider) {
    case config::sms_provider::esms: return std::make_unique<esms_gateway>(io, s, o);
    case config::sms_provider::speedsms: return std::make_unique<speedsms_gateway>(io, s, o);
    case config::sms_provider::http: return std::make_unique<http_gateway>(io, s, o);
  }
  return nullptr;
}

}  // namespace dondoc::notifiers
