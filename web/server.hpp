// The HTTP listener: TCP (host:port) or a unix socket (unix:/path), on the daemon's
// io_context. A slow or hostile client cannot exhaust the daemon: headers and bodies have
// size limits and timeouts, idle keep-alive connections are closed, and connections
// beyond a cap are refused. Requests become web::request values for a handler.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "web/http.hpp"

namespace boost::asio {
class io_context;
}

namespace dondoc::web {

struct server_options {
  std::string listen;  // "127.0.0.1:8080", "0.0.0.0:8080", "[::1]:8081", "unix:/run/dondoc/admin.sock"
  bool admin = false;
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 64 * 1024;
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_timeout{20};
  std::chrono::seconds idle_timeout{30};
  std::chrono::seconds handler_timeout{30};
  std::size_t max_connections = 512;
  std::vector<std::string> trusted_proxies;  // whose X-Forwarded-For is believed
};

struct server_stats {
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;  // over the connection cap
  std::uint64_t timeouts = 0;
  std::uint64_t too_large = 0;
  std::uint64_t bad_requests = 0;
  std::size_t open = 0;
};

class http_server {
 public:
  http_server(boost::asio::io_context& io, server_options opts, handler h);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds and listens; throws std::runtime_error naming the address on failure.
  void start();
  // Stops accepting and closes every connection.
  void stop();
  // The bound address ("127.0.0.1:41234" — useful with port 0 — or "unix:/path").
  std::string endpoint() const;
  server_stats stats() const;

  // Called after each response (metrics: route, status).
  std::function<void(const request&, int status)> on_response;

  struct impl;  // opaque; public so the sessions in server.cpp can name it

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace dondoc::web
