// The reply mailbox, read exactly once.
//
// A round: STATUS (UIDVALIDITY, UIDNEXT) → UID SEARCH for the UIDs above the last one
// handled → for each, in ascending order: FETCH it, read it (pure), hand "apply it AND
// move the position to its UID" to the write batch as ONE unit of work, wait for the
// commit, then STORE \Seen, then the next. The position — UIDVALIDITY and the last
// handled UID — lives in the store's meta table, in the same SQLite database as the
// acknowledgements, so "the reply's effect" and "the reply is handled" are committed
// by the same fsync or not at all. The IMAP flag is only a courtesy to the humans who
// open the mailbox: messages are selected by UID, never by \Seen (a colleague reading
// the mailbox in Outlook marks them seen first, and libcurl's FETCH sets \Seen itself).
//
// What a crash (or kill -9, or a power cut) can interrupt:
//  - before the commit: neither the effect nor the position is stored; the next start
//    searches above the old position, fetches the message again and applies it once;
//  - after the commit, before \Seen: the position covers it, so it is never fetched
//    again; the first round after a start flags 1:last \Seen to tidy such leftovers;
//  - a commit that fails (disk full): the round stops with the position unchanged and
//    the next poll retries the same message;
//  - applying that throws (a bug, a strange message): rolled back to a savepoint,
//    audited as reply_failed, and the position still advances, so one message cannot
//    block the mailbox (email_replies.cpp).
// Messages are handled one at a time, so the position always means "every UID up to
// here". The first start (or a new UIDVALIDITY: the mailbox was rebuilt and its UIDs
// mean nothing any more) begins at the first unseen message, or at UIDNEXT when every
// message has been seen: a mailbox full of old mail is not replayed. After a rebuild a
// reply whose \Seen flag was lost may be read again; acknowledging or submitting twice
// only adds an "audited only" entry.
//
// One round at a time, on the io_context thread; completions hold a weak reference, so
// an answer that arrives after stop() is dropped. After a reload the new poller's first
// round starts from a posted handler, behind any batch the old one queued, and reads
// the position that batch committed.
#include "daemon/imap_poller.hpp"

#include <boost/asio.hpp>

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/email_replies.hpp"
#include "notifiers/curl_multi.hpp"
#include "notifiers/secrets.hpp"
#include "replies/email_reply.hpp"
#include "replies/imap_protocol.hpp"

namespace dondoc::daemon {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t max_per_round = 100;           // then the next round starts at once
constexpr std::size_t max_message = 8u << 20;        // bytes of one message we read

notifiers::curl_multi::options multi_options() {
  notifiers::curl_multi::options o;
  o.name = "imap";
  o.concurrency = 1;  // one connection, one command at a time
  o.connect_timeout = 10s;
  o.total_timeout = 120s;
  o.max_body = max_message;
  return o;
}

std::string describe(const notifiers::curl_result& r) {
  std::string s = r.error.empty() ? std::string(curl_easy_strerror(r.code)) : r.error;
  if (r.code == CURLE_LOGIN_DENIED) s += " (check the user name and password_file)";
  return s;
}

}  // namespace

struct imap_poller::impl : std::enable_shared_from_this<imap_poller::impl> {
  asio::io_context& io;
  app_state& app;
  config::email_replies_settings settings;
  replies::imap_url url;
  std::string password;
  std::string ca_file;
  std::string key;  // the store meta key of the position
  notifiers::curl_multi multi;
  asio::steady_timer timer;
  bool stopped = false;
  bool running = false;
  bool tidied = false;  // the 1:last \Seen after a start
  std::string last_failure_kind;  // of the last failure logged (digits folded)
  // The round in progress.
  std::int64_t uidvalidity = 0, uidnext = 0;
  replies::imap_position pos;
  std::vector<std::int64_t> uids_to_read;
  std::size_t next = 0;
  bool more = false;

  impl(asio::io_context& i, app_state& a, const config::email_replies_settings& s, const std::string& secrets_dir)
      : io(i),
        app(a),
        settings(s),
        password(notifiers::read_secret(secrets_dir, s.password_file, "[channels.email.replies] password_file")),
        key(replies::position_key(s.url, s.username)),
        multi(i, multi_options()),
        timer(i) {
    auto u = replies::parse_imap_url(s.url);
    if (!u) throw std::runtime_error("[channels.email.replies] url \"" + s.url + "\" is not imap(s)://host[:port]/MAILBOX");
    url = std::move(*u);
    if (const char* ca = std::getenv("DONDOC_CA_FILE")) ca_file = ca;
  }

  // --- transfers -----------------------------------------------------------------------

