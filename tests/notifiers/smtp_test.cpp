// SMTP against the local aiosmtpd sink: plain (loopback), STARTTLS with a self-signed
// certificate made by `openssl req` at test time, implicit TLS, AUTH; the received
// messages are read by Python's `email` package and compared exactly with what was
// composed. Failure classification: 4xx retry, 5xx permanent, dropped or down retry.
#include "notifiers/smtp.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "io_support.hpp"
#include "notifiers/compose.hpp"
#include "notifiers/secrets.hpp"
#include "test_support.hpp"

using namespace dondoc;
using namespace dondoc::notifiers;
using namespace std::chrono_literals;
using date::operator""_y;

namespace {

config::sys_seconds vn(date::year_month_day d, int h = 0, int m = 0) {
  return config::sys_seconds{date::sys_days{d}} + std::chrono::hours{h} + std::chrono::minutes{m} - std::chrono::hours{7};
}

// A real composed reminder for Sở Tài chính (Vietnamese subject and body).
std::pair<outgoing_email, composed_email> composed(const config::config& cfg, const std::string& key) {
  const auto* r = cfg.find_report("dan-van-6-thang");
  compose_input in;
  in.cfg = &cfg;
  in.report = r;
  in.occurrence = "dan-van-6-thang@2019-06-15";
  in.nominal = date::sys_days{2019_y / 6 / 15};
  in.last_day = date::sys_days{2019_y / 6 / 14};
  in.deadline = vn(2019_y / 6 / 15);
  in.unit = cfg.find_unit("so-tai-chinh");
  in.total_units = 2;
  in.recipient = cfg.find_contact("stc-binh");
  in.step = &r->reminders[0];
  in.reply_code = "ABC234";
  in.link = "https://dondoc.snv.example/a/tok123";
  in.reply_to = "dondoc-replies+tok123@snv.example";
  in.now = in.due = vn(2019_y / 6 / 11, 7, 30);
  in.key = key;
  auto body = compose_email(in);
  return {make_email(in, body), body};
}

struct tls_files {
  std::string cert, key;
};
tls_files make_cert(const test::temp_dir& dir) {
  tls_files f{dir / "cert.pem", dir / "key.pem"};
  int rc = -1;
  test::run("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
            "-addext subjectAltName=IP:127.0.0.1 -keyout " + f.key + " -out " + f.cert + " 2>/dev/null",
            &rc);
  REQUIRE(rc == 0);
  return f;
}

config::email_settings settings(int port, config::tls_mode tls, const std::string& scheme = "smtp") {
  config::email_settings s;
  s.url = scheme + "://127.0.0.1:" + std::to_string(port);
  s.from = "Sở Nội vụ tỉnh Quảng Ngãi <dondoc@snv.example>";
  s.tls = tls;
  s.concurrency = 4;
  s.timeout = std::chrono::seconds(10);
  return s;
}

// Sends `n` messages, returns their outcomes in order of submission.
std::vector<send_result> send_all(email_transport& t, boost::asio::io_context& io, std::vector<outgoing_email> msgs) {
  std::vector<std::optional<send_result>> got(msgs.size());
  for (std::size_t i = 0; i < msgs.size(); ++i) t.send(std::move(msgs[i]), [&got, i](send_result r) { got[i] = r; });
  test::run_until(io, [&] { return std::all_of(got.begin(), got.end(), [](auto& g) { return g.has_value(); }); }, 60s);
  std::vector<send_result> out;
  for (auto& g : got) {
    REQUIRE(g.has_value());
    out.push_back(*g);
  }
  return out;
}

nlohmann::json check(const std::string& eml) {
  int rc = -1;
  const std::string out = test::run("/usr/bin/python3 " + test::servers_dir() + "/check_email.py " + eml, &rc);
  REQUIRE(rc == 0);
  return nlohmann::json::parse(out);
}

std::string strip_cr(const std::string& s) {
  std::string o;
  for (char c : s)
    if (c != '\r') o.push_back(c);
  return o;
}

}  // namespace

