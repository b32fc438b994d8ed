// The daemon's public HTTP handler (daemon/routes.cpp) over a real store, for the fuzz
// targets of the SMS hooks and of the public listener: a small roster (four units, one
// report due Friday 11/12/2026, SMS through eSMS or the generic provider), reconciled at
// a fixed instant, with the first reminders recorded as sent (with provider ids), so
// replies, delivery reports and links can reach real items and rows.
//
// The store lives in /dev/shm when it exists (no fsync cost per input). State carries
// over between inputs, as in the daemon; reset() starts again from the fresh store.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "daemon/app.hpp"
#include "web/http.hpp"

namespace dondoc::test_support {
class app_env;  // tests/support/fixtures.hpp
}

namespace dondoc::fuzz {

enum class provider { esms, http };

class fuzz_app {
 public:
  explicit fuzz_app(provider p);
  ~fuzz_app();
  fuzz_app(const fuzz_app&) = delete;
  fuzz_app& operator=(const fuzz_app&) = delete;

  // A fresh store (every 50,000 inputs the callers do this, so the store stays small).
  void reset();
  // Runs the queued writes in one transaction, as the daemon's batcher does.
  bool run_writes();

  daemon::app_state app;
  web::handler handler;  // make_public_handler(app)
  std::string mo_secret;
  std::chrono::sys_seconds now;
  std::vector<std::string> codes;         // reply codes of the items
  std::vector<std::string> keys;          // outbox row keys (delivery reports may name them)
  std::vector<std::string> provider_ids;  // provider ids of the sent rows
  std::vector<std::string> tokens;        // link tokens of the sent rows
  // Called when a handler queues a write (the HTTP target posts run_writes to its loop).
  std::function<void()> on_write;

 private:
  void open();
  void close();

  provider provider_;
  std::filesystem::path dir_;
  std::unique_ptr<test_support::app_env> env_;  // the store, the engine and the link tokens
  std::unique_ptr<daemon::write_batcher> batcher_;
};

// "@C" -> a reply code, "@K" -> a row key, "@P" -> a provider id, "@T" -> a link token;
// the character after the marker picks which one. Lets the fuzzer reach the paths
// behind a valid code or id without guessing 30 bits.
std::string substitute(std::string_view in, const fuzz_app& a);

// Signatures as the gateways make them (eSMS MD5, the generic provider's HMAC-SHA256).
std::string esms_sign(const std::string& middle, const std::string& cpid, const std::string& smsid,
                      const std::string& receiver_time, const std::string& key);
std::string hmac_sha256_hex(const std::string& key, const std::string& body);

}  // namespace dondoc::fuzz