  notifiers::curl_request request(const std::string& target, const std::string& command, bool fresh) const {
    notifiers::curl_request req;
    req.easy = notifiers::make_easy();
    CURL* e = req.easy.get();
    curl_easy_setopt(e, CURLOPT_URL, target.c_str());
    // Each round logs in afresh: on a reused session with the mailbox still selected,
    // the server need not look for new mail (STATUS of the selected mailbox is stale
    // in Dovecot until something syncs it). The rest of the round reuses the session.
    if (fresh) curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    // An idle session is not kept until the next round.
    curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, static_cast<long>(std::clamp<std::int64_t>(settings.poll.count() / 2, 1, 60)));
    if (!command.empty()) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, command.c_str());
    curl_easy_setopt(e, CURLOPT_USERNAME, settings.username.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, password.c_str());
    if (!url.implicit_tls)
      curl_easy_setopt(e, CURLOPT_USE_SSL,
                       static_cast<long>(settings.tls == config::tls_mode::none ? CURLUSESSL_NONE : CURLUSESSL_ALL));
    if (!ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, ca_file.c_str());
    return req;
  }

  void transfer(const std::string& target, const std::string& command, std::function<void(notifiers::curl_result)> then,
                bool fresh = false) {
    multi.submit(request(target, command, fresh), [w = weak_from_this(), then = std::move(then)](notifiers::curl_result r) {
      auto self = w.lock();
      if (!self || self->stopped || r.cancelled) return;
      then(std::move(r));
    });
  }

  // --- the round -----------------------------------------------------------------------

  void arm(std::chrono::seconds wait) {
    if (stopped) return;
    timer.expires_after(wait);
    timer.async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = w.lock()) self->round();
    });
  }

  void round() {
    if (stopped || running) return;
    running = true;
    more = false;
    const std::string command = "STATUS " + replies::imap_quote(url.mailbox) + " (UIDVALIDITY UIDNEXT)";
    transfer(url.base + "/", command, [this](notifiers::curl_result r) { on_status(std::move(r)); }, true);
  }

  void on_status(notifiers::curl_result r) {
    if (r.code != CURLE_OK) return fail("IMAP STATUS failed: " + describe(r));
    const auto st = replies::parse_status(r.body);
    if (!st) return fail("IMAP STATUS: the answer names no UIDVALIDITY and UIDNEXT");
    uidvalidity = st->uidvalidity;
    uidnext = st->uidnext;
    std::optional<replies::imap_position> stored;
    try {
      if (auto v = app.db->meta(key)) stored = replies::parse_position(*v);
    } catch (const std::exception& e) {
      return fail(std::string("the reply mailbox position cannot be read: ") + e.what());
    }
    if (!stored || stored->uidvalidity != uidvalidity) {
      if (stored)
        spdlog::warn("the reply mailbox was rebuilt (UIDVALIDITY {} -> {}); reading it again from its first unseen "
                     "message",
                     stored->uidvalidity, uidvalidity);
      transfer(replies::mailbox_url(url), "UID SEARCH UNSEEN", [this](notifiers::curl_result rr) { on_unseen(std::move(rr)); });
      return;
    }
    pos = *stored;
    tidy_then_search();
  }

  // The first position in a mailbox: just before its first unseen message.
  void on_unseen(notifiers::curl_result r) {
    if (r.code != CURLE_OK) return fail("IMAP UID SEARCH UNSEEN failed: " + describe(r));
    const auto uids = replies::parse_search(r.body);
    if (!uids) return fail("IMAP UID SEARCH: the answer has no SEARCH line");
    const replies::imap_position start{uidvalidity, uids->empty() ? std::max<std::int64_t>(0, uidnext - 1)
                                                                   : uids->front() - 1};
    const std::string k = key;
    auto& a = app;
    app.writes->submit([&a, k, start](sys_seconds) { a.db->set_meta(k, replies::format_position(start)); },
                       [w = weak_from_this(), start](bool committed) {
                         auto self = w.lock();
                         if (!self || self->stopped) return;
                         if (!committed) return self->fail("the reply mailbox position cannot be stored (database)");
                         spdlog::info("reply mailbox: reading messages after UID {} (UIDVALIDITY {})", start.last_uid,
                                      start.uidvalidity);
                         self->pos = start;
                         self->tidied = true;  // nothing of ours below the start to tidy
                         self->search();
                       });
  }

  void tidy_then_search() {
    if (tidied || pos.last_uid <= 0) {
      tidied = true;
      return search();
    }
    tidied = true;
    const std::string command = "UID STORE 1:" + std::to_string(pos.last_uid) + " +FLAGS.SILENT (\\Seen)";
    transfer(replies::mailbox_url(url), command, [this](notifiers::curl_result r) {
      if (r.code != CURLE_OK) spdlog::warn("reply mailbox: cannot flag handled messages \\Seen: {}", describe(r));
      search();
    });
  }

  void search() {
    if (uidnext > 0 && uidnext - 1 <= pos.last_uid) return finish();  // nothing new
    const std::string command = "UID SEARCH UID " + std::to_string(pos.last_uid + 1) + ":*";
    transfer(replies::mailbox_url(url), command, [this](notifiers::curl_result r) { on_search(std::move(r)); });
  }

  void on_search(notifiers::curl_result r) {
    if (r.code != CURLE_OK) return fail("IMAP UID SEARCH failed: " + describe(r));
    auto uids = replies::parse_search(r.body);
    if (!uids) return fail("IMAP UID SEARCH: the answer has no SEARCH line");
    // "N:*" also matches the highest UID when it is below N: keep only new ones.
    std::erase_if(*uids, [&](std::int64_t u) { return u <= pos.last_uid; });
    if (uids->size() > max_per_round) {
      uids->resize(max_per_round);
      more = true;
    }
    uids_to_read = std::move(*uids);
    next = 0;
    fetch_next();
  }

  void fetch_next() {
    if (next >= uids_to_read.size()) return finish();
    const std::int64_t uid = uids_to_read[next];
    transfer(replies::message_url(url, uidvalidity, uid), "",
             [this, uid](notifiers::curl_result r) { on_fetch(uid, std::move(r)); });
  }

  void on_fetch(std::int64_t uid, notifiers::curl_result r) {
    if (r.code != CURLE_OK) return fail(fmt::format("IMAP FETCH of UID {} failed: {}", uid, describe(r)));
    auto message = std::make_shared<const replies::email_message>(replies::read_email(r.body, max_message));
    const replies::imap_position after{uidvalidity, uid};
    const std::string k = key;
    auto& a = app;
    // One unit of work: the reply's effect and the new position commit together.
    app.writes->submit(
        [&a, message, k, after](sys_seconds now) {
          apply_email_reply(a, *message, now);
          a.db->set_meta(k, replies::format_position(after));
        },
        [w = weak_from_this(), uid, after](bool committed) {
          auto self = w.lock();
          if (!self || self->stopped) return;
          self->on_applied(uid, after, committed);
        });
    if (app.wake_dispatch) app.wake_dispatch();  // an acknowledgement may cancel due repeats
  }

  void on_applied(std::int64_t uid, const replies::imap_position& after, bool committed) {
    if (!committed)
      return fail(fmt::format("the reply in UID {} could not be recorded (database); it is read again at the next "
                              "poll",
                              uid));
    pos = after;
    const std::string command = "UID STORE " + std::to_string(uid) + " +FLAGS.SILENT (\\Seen)";
    transfer(replies::mailbox_url(url), command, [this, uid](notifiers::curl_result r) {
      if (r.code != CURLE_OK)
        spdlog::warn("reply mailbox: UID {} handled but not flagged \\Seen: {}", uid, describe(r));
      ++next;
      fetch_next();
    });
  }

  void finish() {
    running = false;
    if (!app.health.imap_error.empty()) spdlog::info("the reply mailbox can be read again");
    app.health.imap_error.clear();
    last_failure_kind.clear();
    arm(more ? 0s : settings.poll);
  }

  void fail(const std::string& message) {
    running = false;
    app.health.imap_error = message;
    // One line per kind of failure, not per poll: numbers (ports, milliseconds, UIDs) in
    // curl's text change from one attempt to the next while the failure stays the same.
    std::string kind;
    for (char c : message)
      if (c < '0' || c > '9') kind.push_back(c);
      else if (kind.empty() || kind.back() != '#') kind.push_back('#');
    if (kind != last_failure_kind) spdlog::error("{}; trying again in {} s", message, settings.poll.count());
    else spdlog::debug("{}; trying again in {} s", message, settings.poll.count());
    last_failure_kind = std::move(kind);
    arm(settings.poll);
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    timer.cancel();
    multi.shutdown();
  }
};

