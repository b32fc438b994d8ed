// Fixtures shared by the C++ tests and the fuzz targets: local times in Việt Nam, a real
// store and engine in a directory of their own (with the link tokens, for what the
// daemon's handlers take), and for doctest tests a roster that must load and an item that
// must exist, and the email corpus.
//
// Header-only: the `fuzz` preset builds tests/fuzz without tests/CMakeLists.txt, and the
// fuzz targets link no test framework. The doctest helpers at the end are there only when
// <doctest/doctest.h> is included before this header.
#pragma once

#include <date/date.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "daemon/app.hpp"
#include "daemon/engine.hpp"
#include "replies/tokens.hpp"
#include "store/store.hpp"

namespace dondoc::test_support {

// y-m-d hh:mm in Việt Nam (UTC+7, no daylight saving time), as an instant.
inline std::chrono::sys_seconds vn(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  return std::chrono::sys_seconds{date::sys_days{date::year{y} / date::month{m} / date::day{d}}} +
         std::chrono::hours{hh} + std::chrono::minutes{mm} - std::chrono::hours{7};
}

// A path in the temporary directory that no other test uses: `prefix` and a random number.
inline std::filesystem::path unique_temp_path(const std::string& prefix) {
  std::random_device rd;
  return std::filesystem::temp_directory_path() / (prefix + std::to_string(rd()));
}

// A store (dir/dondoc.db) and, once start() has a configuration, an engine over it. The
// directory is made afresh and removed with everything in it at the end.
class engine_env {
 public:
  engine_env(std::filesystem::path path, std::uint64_t seed) : dir(std::move(path)), seed_(seed) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir);
    st = std::make_unique<store::store>((dir / "dondoc.db").string());
  }
  ~engine_env() {
    eng.reset();
    st.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  engine_env(const engine_env&) = delete;
  engine_env& operator=(const engine_env&) = delete;

  // The first call makes the engine; later ones give it the new configuration (a reload).
  void start(std::shared_ptr<const config::config> cfg) {
    auto rt = std::make_shared<const daemon::runtime_config>(std::move(cfg));
    if (eng) eng->set_config(rt);
    else eng = std::make_unique<daemon::engine>(*st, rt, seed_);
  }

  // One reconciliation in one transaction, as the daemon runs it.
  daemon::reconcile_stats reconcile(std::chrono::sys_seconds now) {
    store::transaction tx(st->db());
    auto s = eng->reconcile(now);
    tx.commit();
    return s;
  }

  // Takes what is due at `now` (at most `capacity` emails and as many SMS) and records
  // each job as sent with the result `result_of(job)` gives, in one transaction; returns
  // the jobs.
  template <typename ResultOf>
  std::vector<daemon::job> send_due_with(std::chrono::sys_seconds now, ResultOf&& result_of,
                                         std::int64_t capacity = 100) {
    store::transaction tx(st->db());
    auto jobs = eng->take_due(now, capacity, capacity);
    for (auto& j : jobs) eng->record(j, result_of(j), now);
    tx.commit();
    return jobs;
  }
  // The same with one result for every job (by default: sent, no reason, no provider id).
  std::vector<daemon::job> send_due(std::chrono::sys_seconds now, const notifiers::send_result& result = {},
                                    std::int64_t capacity = 100) {
    return send_due_with(now, [&result](const daemon::job&) { return result; }, capacity);
  }

  std::filesystem::path dir;
  std::unique_ptr<store::store> st;
  std::unique_ptr<daemon::engine> eng;

 private:
  std::uint64_t seed_;
};

// engine_env with the link tokens, for the daemon's handlers (daemon::app_state).
class app_env : public engine_env {
 public:
  app_env(std::filesystem::path path, std::uint64_t seed, std::string token_key)
      : engine_env(std::move(path), seed), tokens(std::make_unique<replies::token_codec>(std::move(token_key))) {}

  // Points `app` at this store, engine and token codec.
  void wire(daemon::app_state& app) const {
    app.db = st.get();
    app.eng = eng.get();
    app.tokens = tokens.get();
  }
  // The link token of an outbox row, as its message carries it.
  std::string token(const store::outbox_rec& r) const {
    return tokens->make(r.id, std::to_string(r.occurrence), r.unit_id, r.contact_id);
  }

  std::unique_ptr<replies::token_codec> tokens;
};

#ifdef DOCTEST_LIBRARY_INCLUDED

// The roster `text` (read as "test.toml"); every error in it fails the test.
inline std::shared_ptr<const config::config> require_roster(const std::string& text) {
  auto res = config::load_text(text, "test.toml");
  for (const auto& d : res.diagnostics)
    if (d.severity == config::diagnostic::severity_t::error) FAIL(config::format(d));
  REQUIRE(res.ok());
  return res.cfg;
}

// The item of `unit` in the occurrence named `occurrence`; the test fails without either.
inline store::item_rec require_item(store::store& st, std::string_view occurrence, std::string_view unit) {
  auto occ = st.occurrence_by_name(occurrence);
  REQUIRE(occ);
  auto it = st.item(occ->id, unit);
  REQUIRE(it);
  return *it;
}

// The message `name` of the email corpus (tests/replies/mail/), as its bytes; the test
// fails when it is missing.
inline std::string mail_corpus(const std::string& name) {
  std::ifstream in(std::string(DONDOC_SOURCE_DIR) + "/tests/replies/mail/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "corpus file " << name);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

#endif  // DOCTEST_LIBRARY_INCLUDED

}  // namespace dondoc::test_support
