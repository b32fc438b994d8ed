#include "notifiers/worker.hpp"

#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

namespace dondoc::notifiers {

worker_thread::worker_thread() : thread_([this] { run(); }) {}

worker_thread::~worker_thread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void worker_thread::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void worker_thread::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("worker: a task failed: {}", e.what());
    } catch (...) {
      spdlog::error("worker: a task failed");
    }
  }
}

}  // namespace dondoc::notifiers
