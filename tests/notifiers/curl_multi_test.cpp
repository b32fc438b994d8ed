// The curl multi engine on one io_context thread, against the local gateway: hundreds
// of concurrent transfers, the concurrency limit, timeouts, refused connections, and
// shutdown with transfers in flight.
#include "notifiers/curl_multi.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "io_support.hpp"
#include "test_support.hpp"

using namespace dondoc;
using namespace dondoc::notifiers;
using namespace std::chrono_literals;

namespace {

curl_request get(const std::string& url) {
  curl_request r;
  r.easy = make_easy();
  curl_easy_setopt(r.easy.get(), CURLOPT_URL, url.c_str());
  return r;
}

curl_request post(const std::string& url, std::string body) {
  curl_request r = get(url);
  r.post_body = std::move(body);
  r.headers.reset(curl_slist_append(nullptr, "Content-Type: application/json"));
  return r;
}

int free_port() {
  // A port nobody listens on: bind, read the number, close.
  int rc = 0;
  const std::string out = test::run(
      "/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); "
      "print(s.getsockname()[1]); s.close()'",
      &rc);
  return std::atoi(out.c_str());
}

}  // namespace

TEST_CASE("hundreds of concurrent requests complete on one thread within the concurrency limit") {
  test::temp_dir tmp;
  auto gw = test::start_gateway(tmp / "gw.jsonl");
  const std::string base = "http://127.0.0.1:" + std::to_string(gw->port());
  boost::asio::io_context io;
  curl_multi::options o;
  o.name = "test";
  o.concurrency = 48;
  curl_multi engine(io, o);
  constexpr int n = 400;
  int done = 0, ok = 0;
  std::size_t max_running = 0;
  for (int i = 0; i < n; ++i) {
    engine.submit(post(base + "/generic", "{\"i\":" + std::to_string(i) + "}"), [&](curl_result r) {
      ++done;
      if (r.code == CURLE_OK && r.response_code == 200 && r.body.find("\"ok\": true") != std::string::npos) ++ok;
      max_running = std::max(max_running, engine.running());
    });
    max_running = std::max(max_running, engine.running());
  }
  CHECK(engine.queued() == static_cast<std::size_t>(n - 48));
  REQUIRE(test::run_until(io, [&] { return done == n; }, 60s));
  CHECK(ok == n);
  CHECK(max_running <= 48);
  CHECK(engine.running() == 0);
  CHECK(engine.queued() == 0);
  CHECK(engine.sockets() <= 48);  // idle connections kept for reuse, never more than the limit
  gw->stop();
  CHECK(test::lines_of(test::slurp(tmp / "gw.jsonl")).size() == static_cast<std::size_t>(n));
}

TEST_CASE("connections are reused between transfers") {
  test::temp_dir tmp;
  auto gw = test::start_gateway(tmp / "gw.jsonl");
  const std::string url = "http://127.0.0.1:" + std::to_string(gw->port()) + "/generic";
  boost::asio::io_context io;
  curl_multi::options o;
  o.concurrency = 1;
  curl_multi engine(io, o);
  int done = 0;
  for (int i = 0; i < 20; ++i) {
    engine.submit(get(url), [&](curl_result res) {
      CHECK(res.code == CURLE_OK);
      ++done;
    });
  }
  REQUIRE(test::run_until(io, [&] { return done == 20; }));
  CHECK(engine.sockets() <= 1);
  gw->stop();
  std::set<long> peers;
  for (const auto& l : test::lines_of(test::slurp(tmp / "gw.jsonl")))
    peers.insert(nlohmann::json::parse(l)["peer_port"].get<long>());
  CHECK(peers.size() == 1);  // all 20 requests on one connection
}

TEST_CASE("a slow answer times out and later transfers still run") {
  test::temp_dir tmp;
  auto gw = test::start_gateway(tmp / "gw.jsonl", {"--mode-file", tmp / "mode", "--slow-seconds", "3"});
  const std::string url = "http://127.0.0.1:" + std::to_string(gw->port()) + "/generic";
  boost::asio::io_context io;
  curl_multi::options o;
  o.total_timeout = 500ms;
  curl_multi engine(io, o);
  test::write_file(tmp / "mode", "slow");
  std::optional<curl_result> slow;
  engine.submit(get(url), [&](curl_result r) { slow = std::move(r); });
  REQUIRE(test::run_until(io, [&] { return slow.has_value(); }, 10s));
  CHECK(slow->code == CURLE_OPERATION_TIMEDOUT);
  CHECK_FALSE(slow->cancelled);
  test::write_file(tmp / "mode", "ok");
  std::optional<curl_result> fast;
  engine.submit(get(url), [&](curl_result r) { fast = std::move(r); });
  REQUIRE(test::run_until(io, [&] { return fast.has_value(); }, 10s));
  CHECK(fast->code == CURLE_OK);
}

TEST_CASE("a refused connection completes with an error, never synchronously") {
  boost::asio::io_context io;
  curl_multi engine(io, {});
  bool done = false;
  curl_result got;
  engine.submit(get("http://127.0.0.1:" + std::to_string(free_port()) + "/"), [&](curl_result r) {
    done = true;
    got = std::move(r);
  });
  CHECK_FALSE(done);
  REQUIRE(test::run_until(io, [&] { return done; }, 10s));
  CHECK(got.code == CURLE_COULDNT_CONNECT);
}

TEST_CASE("shutdown completes running and queued transfers as cancelled") {
  test::temp_dir tmp;
  auto gw = test::start_gateway(tmp / "gw.jsonl", {"--mode", "slow", "--slow-seconds", "5"});
  const std::string url = "http://127.0.0.1:" + std::to_string(gw->port()) + "/generic";
  boost::asio::io_context io;
  int cancelled = 0, other = 0;
  {
    curl_multi::options o;
    o.concurrency = 2;
    curl_multi engine(io, o);
    for (int i = 0; i < 10; ++i)
      engine.submit(get(url), [&](curl_result r) { (r.cancelled ? cancelled : other)++; });
    test::run_for(io, 300ms);
    CHECK(engine.running() == 2);
    CHECK(engine.queued() == 8);
    engine.shutdown();
    CHECK(cancelled == 10);
    bool late = false;
    engine.submit(get(url), [&](curl_result r) { late = r.cancelled; });
    test::run_until(io, [&] { return late; }, 2s);
    CHECK(late);
  }
  // Waits queued before the engine went away find nothing and do nothing.
  test::run_for(io, 200ms);
  CHECK(cancelled == 10);
  CHECK(other == 0);
}

TEST_CASE("a completion may destroy the engine that runs it") {
  test::temp_dir tmp;
  auto gw = test::start_gateway(tmp / "gw.jsonl");
  const std::string url = "http://127.0.0.1:" + std::to_string(gw->port()) + "/generic";
  boost::asio::io_context io;
  auto engine = std::make_unique<curl_multi>(io, curl_multi::options{});
  int done = 0;
  engine->submit(get(url), [&](curl_result) {
    ++done;
    engine.reset();
  });
  engine->submit(get(url), [&](curl_result) { ++done; });
  REQUIRE(test::run_until(io, [&] { return done == 2; }, 10s));
  CHECK(engine == nullptr);
  test::run_for(io, 100ms);
}