TEST_CASE("plain SMTP on loopback delivers Vietnamese mail that Python's email package reads back exactly") {
  const auto cfg = test::load_roster();
  test::temp_dir tmp;
  auto sink = test::start_smtp(tmp / "in");
  boost::asio::io_context io;
  smtp_transport smtp(io, settings(sink->port(), config::tls_mode::none), tmp.str());
  auto [mail, body] = composed(*cfg, "aaaaaaaaaaaaaaaaaaaaaaaaaa");
  auto [mail2, body2] = composed(*cfg, "bbbbbbbbbbbbbbbbbbbbbbbbbb");
  const auto res = send_all(smtp, io, {mail, mail2});
  CHECK(res[0].kind == outcome::ok);
  CHECK(res[1].kind == outcome::ok);
  sink->stop();
  const auto lines = test::lines_of(test::slurp(tmp / "in/received.jsonl"));
  REQUIRE(lines.size() == 2);
  const auto rec = nlohmann::json::parse(lines[0]);
  CHECK(rec["mail_from"] == "dondoc@snv.example");
  CHECK(rec["rcpt_tos"] == nlohmann::json::array({"binh.tv@stc.example"}));
  const auto j = check(tmp / ("in/" + rec["file"].get<std::string>()));
  CAPTURE(j.dump());
  CHECK(j["subject"] == body.subject);
  CHECK(j["from_name"] == "Sở Nội vụ tỉnh Quảng Ngãi");
  CHECK(j["to_name"] == "Trần Văn Bình");
  CHECK(strip_cr(j["text"].get<std::string>()) == body.text);
  CHECK(strip_cr(j["html"].get<std::string>()) == body.html);
  CHECK(j["content_type"] == "multipart/alternative");
  CHECK(j["message_id"].get<std::string>().find("@snv.example>") != std::string::npos);
  CHECK_FALSE(j["in_reply_to"].is_null());
  CHECK(j["references"].get<std::string>().find("<t-") == 0);
  CHECK(j["auto_submitted"] == "auto-generated");
  CHECK(j["reply_to"].get<std::string>().find("dondoc-replies+tok123@snv.example") != std::string::npos);
  CHECK(j["x_dondoc_key"] == rec["key"]);
  CHECK(j["max_encoded_word"].get<int>() <= 75);
  CHECK(j["max_header_line"].get<int>() <= 78);
  CHECK(j["bare_lf"] == false);
  CHECK(j["defects"].empty());
}

TEST_CASE("STARTTLS with AUTH, trusting a self-signed certificate given as CA file") {
  const auto cfg = test::load_roster();
  test::temp_dir tmp;
  const auto tls = make_cert(tmp);
  test::write_file(tmp / "smtp-password", "s3cret-pass\n");
  auto sink = test::start_smtp(tmp / "in", {"--starttls", tls.cert, tls.key, "--auth", "dondoc:s3cret-pass"});
  boost::asio::io_context io;
  auto s = settings(sink->port(), config::tls_mode::starttls);
  s.username = "dondoc";
  s.password_file = "smtp-password";
  smtp_options o;
  o.ca_file = tls.cert;
  {
    smtp_transport smtp(io, s, tmp.str(), o);
    const auto res = send_all(smtp, io, {composed(*cfg, "aaaaaaaaaaaaaaaaaaaaaaaaaa").first});
    CHECK(res[0].kind == outcome::ok);
    CAPTURE(res[0].reason);
  }
  SUBCASE("without the CA file the certificate is refused: retry, the mail is not sent in clear") {
    smtp_transport smtp(io, s, tmp.str());
    const auto res = send_all(smtp, io, {composed(*cfg, "cccccccccccccccccccccccccc").first});
    CHECK(res[0].kind == outcome::retry);
  }
  SUBCASE("a wrong password retries (an operator's mistake fixed by a reload)") {
    test::write_file(tmp / "smtp-password", "wrong");
    smtp_transport smtp(io, s, tmp.str(), o);
    const auto res = send_all(smtp, io, {composed(*cfg, "dddddddddddddddddddddddddd").first});
    CHECK(res[0].kind == outcome::retry);
    CHECK(res[0].reason.find("authentication") != std::string::npos);
  }
  sink->stop();
  CHECK(test::lines_of(test::slurp(tmp / "in/received.jsonl")).size() == 1);
}