imap_poller::imap_poller(asio::io_context& io, app_state& app, const config::email_replies_settings& settings,
                         const std::string& secrets_dir)
    : impl_(std::make_shared<impl>(io, app, settings, secrets_dir)) {}

imap_poller::~imap_poller() { stop(); }

void imap_poller::start() {
  spdlog::info("reading replies from {} every {} s", impl_->settings.url, impl_->settings.poll.count());
  // Posted, not run here: behind any write batch already queued (see the opening comment).
  asio::post(impl_->io, [w = std::weak_ptr<impl>(impl_)] {
    if (auto self = w.lock()) self->round();
  });
}

void imap_poller::stop() { impl_->stop(); }

std::string imap_poller::signature(const config::config& cfg) {
  if (!cfg.channels.email || !cfg.channels.email->replies) return {};
  const auto& r = *cfg.channels.email->replies;
  std::string password_digest;
  try {
    password_digest = std::to_string(std::hash<std::string>{}(
        notifiers::read_secret(cfg.service.secrets_dir, r.password_file, "[channels.email.replies] password_file")));
  } catch (const std::exception&) {
    password_digest = "unreadable";
  }
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", r.url, r.username, r.password_file, static_cast<int>(r.tls),
                     r.poll.count(), cfg.service.secrets_dir, password_digest);
}

std::unique_ptr<imap_poller> make_imap_poller(asio::io_context& io, app_state& app, const config::config& cfg) {
  if (!cfg.channels.email || !cfg.channels.email->replies) return nullptr;
  return std::make_unique<imap_poller>(io, app, *cfg.channels.email->replies, cfg.service.secrets_dir);
}

}  // namespace dondoc::daemon
