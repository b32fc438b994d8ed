// Session bookkeeping for the pages. Ids and tokens come from RAND_bytes; comparisons of
// secrets are constant-time. The store is swept on every create, so it stays small
// without a timer.
#include "daemon/sessions.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <iterator>

namespace dondoc::daemon {

std::string random_hex(std::size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("the random number generator failed");
  static constexpr char hexd[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned char c : bytes) {
    out.push_back(hexd[c >> 4]);
    out.push_back(hexd[c & 15]);
  }
  return out;
}

std::string session_cookie(const session& s, std::chrono::seconds max_age) {
  return std::string(session_cookie_name) + "=" + s.id + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(max_age.count());
}

std::string clear_session_cookie() {
  return std::string(session_cookie_name) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
}

session_store::session_store(clock_fn now, std::chrono::seconds lifetime, std::chrono::seconds idle)
    : now_(std::move(now)), lifetime_(lifetime), idle_(idle) {}

bool session_store::expired(const session& s, std::chrono::steady_clock::time_point now) const {
  return now - s.created >= lifetime_ || now - s.last_seen >= idle_;
}

void session_store::sweep(std::chrono::steady_clock::time_point now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) it = expired(it->second, now) ? sessions_.erase(it) : std::next(it);
  while (sessions_.size() >= max_sessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
      if (it->second.last_seen < oldest->second.last_seen) oldest = it;
    sessions_.erase(oldest);
  }
  for (auto it = failures_.begin(); it != failures_.end();)
    it = now - it->second.first >= failure_window ? failures_.erase(it) : std::next(it);
}

const session& session_store::create(std::string user, bool logged_in) {
  const auto now = now_();
  sweep(now);
  session s;
  s.id = random_hex(32);
  s.csrf = random_hex(32);
  s.user = std::move(user);
  s.logged_in = logged_in;
  s.created = now;
  s.last_seen = now;
  auto [it, _] = sessions_.emplace(s.id, std::move(s));
  return it->second;
}

const session* session_store::find(std::string_view id) {
  if (id.empty()) return nullptr;
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  const auto now = now_();
  if (expired(it->second, now)) {
    sessions_.erase(it);
    return nullptr;
  }
  it->second.last_seen = now;
  return &it->second;
}

void session_store::remove(std::string_view id) {
  auto it = sessions_.find(id);
  if (it != sessions_.end()) sessions_.erase(it);
}

bool session_store::csrf_ok(const session& s, std::string_view token) {
  return token.size() == s.csrf.size() && !s.csrf.empty() &&
         CRYPTO_memcmp(token.data(), s.csrf.data(), token.size()) == 0;
}

bool session_store::login_allowed(const std::string& peer) {
  auto it = failures_.find(peer);
  if (it == failures_.end()) return true;
  if (now_() - it->second.first >= failure_window) {
    failures_.erase(it);
    return true;
  }
  return it->second.count < max_failures;
}

void session_store::login_failed(const std::string& peer) {
  const auto now = now_();
  auto& f = failures_[peer];
  if (f.count == 0 || now - f.first >= failure_window) {
    f.count = 0;
    f.first = now;
  }
  ++f.count;
}

void session_store::login_succeeded(const std::string& peer) { failures_.erase(peer); }

}  // namespace dondoc::daemon
