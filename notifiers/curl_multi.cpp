// The libcurl multi interface on an Asio io_context ("multi_socket" API).
//
// curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to wake it
// (CURLMOPT_TIMERFUNCTION); we wait with Asio and call curl_multi_socket_action when a
// socket is ready or the timer fires — the pattern of Asio's third_party_lib example,
// where a library that does its own I/O is driven by async_wait.
//
// Rules that keep it correct:
//  - curl owns its sockets. Each is wrapped in a posix::stream_descriptor only to wait
//    on it, and released (never closed) at CURL_POLL_REMOVE; release() also cancels the
//    pending waits.
//  - A wait is one-shot: after each event we call curl, then re-arm the directions curl
//    still wants, until it says CURL_POLL_REMOVE. (Asio's epoll reactor re-checks
//    readiness whenever a wait is queued, so a socket curl left readable wakes us again.)
//  - Inside curl's callbacks we only update our own maps and Asio waits; every call into
//    curl happens from our own handlers, and completions run after curl has returned.
//  - Handlers find their socket by (fd, generation) and their transfer by id, and hold
//    a weak_ptr to the engine: a socket curl closed and reopened with the same number,
//    or an engine destroyed while a wait was queued, cannot be reached by a stale handler.
#include "notifiers/curl_multi.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace dondoc::notifiers {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

void curl_global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

easy_ptr make_easy() {
  curl_global_init_once();
  easy_ptr e(curl_easy_init());
  if (!e) throw std::bad_alloc();
  return e;
}

struct curl_multi::impl : std::enable_shared_from_this<impl> {
  struct transfer {
    std::uint64_t id = 0;
    curl_request req;
    done_fn done;
    std::string body;
    std::size_t max_body = 0;
    std::size_t upload_offset = 0;
    steady_clock::time_point started;
    char errbuf[CURL_ERROR_SIZE] = {};
  };
  struct watched {
    std::uint64_t gen = 0;
    int what = 0;
    std::unique_ptr<asio::posix::stream_descriptor> desc;
    bool read_pending = false;
    bool write_pending = false;
  };

  asio::io_context& io_;
  options opts_;
  CURLM* multi_ = nullptr;
  asio::steady_timer timer_;
  std::uint64_t timer_gen_ = 0;
  std::uint64_t next_id_ = 1;
  std::uint64_t next_gen_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<transfer>> active_;
  std::deque<std::unique_ptr<transfer>> waiting_;
  std::unordered_map<curl_socket_t, watched> sockets_;
  std::vector<std::pair<done_fn, curl_result>> finished_;
  bool stopped_ = false;

