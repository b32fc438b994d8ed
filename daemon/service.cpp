// The running daemon. One io_context on one thread is the implicit strand: the dispatch
// loop, notifier completions, HTTP handlers and timers all run there, so the store needs
// no locks (the one exception: a plan on an empty outbox — a first start — has its batches
// written by the store's own bulk writer thread, store::bulk_writer, while the engine
// plans on; the connection passes between the two, never shared at once). The loop sleeps until the earliest due row (at most 60 s), re-reads the wall
// clock (a jump is logged; the catch-up rules absorb it), claims what is due within each
// channel's concurrency, and hands the messages to the notifiers. Outcomes and HTTP
// writes are committed in batches. A database that cannot be written (disk full) is
// reported and retried; nothing already stored is lost, and claims roll back.
#include "daemon/service.hpp"

#include <boost/asio.hpp>

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "config/config.hpp"
#include "daemon/app.hpp"
#include "daemon/digest_service.hpp"
#include "daemon/engine.hpp"
#include "daemon/imap_poller.hpp"
#include "daemon/messages.hpp"
#include "daemon/metrics.hpp"
#include "daemon/pages.hpp"
#include "daemon/routes.hpp"
#include "notifiers/file_outbox.hpp"
#include "notifiers/secrets.hpp"
#include "notifiers/sms_gateways.hpp"
#include "notifiers/smtp.hpp"
#include "notifiers/worker.hpp"
#include "replies/tokens.hpp"
#include "store/store.hpp"
#include "web/server.hpp"

namespace dondoc::daemon {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// TEST ONLY: when DONDOC_TEST_CLOCK_FILE is set, the file holds a signed number of
// seconds added to the wall clock (read on every call; missing or unreadable: 0), so an
// unprivileged test can step the clock (tests/reliability/, the clock-step scenario).
// Unset, which is every real deployment, the system clock is used as is.
std::chrono::seconds test_clock_offset() {
  static const char* const file = std::getenv("DONDOC_TEST_CLOCK_FILE");
  if (file == nullptr) return std::chrono::seconds{0};
  std::ifstream in(file);
  long long offset = 0;
  if (!(in >> offset)) return std::chrono::seconds{0};
  return std::chrono::seconds{offset};
}

// TEST ONLY, with DONDOC_TEST_CLOCK_FILE: the longest idle sleep of the dispatch loop is
// 10 s instead of 60 s, so the clock-step scenario sees its steps noticed in seconds
// rather than a minute each (the detection itself is the same code). Unset: 60 s.
std::chrono::seconds max_idle_wait() {
  static const bool test_clock = std::getenv("DONDOC_TEST_CLOCK_FILE") != nullptr;
  return test_clock ? std::chrono::seconds{10} : std::chrono::seconds{60};
}

sys_seconds wall_now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) + test_clock_offset();
}

void notify(const std::string& state) { sd_notify(0, state.c_str()); }

bool local_listener(const std::string& listen) {
  return listen.rfind("unix:", 0) == 0 || listen.rfind("127.", 0) == 0 || listen.rfind("[::1]", 0) == 0 ||
         listen.rfind("localhost:", 0) == 0;
}

struct transports {
  std::shared_ptr<notifiers::file_outbox> outbox;
  std::shared_ptr<notifiers::email_transport> email;
  std::shared_ptr<notifiers::sms_transport> sms;
  std::int64_t email_capacity = 64;
  std::int64_t sms_capacity = 64;
};

std::string channels_signature(const config::config& c) {
  std::string s = c.channels.outbox.dir + "|" + c.service.secrets_dir + "|" + c.service.public_url;
  if (c.channels.email)
    s += fmt::format("|e:{}:{}:{}:{}:{}:{}", c.channels.email->url, c.channels.email->username,
                     c.channels.email->password_file, static_cast<int>(c.channels.email->tls),
                     c.channels.email->concurrency, c.channels.email->timeout.count());
  if (c.channels.sms)
    s += fmt::format("|s:{}:{}:{}:{}:{}:{}:{}", config::to_string(c.channels.sms->provider), c.channels.sms->url,
                     c.channels.sms->api_key_file, c.channels.sms->secret_key_file, c.channels.sms->brandname,
                     c.channels.sms->body, c.channels.sms->concurrency);
  return s;
}

}  // namespace