TEST_CASE("a server without STARTTLS is refused when TLS is required") {
  const auto cfg = test::load_roster();
  test::temp_dir tmp;
  auto sink = test::start_smtp(tmp / "in");
  boost::asio::io_context io;
  smtp_transport smtp(io, settings(sink->port(), config::tls_mode::starttls), tmp.str());
  const auto res = send_all(smtp, io, {composed(*cfg, "aaaaaaaaaaaaaaaaaaaaaaaaaa").first});
  CHECK(res[0].kind == outcome::retry);
  sink->stop();
  CHECK(test::slurp(tmp / "in/received.jsonl").empty());
}

TEST_CASE("implicit TLS on smtps://") {
  const auto cfg = test::load_roster();
  test::temp_dir tmp;
  const auto tls = make_cert(tmp);
  auto sink = test::start_smtp(tmp / "in", {"--implicit", tls.cert, tls.key});
  boost::asio::io_context io;
  smtp_options o;
  o.ca_file = tls.cert;
  smtp_transport smtp(io, settings(sink->port(), config::tls_mode::implicit, "smtps"), tmp.str(), o);
  const auto res = send_all(smtp, io, {composed(*cfg, "aaaaaaaaaaaaaaaaaaaaaaaaaa").first});
  CHECK(res[0].kind == outcome::ok);
  CAPTURE(res[0].reason);
}

TEST_CASE("failures are classified: 4xx retry, 5xx permanent, dropped or down retry") {
  const auto cfg = test::load_roster();
  test::temp_dir tmp;
  auto sink = test::start_smtp(tmp / "in", {"--mode-file", tmp / "mode"});
  boost::asio::io_context io;
  smtp_transport smtp(io, settings(sink->port(), config::tls_mode::none), tmp.str());
  struct row {
    const char* mode;
    outcome expected;
    const char* why;
  };
  const row rows[] = {
      {"4xx", outcome::retry, "451 at RCPT: the server may take it later"},
      {"5xx", outcome::permanent, "550 at RCPT: the mailbox does not exist"},
      {"4xx-data", outcome::retry, "451 after DATA"},
      {"5xx-data", outcome::permanent, "554 after DATA: rejected content"},
      {"drop", outcome::retry, "connection closed without an answer"},
      {"none", outcome::ok, "back to normal, on a fresh or reused connection"},
  };
  int k = 0;
  for (const auto& r : rows) {
    CAPTURE(r.why);
    test::write_file(tmp / "mode", r.mode);
    const auto res = send_all(smtp, io, {composed(*cfg, std::string(26, static_cast<char>('a' + k++))).first});
    CHECK(res[0].kind == r.expected);
    CAPTURE(res[0].reason);
  }
  sink->stop();
  {
    const auto res = send_all(smtp, io, {composed(*cfg, "zzzzzzzzzzzzzzzzzzzzzzzzzz").first});
    CHECK(res[0].kind == outcome::retry);  // server down
  }
  CHECK(test::lines_of(test::slurp(tmp / "in/received.jsonl")).size() == 1);
}

TEST_CASE("a missing password file is a start-up error naming the path") {
  test::temp_dir tmp;
  boost::asio::io_context io;
  auto s = settings(2525, config::tls_mode::starttls);
  s.username = "dondoc";
  s.password_file = "smtp-password";
  try {
    smtp_transport smtp(io, s, tmp.str());
    FAIL("expected secret_error");
  } catch (const secret_error& e) {
    CHECK(std::string(e.what()).find(tmp / "smtp-password") != std::string::npos);
  }
}

TEST_CASE("the classification table") {
  struct row {
    CURLcode code;
    long reply;
    outcome expected;
    const char* why;
  };
  const row rows[] = {
      {CURLE_OK, 250, outcome::ok, "accepted"},
      {CURLE_SEND_ERROR, 451, outcome::retry, "temporary failure"},
      {CURLE_SEND_ERROR, 452, outcome::retry, "mailbox full for now"},
      {CURLE_SEND_ERROR, 550, outcome::permanent, "no such user"},
      {CURLE_WEIRD_SERVER_REPLY, 554, outcome::permanent, "content rejected"},
      {CURLE_COULDNT_CONNECT, 0, outcome::retry, "server down"},
      {CURLE_OPERATION_TIMEDOUT, 250, outcome::retry, "timeout after a good reply"},
      {CURLE_LOGIN_DENIED, 535, outcome::retry, "bad password: operator fixes it"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    curl_result c;
    c.code = r.code;
    c.response_code = r.reply;
    CHECK(classify_smtp(c).kind == r.expected);
  }
}
