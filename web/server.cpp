// Beast HTTP/1.1 server, one session object per connection (the shape of Beast's
// advanced server examples, written anew): read the header under a short deadline, then
// the body under another, hand a plain web::request to the handler, write its answer,
// and loop for keep-alive under an idle deadline. TCP and unix sockets share the code
// through a template on the protocol. This is the only translation unit of web/ that
// includes Beast: each one costs about a minute and 1.5 GB under sanitizers.
#include "web/server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <spdlog/spdlog.h>

#include <filesystem>
#include <stdexcept>

namespace dondoc::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using unix_proto = asio::local::stream_protocol;

struct session_base {
  virtual ~session_base() = default;
  virtual void close() = 0;
};

struct http_server::impl : std::enable_shared_from_this<http_server::impl> {
  asio::io_context& io;
  server_options opts;
  handler on_request;
  std::function<void(const request&, int)>* on_response = nullptr;
  std::unique_ptr<tcp::acceptor> tcp_acceptor;
  std::unique_ptr<unix_proto::acceptor> unix_acceptor;
  std::string unix_path;
  server_stats stats;
  bool stopped = false;
  std::vector<std::weak_ptr<session_base>> sessions;  // to close them on stop

  impl(asio::io_context& i, server_options o, handler h) : io(i), opts(std::move(o)), on_request(std::move(h)) {}

  void accept_tcp();
  void accept_unix();
  template <class Protocol>
  void launch(typename Protocol::socket sock, std::string peer);
};

namespace {

std::string format_status_body(int status) {
  switch (status) {
    case 400: return "bad request\n";
    case 408: return "request timeout\n";
    case 413: return "payload too large\n";
    case 431: return "request header fields too large\n";
    case 503: return "busy\n";
    default: return "error\n";
  }
}

template <class Protocol>
class session : public session_base, public std::enable_shared_from_this<session<Protocol>> {
 public:
  using stream_t = beast::basic_stream<Protocol, asio::any_io_executor, beast::unlimited_rate_policy>;

  session(std::shared_ptr<http_server::impl> server, typename Protocol::socket sock, std::string peer)
      : server_(std::move(server)), stream_(std::move(sock)), peer_(std::move(peer)) {}

  ~session() override { --server_->stats.open; }

  void start() { read_header(); }

  void close() override {
    beast::error_code ec;
    stream_.socket().shutdown(Protocol::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->opts.header_limit));
    parser_->body_limit(server_->opts.body_limit);
    // The first request's headers get header_timeout; later waits on a kept-alive
    // connection include the idle time between requests.
    stream_.expires_after(first_ ? server_->opts.idle_timeout : server_->opts.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  void on_header(beast::error_code ec) {
    if (ec) return fail(ec);
    first_ = true;
    stream_.expires_after(server_->opts.body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code e, std::size_t) { self->on_body(e); });
  }

  void on_body(beast::error_code ec) {
    if (ec) return fail(ec);
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    const auto q = req.target.find('?');
    req.path = url_decode(std::string_view(req.target).substr(0, q), false);
    if (q != std::string::npos) req.query = parse_query(std::string_view(req.target).substr(q + 1));
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    req.body = std::move(msg.body());
    req.admin = server_->opts.admin;
    req.peer = peer_;
    // X-Forwarded-For is believed only from a trusted proxy: its last address.
    const auto& trusted = server_->opts.trusted_proxies;
    if (std::find(trusted.begin(), trusted.end(), peer_) != trusted.end())
      if (auto xff = req.header("x-forwarded-for")) {
        std::string_view v = *xff;
        const auto comma = v.rfind(',');
        if (comma != std::string_view::npos) v.remove_prefix(comma + 1);
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
        if (!v.empty() && v.size() < 64) req.peer = std::string(v);
      }
    version_ = msg.version();
    // The handler answers once, possibly later; a deadline guards a handler that never does.
    stream_.expires_never();
    auto answered = std::make_shared<bool>(false);
    auto self = this->shared_from_this();
    auto timer = std::make_shared<asio::steady_timer>(server_->io, server_->opts.handler_timeout);
    timer->async_wait([self, answered](beast::error_code e) {
      if (e || *answered) return;
      *answered = true;
      self->write(response::text(503, "timeout\n"), nullptr);
    });
    auto req_copy = std::make_shared<request>(req);
    server_->on_request(std::move(req), [self, answered, timer, req_copy](response res) {
      if (*answered) return;
      *answered = true;
      timer->cancel();
      // The handler may answer from another call stack; write on the io_context.
      asio::post(self->server_->io, [self, res = std::move(res), req_copy]() mutable {
        self->write(std::move(res), req_copy);
      });
    });
  }

  void write(response res, std::shared_ptr<request> req) {
    if (server_->on_response && *server_->on_response && req) (*server_->on_response)(*req, res.status);
    auto out = std::make_shared<http::response<http::string_body>>();
    out->version(version_);
    out->result(static_cast<http::status>(res.status));
    out->set(http::field::server, "dondoc");
    out->set(http::field::content_type, res.content_type);
    out->set(http::field::cache_control, "no-store");
    out->set("X-Content-Type-Options", "nosniff");
    for (auto& [k, v] : res.headers) out->set(k, v);
    out->body() = std::move(res.body);
    out->keep_alive(keep_alive_);
    out->prepare_payload();
    // HEAD: the headers of the GET answer (its Content-Length too), and no body — a body
    // here would be read by a keep-alive client as the start of the next answer.
    if (req && req->method == "HEAD") out->body().clear();
    stream_.expires_after(server_->opts.body_timeout);
    http::async_write(stream_, *out, [self = this->shared_from_this(), out](beast::error_code ec, std::size_t) {
      if (ec || !out->keep_alive()) {
        self->close();
        return;
      }
      self->read_header();
    });
  }