struct service::impl {
  asio::io_context& io;
  service_options opts;
  std::shared_ptr<const runtime_config> rt;
  std::unique_ptr<store::store> db;
  std::unique_ptr<engine> eng;
  std::unique_ptr<replies::token_codec> tokens;
  std::unique_ptr<message_builder> builder;
  app_state app;
  write_batcher batcher;
  transports tx;
  std::string channels_sig;
  std::unique_ptr<web::http_server> public_srv, admin_srv;
  std::unique_ptr<digest_service> digests;  // the coordinators' daily digest (daemon/digest_service.cpp)
  std::unique_ptr<imap_poller> imap;        // email replies over IMAP (daemon/imap_poller.cpp), or null
  std::string imap_sig;

  asio::steady_timer dispatch_timer;
  asio::steady_timer daily_timer;
  asio::steady_timer watchdog_timer;
  asio::steady_timer stop_timer;
  bool dispatch_posted = false;
  bool flush_posted = false;
  bool stopping = false;
  // Claimed rows whose outcome is not yet committed: being sent, or answered and waiting
  // for flush(). Counting the latter bounds the rows left `sending` by a crash (each may
  // be sent again at the next start) by the channel's concurrency.
  std::int64_t inflight_email = 0, inflight_sms = 0;
  struct outcome {
    std::shared_ptr<job> j;
    notifiers::send_result r;
  };
  std::vector<outcome> outcomes;
  std::optional<std::pair<sys_seconds, std::chrono::steady_clock::time_point>> last_tick;
  std::string last_db_error;
  std::uint64_t watchdog_usec = 0;
  // Composes emails off this thread (see send()). Last: destroyed first, its queue run
  // and its thread joined while everything its tasks touch is still there.
  notifiers::worker_thread composer;

  impl(asio::io_context& i, service_options o)
      : io(i),
        opts(std::move(o)),
        batcher([this] { asio::post(io, [this] { run_writes(); }); }),
        dispatch_timer(i),
        daily_timer(i),
        watchdog_timer(i),
        stop_timer(i) {}

  // --- set-up ---------------------------------------------------------------------------

  std::shared_ptr<const config::config> load_config(std::vector<std::string>& errors) {
    auto res = config::load(opts.config_path);
    for (const auto& d : res.diagnostics) {
      const std::string line = config::format(d);
      if (d.severity == config::diagnostic::severity_t::error) {
        errors.push_back(line);
      } else {
        spdlog::warn("{}", line);
      }
    }
    if (!res.ok()) return nullptr;
    if (!opts.state_dir.empty()) {
      auto c = std::make_shared<config::config>(*res.cfg);
      const bool outbox_default = c->channels.outbox.dir == (fs::path(c->service.state_dir) / "outbox").string();
      c->service.state_dir = opts.state_dir;
      if (outbox_default) c->channels.outbox.dir = (fs::path(opts.state_dir) / "outbox").string();
      return c;
    }
    return res.cfg;
  }

  transports make_transports(const config::config& c) {
    transports t;
    t.outbox = std::make_shared<notifiers::file_outbox>(c.channels.outbox.dir);
    const char* ca = std::getenv("DONDOC_CA_FILE");
    if (c.channels.email) {
      notifiers::smtp_options so;
      if (ca) so.ca_file = ca;
      t.email = std::make_shared<notifiers::smtp_transport>(io, *c.channels.email, c.service.secrets_dir, so);
      t.email_capacity = c.channels.email->concurrency;
    } else {
      t.email = t.outbox;
    }
    if (c.channels.sms) {
      notifiers::gateway_options go;
      go.secrets_dir = c.service.secrets_dir;
      go.public_url = c.service.public_url;
      if (ca) go.ca_file = ca;
      t.sms = std::shared_ptr<notifiers::sms_transport>(notifiers::make_sms_gateway(io, *c.channels.sms, go));
      t.sms_capacity = c.channels.sms->concurrency;
    } else {
      t.sms = t.outbox;
    }
    return t;
  }

