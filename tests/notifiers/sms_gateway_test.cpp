// SMS gateways against the local test gateway: the payloads eSMS, SpeedSMS and a
// generic provider receive, and how their answers, errors, slow answers and dropped
// connections are classified.
#include "notifiers/sms_gateways.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "io_support.hpp"
#include "notifiers/secrets.hpp"
#include "notifiers/sms_text.hpp"
#include "test_support.hpp"
#include "text/text.hpp"

using namespace dondoc;
using namespace dondoc::notifiers;
using namespace std::chrono_literals;

namespace {

struct env {
  test::temp_dir tmp;
  std::unique_ptr<test::server_process> gw;
  boost::asio::io_context io;
  gateway_options opts;

  explicit env(std::vector<std::string> extra = {}) {
    test::write_file(tmp / "api-key", "APIKEY123\n");
    test::write_file(tmp / "secret-key", "SECRET456\n");
    extra.push_back("--mode-file");
    extra.push_back(tmp / "mode");
    extra.push_back("--slow-seconds");
    extra.push_back("3");
    gw = test::start_gateway(tmp / "gw.jsonl", extra);
    opts.secrets_dir = tmp.str();
    opts.public_url = "https://dondoc.snv.example/";
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(gw->port()); }
  void mode(const std::string& m) { test::write_file(tmp / "mode", m); }
  std::vector<nlohmann::json> requests() const {
    std::vector<nlohmann::json> out;
    for (const auto& l : test::lines_of(test::slurp(tmp / "gw.jsonl"))) out.push_back(nlohmann::json::parse(l));
    return out;
  }
  send_result send(sms_transport& t, outgoing_sms m) {
    std::optional<send_result> got;
    t.send(std::move(m), [&](send_result r) { got = r; });
    REQUIRE(test::run_until(io, [&] { return got.has_value(); }, 20s));
    return *got;
  }
};

outgoing_sms sms(const std::string& key, std::string text = {}) {
  outgoing_sms m;
  m.meta.key = key;
  m.meta.kind = "reminder";
  m.to = "+84912000002";
  m.text = text.empty() ? "Nhac han: So Tai chinh nop BC 6 thang KL43 truoc 15/06/2019. Tra loi DA NHAN ABC234 gui 8077"
                        : std::move(text);
  m.segments = sms_segments(m.text.size());
  return m;
}

config::sms_settings esms_settings(const env& e) {
  config::sms_settings s;
  s.provider = config::sms_provider::esms;
  s.url = e.base() + "/MainService.svc/json/SendMultipleMessage_V4_post_json/";
  s.api_key_file = "api-key";
  s.secret_key_file = "secret-key";
  s.brandname = "SNV-QNGAI";
  s.sms_type = "2";
  s.reply_number = "8077";
  s.timeout = std::chrono::seconds(1);
  return s;
}

}  // namespace

TEST_CASE("eSMS receives the fields it documents, and its codes are classified") {
  env e;
  auto gw = std::make_unique<esms_gateway>(e.io, esms_settings(e), e.opts);
  const auto ok = e.send(*gw, sms("aaaaaaaaaaaaaaaaaaaaaaaaaa"));
  CHECK(ok.kind == outcome::ok);
  CHECK(ok.provider_id == "test-000001");
  const auto req = e.requests().at(0);
  const auto& b = req["body"];
  CHECK(req["headers"]["content-type"] == "application/json");
  CHECK(b["ApiKey"] == "APIKEY123");
  CHECK(b["SecretKey"] == "SECRET456");
  CHECK(b["Phone"] == "0912000002");
  CHECK(b["Content"] == sms("x").text);
  CHECK(b["Brandname"] == "SNV-QNGAI");
  CHECK(b["SmsType"] == "2");
  CHECK(b["IsUnicode"] == "0");
  CHECK(b["Sandbox"] == "0");
  CHECK(b["RequestId"] == "aaaaaaaaaaaaaaaaaaaaaaaaaa");
  CHECK(b["CallbackUrl"] == "https://dondoc.snv.example/hooks/sms/esms");
  const std::string content = b["Content"];
  CHECK(text::gsm_safe(content));
  CHECK(content.size() <= 160);

  // The same key again: eSMS answers 124 (duplicate RequestId): already accepted, ok.
  const auto dup = e.send(*gw, sms("aaaaaaaaaaaaaaaaaaaaaaaaaa"));
  CHECK(dup.kind == outcome::ok);

  struct row {
    const char* mode;
    outcome expected;
    const char* why;
  };
  const row rows[] = {
      {"code:103", outcome::retry, "no balance: retry much later"},
      {"code:99", outcome::permanent, "invalid request"},
      {"code:101", outcome::permanent, "wrong API key"},
      {"code:104", outcome::permanent, "brandname not registered"},
      {"code:108", outcome::permanent, "bad phone number"},
      {"code:146", outcome::permanent, "text does not match a registered template"},
      {"500", outcome::retry, "gateway error"},
      {"429", outcome::retry, "rate limited"},
      {"400", outcome::permanent, "malformed request"},
      {"slow", outcome::retry, "no answer within the timeout"},
      {"drop", outcome::retry, "connection closed without an answer"},
  };
  int k = 0;
  for (const auto& r : rows) {
    CAPTURE(r.why);
    e.mode(r.mode);
    const auto res = e.send(*gw, sms("row" + std::to_string(k++)));
    CHECK(res.kind == r.expected);
    CAPTURE(res.reason);
    if (std::string(r.mode) == "code:103") {
      REQUIRE(res.retry_after.has_value());
      CHECK(*res.retry_after >= std::chrono::seconds(1800));
    }
  }
  e.mode("500-half");
  int ok_count = 0, retry_count = 0;
  for (int i = 0; i < 4; ++i) {
    const auto res = e.send(*gw, sms("half" + std::to_string(i)));
    (res.kind == outcome::ok ? ok_count : retry_count)++;
  }
  CHECK(ok_count == 2);
  CHECK(retry_count == 2);
}

