// A thread of its own for CPU work the I/O thread should not wait on. Composing an email
// (templating, GMime) was half of the sender's time per message; on the I/O thread it
// delayed every SMTP answer that arrived meanwhile, and the transport and the server
// then took turns instead of overlapping. Tasks run one at a time, in order; a task hands
// its result back itself (e.g. asio::post to the io_context), so this file needs no Asio.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace dondoc::notifiers {

class worker_thread {
 public:
  worker_thread();
  // Runs what is already queued, then joins.
  ~worker_thread();
  worker_thread(const worker_thread&) = delete;
  worker_thread& operator=(const worker_thread&) = delete;

  // Queues a task. A task that throws is logged and dropped: it reports its own failures
  // through what it hands back.
  void post(std::function<void()> task);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest is constructed
};

}  // namespace dondoc::notifiers
