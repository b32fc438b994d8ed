// Raw bytes at the public listener: the real web::http_server (Beast's parser, the limits
// and timeouts of web/server.cpp) on a unix socket, in front of the daemon's public
// handler over a real store (fuzz_app). Each input is written on a fresh connection, the
// client half-closes, and the answer is read to the end. @C/@K/@P/@T markers become a
// real code, row key, provider id or link token (fuzz_app.hpp).
// Properties: the server closes the connection within a bound (no request can hold it
// after the client is done); every answer is HTTP/1.x with a status it documents, never
// 500; no connection is left open afterwards.
#include <boost/asio.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "fuzz_app.hpp"
#include "fuzz_check.hpp"
#include "web/server.hpp"

using namespace dondoc;
namespace asio = boost::asio;
using unix_socket = asio::local::stream_protocol;

namespace {

struct listener {
  asio::io_context io;
  fuzz::fuzz_app app{fuzz::provider::esms};
  std::string path;
  std::unique_ptr<web::http_server> server;

  listener() {
    spdlog::set_level(spdlog::level::critical);
    path = (std::filesystem::exists("/dev/shm") ? std::string("/dev/shm") : std::string("/tmp")) +
           "/dondoc-fuzz-http-" + std::to_string(getpid()) + ".sock";
    app.on_write = [this] { asio::post(io, [this] { app.run_writes(); }); };
    web::server_options o;
    static std::string socket_path;  // removed at exit (the listener lives until then)
    socket_path = path;
    std::atexit([] { ::unlink(socket_path.c_str()); });
    o.listen = "unix:" + path;
    server = std::make_unique<web::http_server>(io, o, app.handler);
    server->start();
  }
};

bool documented(int status) {
  switch (status) {
    case 200: case 303: case 400: case 403: case 404: case 405: case 408: case 410: case 413: case 431: case 503:
      return true;
    default:
      return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static listener* l = new listener;
  static std::uint64_t runs = 0;
  if (++runs % 50000 == 0) l->app.reset();  // the handler keeps a reference to app.app: still valid
  const std::string input = fuzz::substitute(std::string_view(reinterpret_cast<const char*>(data), size), l->app);

  unix_socket::socket client(l->io);
  client.connect(unix_socket::endpoint(l->path));
  std::string answer;
  bool written = false, done = false;
  std::array<char, 8192> buf{};
  asio::async_write(client, asio::buffer(input), [&](boost::system::error_code, std::size_t) {
    boost::system::error_code ec;
    client.shutdown(unix_socket::socket::shutdown_send, ec);
    written = true;
  });
  std::function<void(boost::system::error_code, std::size_t)> on_read = [&](boost::system::error_code ec, std::size_t n) {
    answer.append(buf.data(), n);
    if (ec || answer.size() > (1u << 20)) {
      done = true;
      return;
    }
    client.async_read_some(asio::buffer(buf), on_read);
  };
  client.async_read_some(asio::buffer(buf), on_read);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!(done && written) && std::chrono::steady_clock::now() < deadline) l->io.run_one_for(std::chrono::milliseconds(100));
  FUZZ_CHECK(done && written, "the server answers and closes within 20 s of the client's half-close");
  client.close();
  l->io.poll();
  // Every answer on the connection: "HTTP/1.x NNN …" at each response start.
  for (std::size_t p = answer.find("HTTP/1."); p != std::string::npos; p = answer.find("\r\n\r\nHTTP/1.", p + 1)) {
    const std::size_t s = answer.compare(p, 4, "\r\n\r\n") == 0 ? p + 4 : p;
    if (answer.size() < s + 12) break;
    const int status = std::atoi(answer.substr(s + 9, 3).c_str());
    FUZZ_CHECK(documented(status), "a documented status (never 500)");
  }
  FUZZ_CHECK(answer.empty() || answer.rfind("HTTP/1.", 0) == 0, "an answer starts with a status line");
  for (int i = 0; i < 100 && l->server->stats().open > 0; ++i) l->io.run_one_for(std::chrono::milliseconds(10));
  FUZZ_CHECK(l->server->stats().open == 0, "no connection is left open");
  return 0;
}
