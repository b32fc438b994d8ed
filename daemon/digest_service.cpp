// Asio around the digest runner. The timer sleeps at most ten minutes and then re-reads
// the wall clock (as the dispatch loop does), so a clock step or a long suspend cannot
// make it miss a morning. Completions hold a weak reference: an answer that arrives
// after stop() is dropped, and its row, still `sending`, goes again at the next start.
#include "daemon/digest_service.hpp"

#include <boost/asio.hpp>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "daemon/digest.hpp"
#include "notifiers/digest.hpp"

namespace dondoc::daemon {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct digest_service::impl : std::enable_shared_from_this<digest_service::impl> {
  asio::io_context& io;
  app_state& app;
  email_fn email;
  digest_runner runner;
  asio::steady_timer timer;
  bool stopped = false;

  impl(asio::io_context& i, app_state& a, email_fn e)
      : io(i), app(a), email(std::move(e)), runner(*a.eng), timer(i) {}

  void arm() {
    if (stopped) return;
    std::chrono::seconds wait = 600s;
    try {
      const auto now = app.clock();
      wait = std::clamp<std::chrono::seconds>(runner.next_wake(now) - now, 0s, 600s);
    } catch (const std::exception& e) {
      spdlog::error("digest: cannot read the schedule: {}", e.what());
      wait = 60s;
    }
    timer.expires_after(wait);
    timer.async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = w.lock()) self->round();
    });
  }

  void round() {
    if (stopped) return;
    const auto now = app.clock();
    std::vector<digest_job> jobs;
    try {
      store::transaction t(app.db->db());
      jobs = runner.take_due(now);
      t.commit();
    } catch (const std::exception& e) {
      spdlog::error("digest: the round could not be recorded: {}; trying again in 60 s", e.what());
      timer.expires_after(60s);
      timer.async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
        if (ec) return;
        if (auto self = w.lock()) self->round();
      });
      return;
    }
    for (auto& j : jobs) send(std::move(j));
    arm();
  }

  void send(digest_job j) {
    auto job = std::make_shared<digest_job>(std::move(j));
    notifiers::outgoing_email msg;
    try {
      msg = notifiers::make_digest_email(job->input, notifiers::compose_digest(job->input));
    } catch (const std::exception& e) {
      complete(job, {notifiers::outcome::permanent, std::string("the digest cannot be built: ") + e.what(), {}, {}});
      return;
    }
    auto transport = email();
    transport->send(std::move(msg), [w = weak_from_this(), job, transport](notifiers::send_result r) {
      if (auto self = w.lock()) self->complete(job, std::move(r));
    });
  }

  void complete(const std::shared_ptr<digest_job>& job, notifiers::send_result r) {
    const char* result = r.kind == notifiers::outcome::ok      ? "ok"
                         : r.kind == notifiers::outcome::retry ? "retry"
                                                               : "permanent";
    ++app.stats.messages[{"email", result}];
    try {
      store::transaction t(app.db->db());
      runner.record(*job, r, app.clock());
      t.commit();
    } catch (const std::exception& e) {
      // The row stays `sending`: it goes again at the next start (at-least-once).
      spdlog::error("digest: the answer could not be recorded contact={}: {}", job->recipient->id, e.what());
    }
    if (r.kind == notifiers::outcome::retry && !stopped) asio::post(io, [w = weak_from_this()] {
      if (auto self = w.lock()) {
        self->timer.cancel();
        self->arm();
      }
    });
  }
};

digest_service::digest_service(asio::io_context& io, app_state& app, email_fn email)
    : impl_(std::make_shared<impl>(io, app, std::move(email))) {}

digest_service::~digest_service() { stop(); }

void digest_service::start() {
  try {
    store::transaction t(impl_->app.db->db());
    impl_->runner.recover(impl_->app.clock());
    t.commit();
  } catch (const std::exception& e) {
    spdlog::error("digest: cannot recover the digest log: {}", e.what());
  }
  impl_->arm();
}

void digest_service::reschedule() {
  if (impl_->stopped) return;
  impl_->timer.cancel();
  impl_->arm();
}

void digest_service::stop() {
  impl_->stopped = true;
  impl_->timer.cancel();
}

}  // namespace dondoc::daemon