TEST_CASE("SpeedSMS gets Basic token:x, the international number and its JSON fields") {
  env e;
  config::sms_settings s;
  s.provider = config::sms_provider::speedsms;
  s.url = e.base() + "/index.php/sms/send";
  s.api_key_file = "api-key";
  s.sms_type = "8";
  s.reply_number = "8077";
  s.timeout = std::chrono::seconds(2);
  speedsms_gateway gw(e.io, s, e.opts);
  const auto ok = e.send(gw, sms("aaaaaaaaaaaaaaaaaaaaaaaaaa"));
  CHECK(ok.kind == outcome::ok);
  const auto req = e.requests().at(0);
  CHECK(req["headers"]["authorization"] == "Basic QVBJS0VZMTIzOng=");  // APIKEY123:x
  CHECK(req["body"]["to"] == nlohmann::json::array({"84912000002"}));
  CHECK(req["body"]["content"] == sms("x").text);
  CHECK(req["body"]["sms_type"] == 8);
  CHECK(req["body"]["sender"] == "8077");
  e.mode("code:300");
  CHECK(e.send(gw, sms("b")).kind == outcome::retry);
  e.mode("code:105");
  CHECK(e.send(gw, sms("c")).kind == outcome::permanent);
  e.mode("drop");
  CHECK(e.send(gw, sms("d")).kind == outcome::retry);
}

TEST_CASE("the generic provider fills its JSON body template, escaped") {
  env e;
  config::sms_settings s;
  s.provider = config::sms_provider::http;
  s.url = e.base() + "/api/send";
  s.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer {api_key}"}};
  s.api_key_file = "api-key";
  s.body = R"({"to":"{to}","local":"{to_local}","text":"{text}","id":"{key}"})";
  s.timeout = std::chrono::seconds(1);
  http_gateway gw(e.io, s, e.opts);
  const std::string text = "Nhac \"han\": So Tai chinh";
  CHECK(e.send(gw, sms("aaaaaaaaaaaaaaaaaaaaaaaaaa", text)).kind == outcome::ok);
  const auto req = e.requests().at(0);
  CHECK(req["path"] == "/api/send");
  CHECK(req["headers"]["authorization"] == "Bearer APIKEY123");
  CHECK(req["body"]["to"] == "+84912000002");
  CHECK(req["body"]["local"] == "0912000002");
  CHECK(req["body"]["text"] == text);
  CHECK(req["body"]["id"] == "aaaaaaaaaaaaaaaaaaaaaaaaaa");
  e.mode("500");
  CHECK(e.send(gw, sms("b")).kind == outcome::retry);
  e.mode("400");
  CHECK(e.send(gw, sms("c")).kind == outcome::permanent);
  e.mode("slow");
  CHECK(e.send(gw, sms("d")).kind == outcome::retry);
}

TEST_CASE("the generic provider: form bodies are URL-escaped and ok_match decides a 2xx") {
  env e;
  config::sms_settings s;
  s.provider = config::sms_provider::http;
  s.url = e.base() + "/form";
  s.body = "to={to}&text={text}";
  s.ok_match = R"("ok":\s*true)";
  s.timeout = std::chrono::seconds(2);
  http_gateway gw(e.io, s, e.opts);
  CHECK(e.send(gw, sms("k1", "a b&c=d")).kind == outcome::ok);
  const auto req = e.requests().at(0);
  CHECK(req["headers"]["content-type"] == "application/x-www-form-urlencoded");
  CHECK(req["body"] == "to=%2B84912000002&text=a%20b%26c%3Dd");
  e.mode("code:42");  // 200 {"ok": false, …}
  const auto r = e.send(gw, sms("k2"));
  CHECK(r.kind == outcome::permanent);
  CHECK(r.reason.find("ok_match") != std::string::npos);
}

TEST_CASE("a missing key file is a start-up error naming the path") {
  test::temp_dir tmp;
  boost::asio::io_context io;
  config::sms_settings s;
  s.provider = config::sms_provider::esms;
  s.url = "http://127.0.0.1:9/";
  s.api_key_file = "esms-api-key";
  s.secret_key_file = "esms-secret-key";
  gateway_options o;
  o.secrets_dir = tmp.str();
  try {
    auto gw = make_sms_gateway(io, s, o);
    FAIL("expected secret_error");
  } catch (const secret_error& ex) {
    CHECK(std::string(ex.what()).find(tmp / "esms-api-key") != std::string::npos);
  }
}

TEST_CASE("phone forms for the gateways") {
  CHECK(phone_local("+84912000002") == "0912000002");
  CHECK(phone_international("+84912000002") == "84912000002");
  CHECK(json_escape("a\"b\\c\n") == "a\\\"b\\\\c\\n");
}
