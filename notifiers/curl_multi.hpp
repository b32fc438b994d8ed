// libcurl's multi interface driven by the daemon's Asio io_context: every transfer of a
// transport (SMTP, SMS gateway) runs on the io_context thread, without threads of our
// own. Asio is only in curl_multi.cpp (a pimpl), so the other notifier sources stay
// cheap to compile.
//
// Contract:
//  - One curl_multi per transport, used from the io_context's thread only.
//  - submit() never completes synchronously: `done` runs later on the io_context, once.
//  - At most `concurrency` transfers run at once; the rest wait in FIFO order.
//  - Connections are kept in the multi handle's cache and reused by later transfers.
//  - shutdown() (also run by the destructor) aborts every running and queued transfer
//    and completes each synchronously with `cancelled = true`; later submits complete
//    the same way. Destroy a curl_multi before its io_context.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio {
class io_context;
}

namespace dondoc::notifiers {

struct curl_easy_deleter {
  void operator()(CURL* e) const {
    if (e != nullptr) curl_easy_cleanup(e);
  }
};
using easy_ptr = std::unique_ptr<CURL, curl_easy_deleter>;

struct curl_slist_deleter {
  void operator()(curl_slist* l) const {
    if (l != nullptr) curl_slist_free_all(l);
  }
};
using slist_ptr = std::unique_ptr<curl_slist, curl_slist_deleter>;

// curl_global_init, once per process, thread-safe.
void curl_global_init_once();
// A new easy handle (after curl_global_init_once); never null (throws bad_alloc).
easy_ptr make_easy();

// One transfer: an easy handle the caller configured (URL, method, auth, TLS) plus the
// data that must live as long as the transfer; the engine sets the pointers to it.
struct curl_request {
  easy_ptr easy;
  slist_ptr headers;                     // CURLOPT_HTTPHEADER when set
  slist_ptr mail_rcpt;                   // CURLOPT_MAIL_RCPT when set
  std::optional<std::string> post_body;  // CURLOPT_POSTFIELDS (+ size) when set
  std::optional<std::string> upload;     // CURLOPT_UPLOAD with a READFUNCTION over it (SMTP DATA)
};

struct curl_result {
  CURLcode code = CURLE_OK;
  long response_code = 0;  // HTTP status, or the last SMTP reply code
  std::string body;        // response body, at most options::max_body bytes
  std::string error;       // curl's error text when code != CURLE_OK
  bool cancelled = false;  // aborted by shutdown()
  std::chrono::milliseconds elapsed{0};
};

class curl_multi {
 public:
  struct options {
    std::string name = "curl";  // for logs
    std::int64_t concurrency = 4;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds total_timeout{60'000};
    std::size_t max_body = 1 << 20;
  };
  using done_fn = std::function<void(curl_result)>;

  curl_multi(boost::asio::io_context& io, options opts);
  ~curl_multi();
  curl_multi(const curl_multi&) = delete;
  curl_multi& operator=(const curl_multi&) = delete;

  void submit(curl_request req, done_fn done);
  void shutdown();

  std::size_t running() const;  // transfers inside curl
  std::size_t queued() const;   // waiting for a free slot
  std::size_t sockets() const;  // curl sockets watched by Asio

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace dondoc::notifiers
