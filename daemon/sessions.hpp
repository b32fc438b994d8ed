// Sessions of the coordinator's pages, in memory (a restart logs everyone out, which is
// the safe default for a single process). A session carries a per-session CSRF token for
// every POST form, the name given at login (recorded in the audit log as web:NAME), an
// absolute lifetime and an idle timeout, both measured on the steady clock so that a
// wall-clock step neither extends nor ends a session. Failed logins are throttled per
// client address.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dondoc::daemon {

struct session {
  std::string id;    // the cookie value: 32 random bytes, hex
  std::string csrf;  // 32 random bytes, hex
  std::string user;  // name given at login, or "local" without a password
  bool logged_in = false;
  std::chrono::steady_clock::time_point created{};
  std::chrono::steady_clock::time_point last_seen{};
};

class session_store {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::seconds default_lifetime{8 * 3600};  // a working day
  static constexpr std::chrono::seconds default_idle{2 * 3600};
  static constexpr std::size_t max_sessions = 2000;  // oldest dropped beyond this
  static constexpr int max_failures = 5;             // per address within the window
  static constexpr std::chrono::seconds failure_window{15 * 60};

  explicit session_store(clock_fn now = [] { return std::chrono::steady_clock::now(); },
                         std::chrono::seconds lifetime = default_lifetime, std::chrono::seconds idle = default_idle);

  const session& create(std::string user, bool logged_in);
  // The live session with this id (its idle timer restarted), or null.
  const session* find(std::string_view id);
  void remove(std::string_view id);
  std::size_t size() const { return sessions_.size(); }
  std::chrono::seconds lifetime() const { return lifetime_; }

  // Constant-time comparison with the session's token.
  static bool csrf_ok(const session& s, std::string_view token);

  bool login_allowed(const std::string& peer);
  void login_failed(const std::string& peer);
  void login_succeeded(const std::string& peer);

 private:
  bool expired(const session& s, std::chrono::steady_clock::time_point now) const;
  void sweep(std::chrono::steady_clock::time_point now);

  clock_fn now_;
  std::chrono::seconds lifetime_;
  std::chrono::seconds idle_;
  std::map<std::string, session, std::less<>> sessions_;
  struct failures {
    int count = 0;
    std::chrono::steady_clock::time_point first{};
  };
  std::map<std::string, failures> failures_;
};

// n random bytes from the OpenSSL CSPRNG, as 2n lower-case hex digits.
std::string random_hex(std::size_t n);

// The Set-Cookie value for a session (HttpOnly, SameSite=Strict, Path=/, Max-Age), and
// the one that removes it.
std::string session_cookie(const session& s, std::chrono::seconds max_age);
std::string clear_session_cookie();
inline constexpr std::string_view session_cookie_name = "dondoc_session";

}  // namespace dondoc::daemon