  void fail(beast::error_code ec) {
    int status = 0;
    if (ec == beast::error::timeout) {
      ++server_->stats.timeouts;
      status = first_ ? 0 : 408;  // idle keep-alive: just close
    } else if (ec == http::error::body_limit) {
      ++server_->stats.too_large;
      status = 413;
    } else if (ec == http::error::header_limit) {
      ++server_->stats.too_large;
      status = 431;
    } else if (ec != http::error::end_of_stream && ec != asio::error::eof && ec != asio::error::operation_aborted &&
               ec != asio::error::connection_reset) {
      ++server_->stats.bad_requests;
      status = 400;
    }
    if (status == 0 || ec == beast::error::timeout) {
      close();
      return;
    }
    keep_alive_ = false;
    write(response::text(status, format_status_body(status)), nullptr);
  }

  std::shared_ptr<http_server::impl> server_;
  stream_t stream_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = false;
  bool first_ = false;  // true once a request has been read (later waits are idle waits)
  unsigned version_ = 11;
};

std::pair<std::string, std::string> split_host_port(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("listen address \"" + listen + "\" has no port");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {host, listen.substr(colon + 1)};
}

}  // namespace

template <class Protocol>
void http_server::impl::launch(typename Protocol::socket sock, std::string peer) {
  if (stopped) return;
  if (stats.open >= opts.max_connections) {
    ++stats.refused;
    beast::error_code ec;
    sock.close(ec);
    return;
  }
  ++stats.accepted;
  ++stats.open;
  auto s = std::make_shared<session<Protocol>>(shared_from_this(), std::move(sock), std::move(peer));
  if (sessions.size() > 2 * stats.open + 16)
    std::erase_if(sessions, [](const std::weak_ptr<session_base>& w) { return w.expired(); });
  sessions.push_back(s);
  s->start();
}

void http_server::impl::accept_tcp() {
  tcp_acceptor->async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket sock) {
    if (self->stopped) return;
    if (!ec) {
      beast::error_code e2;
      const auto ep = sock.remote_endpoint(e2);
      std::string peer = e2 ? std::string() : ep.address().to_string();
      self->launch<tcp>(std::move(sock), std::move(peer));
    } else if (ec == asio::error::no_descriptors) {
      spdlog::warn("accept failed: out of file descriptors");
    }
    self->accept_tcp();
  });
}

void http_server::impl::accept_unix() {
  unix_acceptor->async_accept([self = shared_from_this()](beast::error_code ec, unix_proto::socket sock) {
    if (self->stopped) return;
    if (!ec) self->launch<unix_proto>(std::move(sock), "unix");
    self->accept_unix();
  });
}

http_server::http_server(asio::io_context& io, server_options opts, handler h)
    : impl_(std::make_shared<impl>(io, std::move(opts), std::move(h))) {
  impl_->on_response = &on_response;
}

http_server::~http_server() {
  stop();
  impl_->on_response = nullptr;
}

void http_server::start() {
  auto& o = impl_->opts;
  if (o.listen.rfind("unix:", 0) == 0) {
    impl_->unix_path = o.listen.substr(5);
    std::error_code fec;
    std::filesystem::remove(impl_->unix_path, fec);  // a stale socket from a crash
    try {
      impl_->unix_acceptor = std::make_unique<unix_proto::acceptor>(impl_->io, unix_proto::endpoint(impl_->unix_path));
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot listen on " + o.listen + ": " + e.what());
    }
    std::filesystem::permissions(impl_->unix_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                                       std::filesystem::perms::group_read | std::filesystem::perms::group_write,
                                 fec);
    impl_->accept_unix();
    return;
  }
  const auto [host, port] = split_host_port(o.listen);
  beast::error_code ec;
  const auto addr = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) throw std::runtime_error("cannot listen on " + o.listen + ": \"" + host + "\" is not an IP address");
  unsigned long p = 0;
  try {
    p = std::stoul(port);
  } catch (...) {
    throw std::runtime_error("cannot listen on " + o.listen + ": bad port");
  }
  const tcp::endpoint ep(addr, static_cast<unsigned short>(p));
  auto acc = std::make_unique<tcp::acceptor>(impl_->io);
  acc->open(ep.protocol(), ec);
  if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc->bind(ep, ec);
  if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + o.listen + ": " + ec.message());
  impl_->tcp_acceptor = std::move(acc);
  impl_->accept_tcp();
}

void http_server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ec;
  if (impl_->tcp_acceptor) impl_->tcp_acceptor->close(ec);
  if (impl_->unix_acceptor) {
    impl_->unix_acceptor->close(ec);
    std::error_code fec;
    std::filesystem::remove(impl_->unix_path, fec);
  }
  for (auto& w : impl_->sessions)
    if (auto p = w.lock()) p->close();
  impl_->sessions.clear();
}

std::string http_server::endpoint() const {
  if (impl_->unix_acceptor) return "unix:" + impl_->unix_path;
  if (!impl_->tcp_acceptor) return {};
  beast::error_code ec;
  const auto ep = impl_->tcp_acceptor->local_endpoint(ec);
  if (ec) return {};
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

server_stats http_server::stats() const { return impl_->stats; }

}  // namespace dondoc::web
