// Sessions of the pages on a fake steady clock: absolute lifetime, idle timeout, CSRF
// comparison, login throttling, and the cookie's attributes.
#include "daemon/sessions.hpp"

#include <doctest/doctest.h>

using namespace dondoc;
using namespace std::chrono_literals;

namespace {

struct fake_clock {
  std::chrono::steady_clock::time_point t{std::chrono::hours{1000}};
  daemon::session_store::clock_fn fn() {
    return [this] { return t; };
  }
};

}  // namespace

TEST_CASE("a session lives until its idle timeout or its lifetime, whichever comes first") {
  fake_clock clock;
  daemon::session_store store(clock.fn(), 8h, 2h);
  const std::string id = store.create("Lan", true).id;
  CHECK(id.size() == 64);
  clock.t += 1h + 59min;
  REQUIRE(store.find(id) != nullptr);  // used: the idle timer restarts
  clock.t += 1h + 59min;
  REQUIRE(store.find(id) != nullptr);
  clock.t += 2h;  // idle for 2 h
  CHECK(store.find(id) == nullptr);

  const std::string busy = store.create("Việt", true).id;
  for (int i = 0; i < 8; ++i) {
    clock.t += 59min;
    CHECK(store.find(busy) != nullptr);
  }
  clock.t += 59min;  // 8 h 51 min after login, although never idle
  CHECK(store.find(busy) == nullptr);
}

TEST_CASE("the CSRF token must match exactly") {
  fake_clock clock;
  daemon::session_store store(clock.fn());
  const auto& s = store.create("local", false);
  CHECK(daemon::session_store::csrf_ok(s, s.csrf));
  CHECK_FALSE(daemon::session_store::csrf_ok(s, ""));
  CHECK_FALSE(daemon::session_store::csrf_ok(s, s.csrf.substr(1)));
  std::string other = s.csrf;
  other[0] = other[0] == 'a' ? 'b' : 'a';
  CHECK_FALSE(daemon::session_store::csrf_ok(s, other));
  const auto& t = store.create("local", false);
  CHECK(t.csrf != s.csrf);
  CHECK(t.id != s.id);
}

TEST_CASE("five failed logins from one address lock it out for the window") {
  fake_clock clock;
  daemon::session_store store(clock.fn());
  for (int i = 0; i < 5; ++i) {
    CHECK(store.login_allowed("192.0.2.1"));
    store.login_failed("192.0.2.1");
  }
  CHECK_FALSE(store.login_allowed("192.0.2.1"));
  CHECK(store.login_allowed("192.0.2.2"));  // another address is not affected
  clock.t += 15min;
  CHECK(store.login_allowed("192.0.2.1"));
  store.login_failed("192.0.2.2");
  store.login_succeeded("192.0.2.2");
  CHECK(store.login_allowed("192.0.2.2"));
}

TEST_CASE("the session cookie is HttpOnly, SameSite=Strict and expires") {
  fake_clock clock;
  daemon::session_store store(clock.fn());
  const auto& s = store.create("Lan", true);
  const std::string c = daemon::session_cookie(s, 8h);
  CHECK(c == "dondoc_session=" + s.id + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800");
  CHECK(daemon::clear_session_cookie().find("Max-Age=0") != std::string::npos);
  store.remove(s.id);
  CHECK(store.size() == 0);
}