  impl(asio::io_context& io, options opts) : io_(io), opts_(std::move(opts)), timer_(io) {
    curl_global_init_once();
    if (opts_.concurrency < 1) opts_.concurrency = 1;
    multi_ = curl_multi_init();
    if (multi_ == nullptr) throw std::bad_alloc();
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &impl::socket_cb);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &impl::timer_cb);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(opts_.concurrency));
  }

  ~impl() {
    // Sockets still watched belong to the connection cache: release them first, then
    // let curl close them (its REMOVE callbacks find nothing left to release).
    for (auto& [fd, w] : sockets_) w.desc->release();
    sockets_.clear();
    curl_multi_cleanup(multi_);
  }

  // ---- curl callbacks: no curl calls, no exceptions out ------------------------------

  static int socket_cb(CURL*, curl_socket_t s, int what, void* userp, void*) noexcept {
    auto* self = static_cast<impl*>(userp);
    try {
      if (what == CURL_POLL_REMOVE) {
        if (auto it = self->sockets_.find(s); it != self->sockets_.end()) {
          it->second.desc->release();  // cancels its waits; curl closes the fd
          self->sockets_.erase(it);
        }
        return 0;
      }
      if (self->stopped_) return 0;
      auto it = self->sockets_.find(s);
      if (it == self->sockets_.end()) {
        watched w;
        w.gen = self->next_gen_++;
        w.desc = std::make_unique<asio::posix::stream_descriptor>(self->io_, s);
        it = self->sockets_.emplace(s, std::move(w)).first;
      }
      it->second.what = what;
      self->arm(s, it->second);
      return 0;
    } catch (const std::exception& e) {
      spdlog::error("curl socket watch failed engine={} error=\"{}\"", self->opts_.name, e.what());
      return -1;
    } catch (...) {
      return -1;
    }
  }

  static int timer_cb(CURLM*, long timeout_ms, void* userp) noexcept {
    auto* self = static_cast<impl*>(userp);
    try {
      const std::uint64_t gen = ++self->timer_gen_;
      self->timer_.cancel();
      if (timeout_ms < 0 || self->stopped_) return 0;
      self->timer_.expires_after(milliseconds(timeout_ms));
      self->timer_.async_wait([w = self->weak_from_this(), gen](const boost::system::error_code& ec) {
        auto s = w.lock();
        if (!s || ec == asio::error::operation_aborted || gen != s->timer_gen_ || s->stopped_) return;
        s->action(CURL_SOCKET_TIMEOUT, 0);
        s->deliver();
      });
      return 0;
    } catch (...) {
      return -1;
    }
  }

  static size_t write_cb(char* data, size_t size, size_t n, void* userp) noexcept {
    auto* t = static_cast<transfer*>(userp);
    const size_t len = size * n;
    try {
      const size_t room = t->max_body > t->body.size() ? t->max_body - t->body.size() : 0;
      t->body.append(data, std::min(len, room));
    } catch (...) {
      return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    return len;
  }

  static size_t read_cb(char* buf, size_t size, size_t n, void* userp) noexcept {
    auto* t = static_cast<transfer*>(userp);
    const std::string& up = *t->req.upload;
    const size_t len = std::min(size * n, up.size() - t->upload_offset);
    std::memcpy(buf, up.data() + t->upload_offset, len);
    t->upload_offset += len;
    return len;
  }

  // ---- Asio side ---------------------------------------------------------------------

  void arm(curl_socket_t s, watched& w) {
    if ((w.what & CURL_POLL_IN) != 0 && !w.read_pending) {
      w.read_pending = true;
      w.desc->async_wait(asio::posix::stream_descriptor::wait_read,
                         [wk = weak_from_this(), s, gen = w.gen](const boost::system::error_code& ec) {
                           if (auto self = wk.lock()) self->on_ready(s, gen, true, ec);
                         });
    }
    if ((w.what & CURL_POLL_OUT) != 0 && !w.write_pending) {
      w.write_pending = true;
      w.desc->async_wait(asio::posix::stream_descriptor::wait_write,
                         [wk = weak_from_this(), s, gen = w.gen](const boost::system::error_code& ec) {
                           if (auto self = wk.lock()) self->on_ready(s, gen, false, ec);
                         });
    }
  }

  void on_ready(curl_socket_t s, std::uint64_t gen, bool read, const boost::system::error_code& ec) {
    auto it = sockets_.find(s);
    if (it == sockets_.end() || it->second.gen != gen) return;  // released, or a new socket with that number
    (read ? it->second.read_pending : it->second.write_pending) = false;
    if (ec == asio::error::operation_aborted || stopped_) return;
    if ((it->second.what & (read ? CURL_POLL_IN : CURL_POLL_OUT)) == 0) return;  // no longer wanted
    int mask = read ? CURL_CSELECT_IN : CURL_CSELECT_OUT;
    if (ec) mask |= CURL_CSELECT_ERR;
    action(s, mask);
    if (auto again = sockets_.find(s); again != sockets_.end() && again->second.gen == gen) arm(s, again->second);
    deliver();
  }

  // Calls curl, then collects the finished transfers and starts queued ones.
  void action(curl_socket_t s, int mask) {
    int running = 0;
    const CURLMcode mc = curl_multi_socket_action(multi_, s, mask, &running);
    if (mc != CURLM_OK)
      spdlog::error("curl_multi_socket_action failed engine={} error=\"{}\"", opts_.name, curl_multi_strerror(mc));
    collect();
    start_waiting();
  }

  void collect() {
    std::vector<std::pair<CURL*, CURLcode>> done;
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left))
      if (m->msg == CURLMSG_DONE) done.emplace_back(m->easy_handle, m->data.result);
    for (auto [easy, code] : done) {
      char* priv = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
      const auto id = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(priv));
      auto it = active_.find(id);
      curl_multi_remove_handle(multi_, easy);
      if (it == active_.end()) continue;  // cannot happen: every handle in the multi is active
      std::unique_ptr<transfer> t = std::move(it->second);
      active_.erase(it);
      curl_result r;
      r.code = code;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.response_code);
      r.body = std::move(t->body);
      if (code != CURLE_OK) r.error = t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(code);
      r.elapsed = std::chrono::duration_cast<milliseconds>(steady_clock::now() - t->started);
      finished_.emplace_back(std::move(t->done), std::move(r));
    }
  }

  void start_waiting() {
    while (!stopped_ && !waiting_.empty() && static_cast<std::int64_t>(active_.size()) < opts_.concurrency) {
      std::unique_ptr<transfer> t = std::move(waiting_.front());
      waiting_.pop_front();
      start(std::move(t));
    }
  }

  void start(std::unique_ptr<transfer> t) {
    CURL* e = t->req.easy.get();
    t->started = steady_clock::now();
    const std::uint64_t id = t->id;
    active_.emplace(id, std::move(t));
    const CURLMcode mc = curl_multi_add_handle(multi_, e);
    if (mc != CURLM_OK) {
      auto node = active_.extract(id);
      curl_result r;
      r.code = CURLE_FAILED_INIT;
      r.error = std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc);
      finished_.emplace_back(std::move(node.mapped()->done), std::move(r));
    }
  }

  // Runs the completions gathered so far. A completion may submit again or even destroy
  // the owning curl_multi; the caller holds a shared_ptr, so members stay valid.
  void deliver() {
    while (!finished_.empty()) {
      auto batch = std::move(finished_);
      finished_.clear();
      for (auto& [done, r] : batch) {
        try {
          if (done) done(std::move(r));
        } catch (const std::exception& e) {
          spdlog::critical("a transfer completion threw engine={} error=\"{}\"", opts_.name, e.what());
        }
      }
    }
  }

  void configure(transfer& t) {
    CURL* e = t.req.easy.get();
    curl_easy_setopt(e, CURLOPT_PRIVATE, reinterpret_cast<char*>(static_cast<std::uintptr_t>(t.id)));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &impl::write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts_.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(opts_.total_timeout.count()));
    if (t.req.headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.req.headers.get());
    if (t.req.mail_rcpt) curl_easy_setopt(e, CURLOPT_MAIL_RCPT, t.req.mail_rcpt.get());
    if (t.req.post_body) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.req.post_body->size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.req.post_body->data());
    }
    if (t.req.upload) {
      curl_easy_setopt(e, CURLOPT_READFUNCTION, &impl::read_cb);
      curl_easy_setopt(e, CURLOPT_READDATA, &t);
      curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.req.upload->size()));
    }
  }

  static curl_result cancelled_result() {
    curl_result r;
    r.code = CURLE_ABORTED_BY_CALLBACK;
    r.cancelled = true;
    r.error = "shut down before the transfer completed";
    return r;
  }

  void submit(curl_request req, done_fn done) {
    if (stopped_ || !req.easy) {
      curl_result r = cancelled_result();
      if (!req.easy) {
        r.cancelled = false;
        r.code = CURLE_FAILED_INIT;
        r.error = "no easy handle";
      }
      asio::post(io_, [done = std::move(done), r = std::move(r)]() mutable {
        if (done) done(std::move(r));
      });
      return;
    }
    auto t = std::make_unique<transfer>();
    t->id = next_id_++;
    t->req = std::move(req);
    t->done = std::move(done);
    t->max_body = opts_.max_body;
    configure(*t);
    if (static_cast<std::int64_t>(active_.size()) < opts_.concurrency && waiting_.empty()) {
      start(std::move(t));
      if (!finished_.empty())  // add_handle failed: complete later, never inside submit
        asio::post(io_, [w = weak_from_this()] {
          if (auto s = w.lock()) s->deliver();
        });
    } else {
      waiting_.push_back(std::move(t));
    }
  }

  void shutdown() {
    if (stopped_) return;
    stopped_ = true;
    ++timer_gen_;
    timer_.cancel();
    std::vector<std::pair<done_fn, curl_result>> out;
    // remove_handle may call socket_cb (REMOVE), which only edits sockets_.
    for (auto& [id, t] : active_) {
      curl_multi_remove_handle(multi_, t->req.easy.get());
      out.emplace_back(std::move(t->done), cancelled_result());
    }
    active_.clear();
    for (auto& t : waiting_) out.emplace_back(std::move(t->done), cancelled_result());
    waiting_.clear();
    for (auto& f : finished_) out.push_back(std::move(f));
    finished_.clear();
    for (auto& [fd, w] : sockets_) w.desc->release();
    sockets_.clear();
    for (auto& [done, r] : out) {
      try {
        if (done) done(std::move(r));
      } catch (const std::exception& e) {
        spdlog::critical("a transfer completion threw engine={} error=\"{}\"", opts_.name, e.what());
      }
    }
  }
};

curl_multi::curl_multi(asio::io_context& io, options opts) : impl_(std::make_shared<impl>(io, std::move(opts))) {}

curl_multi::~curl_multi() {
  if (impl_) impl_->shutdown();
}

void curl_multi::submit(curl_request req, done_fn done) { impl_->submit(std::move(req), std::move(done)); }

void curl_multi::shutdown() {
  // Keep the engine alive while completions run: one of them may destroy *this.
  std::shared_ptr<impl> keep = impl_;
  keep->shutdown();
}

std::size_t curl_multi::running() const { return impl_->active_.size(); }
std::size_t curl_multi::queued() const { return impl_->waiting_.size(); }
std::size_t curl_multi::sockets() const { return impl_->sockets_.size(); }

}  // namespace dondoc::notifiers