  void start() {
    app.health.started_at = wall_now();
    const auto t0 = std::chrono::steady_clock::now();
    auto ms = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    };
    std::vector<std::string> errors;
    auto cfg = load_config(errors);
    spdlog::debug("start-up: configuration loaded at {} ms", ms());
    if (!cfg) throw startup_error(errors);
    const auto& svc = cfg->service;
    try {
      fs::create_directories(svc.state_dir);
    } catch (const std::exception& e) {
      throw startup_error({fmt::format("{}: error: cannot create the state directory: {}", svc.state_dir, e.what())});
    }
    try {
      db = std::make_unique<store::store>((fs::path(svc.state_dir) / "dondoc.db").string());
      tokens = std::make_unique<replies::token_codec>(replies::load_or_create_token_key(svc.secrets_dir, svc.state_dir));
    } catch (const std::exception& e) {
      throw startup_error({fmt::format("{}: error: {}", svc.state_dir, e.what())});
    }
    try {
      tx = make_transports(*cfg);
    } catch (const std::exception& e) {
      throw startup_error({fmt::format("error: {}", e.what())});
    }
    channels_sig = channels_signature(*cfg);
    // Email replies: the poller reads its password now (a start-up error); it polls after READY.
    try {
      imap = make_imap_poller(io, app, *cfg);
      imap_sig = imap_poller::signature(*cfg);
    } catch (const std::exception& e) {
      throw startup_error({fmt::format("error: {}", e.what())});
    }
    if (!local_listener(svc.admin_listen)) {
      if (svc.admin_password_file.empty())
        throw startup_error({fmt::format("{}: error: admin_listen \"{}\" is not loopback or a unix socket: set "
                                         "[service] admin_password_file",
                                         opts.config_path, svc.admin_listen)});
      try {
        app.admin_password = notifiers::read_secret(svc.secrets_dir, svc.admin_password_file, "admin_password_file");
      } catch (const std::exception& e) {
        throw startup_error({fmt::format("error: {}", e.what())});
      }
      app.admin_requires_password = true;
    }
    rt = std::make_shared<const runtime_config>(cfg);
    eng = std::make_unique<engine>(*db, rt);
    builder = std::make_unique<message_builder>(*eng, *tokens);
    app.config_path = opts.config_path;
    app.db = db.get();
    app.eng = eng.get();
    app.tokens = tokens.get();
    app.writes = &batcher;
    app.clock = wall_now;
    app.wake_dispatch = [this] { post_dispatch(); };
    app.health.config_files = cfg->files;
    app.health.config_loaded_at = wall_now();
    app.metrics_extra = [this] { return extra_metrics(); };
    app.rewrite_sms_log = [this](const std::function<std::string(std::string)>& edit) {
      return tx.outbox->rewrite_sms_log(edit);
    };
    // Recover, then plan: READY=1 and dispatch come after reconciliation.
    try {
      store::store::first_load_scope first_load(*db);
      store::transaction t(db->db());
      const auto recovered = eng->recover(wall_now());
      if (recovered > 0) spdlog::warn("{} messages were being sent when dondoc stopped; sending them again", recovered);
      spdlog::debug("start-up: store open, {} rows recovered at {} ms", recovered, ms());
      const auto stats = eng->reconcile(wall_now());
      spdlog::debug("start-up: planned at {} ms", ms());
      t.commit();
      note_plan(stats, true, {});
      spdlog::debug("start-up: reconciled and committed at {} ms", ms());
    } catch (const std::exception& e) {
      throw startup_error({fmt::format("{}: error: {}", svc.state_dir, e.what())});
    }
    web::server_options po;
    po.listen = svc.listen;
    po.trusted_proxies = svc.trusted_proxies;
    web::server_options ao;
    ao.listen = svc.admin_listen;
    ao.admin = true;
    ao.body_limit = 1 << 20;
    public_srv = std::make_unique<web::http_server>(io, po, make_public_handler(app));
    set_page_router(make_page_router());  // the coordinator's pages (daemon/pages.cpp)
    admin_srv = std::make_unique<web::http_server>(io, ao, make_admin_handler(app));
    for (auto* s : {public_srv.get(), admin_srv.get()})
      s->on_response = [this](const web::request& r, int code) { ++app.stats.http[{route_label(r.path), code}]; };
    try {
      public_srv->start();
      admin_srv->start();
    } catch (const std::exception& e) {
      throw startup_error({fmt::format("error: {}", e.what())});
    }
    spdlog::info("dondoc {} ready config={} state_dir={} listen={} admin={} email={} sms={}", DONDOC_VERSION_STRING,
                 opts.config_path, svc.state_dir, public_srv->endpoint(), admin_srv->endpoint(), tx.email->name(),
                 tx.sms->name());
    app.health.ready = true;
    notify(fmt::format("READY=1\nSTATUS={}", status_line()));
    if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) arm_watchdog();
    arm_daily();
    // The daily digest: at the first office-hours start of each working day, through the
    // same email transport as the reminders.
    digests = std::make_unique<digest_service>(io, app, [this] { return tx.email; });
    digests->start();
    if (imap) imap->start();  // email replies
    post_dispatch();
    // A first start's plan is in the WAL; copy it into the database file now, not before READY.
    post_bulk_checkpoint();
  }

  // After a reconciliation that bulk-loaded (an empty outbox: a first start, or a daily
  // run or reload after a first start that planned nothing): the WAL into the database
  // file, automatic checkpoints back on. Nothing when no bulk load ran.
  void post_bulk_checkpoint() {
    asio::post(io, [this] {
      try {
        db->checkpoint_after_bulk_load();
      } catch (const std::exception& e) {
        spdlog::warn("store: checkpoint after a bulk load: {}", e.what());
      }
    });
  }

  // Short and cheap (no scan of the outbox): what an administrator sees in systemctl status.
  std::string status_line() {
    std::string s = "ready";
    try {
      if (auto next = db->next_due()) s += "; next message " + scheduler::rfc3339(*next, rt->cfg->service.zone);
      else s += "; nothing planned";
    } catch (const std::exception& e) {
      s += std::string("; database unavailable: ") + e.what();
    }
    if (app.health.last_reload && !app.health.last_reload->ok)
      s += fmt::format("; last reload FAILED ({} errors), running the previous configuration",
                       app.health.last_reload->errors.size());
    if (!app.health.database_ok) s += "; DATABASE NOT WRITABLE: " + app.health.database_error;
    return s;
  }

  void note_plan(const reconcile_stats& s, bool ok, const std::string& error) {
    app.health.last_plan_at = wall_now();
    app.health.last_plan_ok = ok;
    if (ok) app.health.last_plan_ok_at = app.health.last_plan_at;  // for /metrics
    app.health.last_plan_error = error;
    if (ok)
      spdlog::info("plan reconciled pairs={} inserted={} moved={} cancelled={} items={}", s.pairs_planned,
                   s.rows_inserted, s.rows_moved, s.rows_cancelled, s.items_created);
  }

  std::string extra_metrics() {
    std::string out;
    out += "# HELP dondoc_inflight_messages Messages handed to a notifier whose outcome is not yet recorded.\n"
           "# TYPE dondoc_inflight_messages gauge\n";
    out += fmt::format("dondoc_inflight_messages{{channel=\"email\"}} {}\n", inflight_email);
    out += fmt::format("dondoc_inflight_messages{{channel=\"sms\"}} {}\n", inflight_sms);
    out += "# HELP dondoc_http_connections Open HTTP connections by listener.\n# TYPE dondoc_http_connections gauge\n";
    if (public_srv) out += fmt::format("dondoc_http_connections{{listener=\"public\"}} {}\n", public_srv->stats().open);
    if (admin_srv) out += fmt::format("dondoc_http_connections{{listener=\"admin\"}} {}\n", admin_srv->stats().open);
    return out;
  }

  // --- the database's health -----------------------------------------------------------

  void db_failed(const std::exception& e) {
    const std::string msg = e.what();
    app.health.database_ok = false;
    app.health.database_error = msg;
    if (msg != last_db_error) {
      spdlog::error("the database cannot be written: {}; retrying every 30 s, nothing stored is lost", msg);
      notify(fmt::format("STATUS={}", status_line()));
    }
    last_db_error = msg;
  }

  void db_ok() {
    if (!app.health.database_ok) {
      spdlog::info("the database is writable again");
      app.health.database_ok = true;
      app.health.database_error.clear();
      last_db_error.clear();
      notify(fmt::format("STATUS={}", status_line()));
    }
  }

  // --- dispatch ------------------------------------------------------------------------

  void post_dispatch() {
    if (dispatch_posted || stopping) return;
    dispatch_posted = true;
    asio::post(io, [this] { dispatch_round(); });
  }

  void note_clock(sys_seconds now) {
    const auto steady = std::chrono::steady_clock::now();
    if (last_tick) {
      const auto wall_delta = now - last_tick->first;
      const auto steady_delta = std::chrono::duration_cast<std::chrono::seconds>(steady - last_tick->second);
      const auto jump = wall_delta - steady_delta;
      if (jump > 60s || jump < -60s) {
        ++app.health.clock_jumps;
        spdlog::warn("the wall clock jumped {} by {} s; due rows are handled by the catch-up rules",
                     jump.count() > 0 ? "forward" : "backward", std::abs(jump.count()));
      }
    }
    last_tick = std::pair(now, steady);
  }

  void dispatch_round() {
    dispatch_posted = false;
    if (stopping) return;
    const auto now = wall_now();
    note_clock(now);
    std::vector<job> jobs;
    try {
      const auto changes_before = db->db().total_changes();
      store::transaction t(db->db());
      jobs = eng->take_due(now, tx.email_capacity - inflight_email, tx.sms_capacity - inflight_sms);
      t.commit();
      // Only a write shows the database writable again: with the channels full (their
      // outcomes waiting to be recorded) a round claims nothing and commits nothing.
      if (db->db().total_changes() != changes_before) db_ok();
    } catch (const std::exception& e) {
      db_failed(e);
      arm_dispatch(30s);
      return;
    }
    for (auto& j : jobs) send(std::move(j), now);
    std::chrono::seconds wait = max_idle_wait();
    try {
      if (auto next = eng->next_wake()) {
        auto d = *next - wall_now();
        if (d < 0s) d = jobs.empty() ? 1s : 0s;  // due but not claimable now: capacity, or deferred
        wait = std::min<std::chrono::seconds>(max_idle_wait(), d);
      }
    } catch (const std::exception& e) {
      db_failed(e);
      wait = 30s;
    }
    arm_dispatch(wait);
  }

  void arm_dispatch(std::chrono::seconds wait) {
    dispatch_timer.expires_after(wait);
    dispatch_timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) dispatch_round();
    });
  }

  void send(job j, sys_seconds now) {
    prepared_message m;
    try {
      m = builder->prepare(j, now);
    } catch (const std::exception& e) {
      m.error = e.what();
    }
    auto jp = std::make_shared<job>(std::move(j));
    if (m.email) {
      ++inflight_email;
      // Templating and GMime on the worker, so this thread keeps answering the servers;
      // the input points into jp->rt's configuration, which jp keeps alive.
      composer.post([this, jp, in = std::move(*m.email)] {
        std::optional<notifiers::outgoing_email> email;
        std::string error;
        try {
          email = notifiers::make_email(in, notifiers::compose_email(in));
        } catch (const std::exception& e) {
          error = e.what();
        }
        asio::post(io, [this, jp, email = std::move(email), error = std::move(error)]() mutable {
          if (!email) {
            spdlog::error("message not built key={} error=\"{}\"", jp->row.key, error);
            complete(jp, {notifiers::outcome::permanent, error, {}, std::nullopt});
            return;
          }
          auto t = tx.email;
          t->send(std::move(*email), [this, jp, t](notifiers::send_result r) { complete(jp, std::move(r)); });
        });
      });
    } else if (m.sms) {
      ++inflight_sms;
      const auto segments = m.sms->segments;
      auto t = tx.sms;
      t->send(std::move(*m.sms), [this, jp, t, segments](notifiers::send_result r) {
        if (r.kind == notifiers::outcome::ok) app.stats.sms_segments += static_cast<std::uint64_t>(segments);
        complete(jp, std::move(r));
      });
    } else {
      spdlog::error("message not built key={} error=\"{}\"", jp->row.key, m.error);
      (jp->row.channel == "sms" ? inflight_sms : inflight_email) += 1;
      complete(jp, {notifiers::outcome::permanent, m.error, {}, std::nullopt});
    }
  }

  void complete(const std::shared_ptr<job>& j, notifiers::send_result r) {
    const char* result = r.kind == notifiers::outcome::ok ? "ok" : r.kind == notifiers::outcome::retry ? "retry" : "permanent";
    ++app.stats.messages[{j->row.channel, result}];
    if (r.kind != notifiers::outcome::ok)
      spdlog::warn("send {} key={} channel={} attempt={} reason=\"{}\"", result, j->row.key, j->row.channel,
                   j->row.attempts, r.reason);
    outcomes.push_back({j, std::move(r)});
    if (!flush_posted) {
      flush_posted = true;
      asio::post(io, [this] { flush(); });
    }
  }

  void flush() {
    flush_posted = false;
    if (outcomes.empty()) return;
    const auto now = wall_now();
    try {
      store::transaction t(db->db());
      for (const auto& o : outcomes) eng->record(*o.j, o.r, now);
      t.commit();
      for (const auto& o : outcomes) (o.j->row.channel == "sms" ? inflight_sms : inflight_email) -= 1;
      outcomes.clear();
      db_ok();
    } catch (const std::exception& e) {
      db_failed(e);
      // Keep the outcomes; their rows stay `sending` until recorded (or are re-sent after a crash).
      flush_posted = true;
      auto timer = std::make_shared<asio::steady_timer>(io, 5s);
      timer->async_wait([this, timer](const boost::system::error_code&) { flush(); });
      return;
    }
    post_dispatch();
  }

  void run_writes() {
    const bool ok = batcher.run(*db, wall_now());
    if (ok) db_ok();
    else db_failed(std::runtime_error("a batch of replies could not be committed"));
  }

  // --- timers ------------------------------------------------------------------------

  void arm_daily() {
    // Just after local midnight: the horizon advances, raw inputs age out.
    const auto now = wall_now();
    const auto& planner = rt->planner;
    const auto next = planner.local_to_sys(planner.sys_to_local(now).first + date::days{1}, std::chrono::minutes{0}) + 30s;
    daily_timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(next - now));
    daily_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      daily();
      arm_daily();
    });
  }

  void daily() {
    const auto now = wall_now();
    try {
      const auto changes_before = db->db().total_changes();
      store::transaction t(db->db());
      const auto s = eng->reconcile(now);
      const auto reduced = eng->housekeeping(now);
      t.commit();
      note_plan(s, true, {});
      if (reduced > 0) spdlog::info("reduced {} raw inputs older than raw_retention to digests", reduced);
      if (db->db().total_changes() != changes_before) db_ok();
    } catch (const std::exception& e) {
      note_plan({}, false, e.what());
      db_failed(e);
    }
    post_bulk_checkpoint();
    post_dispatch();
  }

  void arm_watchdog() {
    watchdog_timer.expires_after(std::chrono::microseconds(watchdog_usec / 2));
    watchdog_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      notify("WATCHDOG=1");
      arm_watchdog();
    });
  }

  // --- reload ----------------------------------------------------------------------------

  void reload() {
    if (stopping) return;
    notify("RELOADING=1");
    const auto now = wall_now();
    const auto t0 = std::chrono::steady_clock::now();
    auto ms = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    };
    std::vector<std::string> errors;
    auto cfg = load_config(errors);
    spdlog::debug("reload: configuration read in {} ms", ms());
    transports new_tx;
    bool swap_tx = false;
    std::unique_ptr<imap_poller> new_imap;  // email replies: a new poller when its settings changed
    bool swap_imap = false;
    if (cfg) {
      if (cfg->service.listen != rt->cfg->service.listen || cfg->service.admin_listen != rt->cfg->service.admin_listen)
        spdlog::warn("listen addresses changed; they take effect after a restart");
      if (cfg->service.state_dir != rt->cfg->service.state_dir)
        spdlog::warn("state_dir changed; it takes effect after a restart");
      const std::string sig = channels_signature(*cfg);
      if (sig != channels_sig) {
        try {
          new_tx = make_transports(*cfg);
          swap_tx = true;
        } catch (const std::exception& e) {
          errors.push_back(fmt::format("error: {}", e.what()));
          cfg = nullptr;
        }
      }
    }
    if (cfg && imap_poller::signature(*cfg) != imap_sig) {
      try {
        new_imap = make_imap_poller(io, app, *cfg);
        swap_imap = true;
      } catch (const std::exception& e) {
        errors.push_back(fmt::format("error: {}", e.what()));
        cfg = nullptr;
      }
    }
    if (!cfg) {
      for (const auto& e : errors) spdlog::error("{}", e);
      spdlog::error("reload failed with {} error{}; the running configuration is kept", errors.size(),
                    errors.size() == 1 ? "" : "s");
      app.health.last_reload = reload_info{now, false, errors};
      ++app.stats.reloads_failed;
      notify(fmt::format("READY=1\nSTATUS={}", status_line()));
      return;
    }
    auto new_rt = std::make_shared<const runtime_config>(cfg);
    auto old_rt = rt;
    rt = new_rt;
    eng->set_config(new_rt);
    spdlog::debug("reload: new configuration in place at {} ms", ms());
    if (swap_tx) {
      tx = std::move(new_tx);  // in-flight sends keep the old transports alive until they answer
      channels_sig = channels_signature(*cfg);
    }
    if (swap_imap) {  // email replies: the old poller stops, the new one starts
      if (imap) imap->stop();
      imap = std::move(new_imap);
      imap_sig = imap_poller::signature(*cfg);
      if (imap) imap->start();
      else app.health.imap_error.clear();
    }
    try {
      const auto changes_before = db->db().total_changes();
      store::transaction t(db->db());
      const auto s = eng->reconcile(now);
      t.commit();
      note_plan(s, true, {});
      if (db->db().total_changes() != changes_before) db_ok();
      spdlog::debug("reload: reconciled and committed at {} ms", ms());
    } catch (const std::exception& e) {
      note_plan({}, false, e.what());
      db_failed(e);
    }
    post_bulk_checkpoint();
    app.health.last_reload = reload_info{now, true, {}};
    app.health.last_reload_ok_at = now;  // for /metrics
    app.health.config_files = cfg->files;
    app.health.config_loaded_at = now;
    ++app.stats.reloads_ok;
    spdlog::info("configuration reloaded from {}", opts.config_path);
    notify(fmt::format("READY=1\nSTATUS={}", status_line()));
    daily_timer.cancel();
    arm_daily();
    if (digests) digests->reschedule();  // office hours or recipients may have changed
    post_dispatch();
  }

  // --- stop ------------------------------------------------------------------------------

  void stop(std::function<void()> on_stopped) {
    if (stopping) return;
    stopping = true;
    app.health.stopping = true;
    notify("STOPPING=1");
    spdlog::info("stopping: no new claims; waiting for {} in-flight messages", inflight_email + inflight_sms);
    dispatch_timer.cancel();
    daily_timer.cancel();
    if (digests) digests->stop();  // an unanswered digest stays `sending` and goes at the next start
    if (imap) imap->stop();        // a reply already queued still commits with its position
    if (public_srv) public_srv->stop();
    if (admin_srv) admin_srv->stop();
    wait_inflight(std::chrono::steady_clock::now() + 10s, std::move(on_stopped));
  }

  void wait_inflight(std::chrono::steady_clock::time_point deadline, std::function<void()> on_stopped) {
    if ((inflight_email + inflight_sms) > 0 && std::chrono::steady_clock::now() < deadline) {
      stop_timer.expires_after(50ms);
      stop_timer.async_wait([this, deadline, on_stopped](const boost::system::error_code&) {
        wait_inflight(deadline, on_stopped);
      });
      return;
    }
    // Abort what is left (each completes with retry and goes again at the next start).
    if (auto* smtp = dynamic_cast<notifiers::smtp_transport*>(tx.email.get())) smtp->shutdown();
    if (auto* gw = dynamic_cast<notifiers::sms_gateway*>(tx.sms.get())) gw->shutdown();
    flush();
    run_writes();
    watchdog_timer.cancel();
    public_srv.reset();
    admin_srv.reset();
    spdlog::info("stopped");
    on_stopped();
  }
};

service::service(asio::io_context& io, service_options opts) : impl_(std::make_unique<impl>(io, std::move(opts))) {}
service::~service() = default;
void service::start() { impl_->start(); }
void service::reload() { impl_->reload(); }
void service::stop(std::function<void()> on_stopped) { impl_->stop(std::move(on_stopped)); }
std::string service::public_endpoint() const { return impl_->public_srv ? impl_->public_srv->endpoint() : ""; }
std::string service::admin_endpoint() const { return impl_->admin_srv ? impl_->admin_srv->endpoint() : ""; }

}  // namespace dondoc::daemon
