// Running an io_context in tests: until a condition holds, bounded in time.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <thread>

namespace dondoc::test {

inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    if (io.run_for(std::chrono::milliseconds(20)) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return done();
}

inline void run_for(boost::asio::io_context& io, std::chrono::milliseconds d) {
  run_until(io, [] { return false; }, d);
}

}  // namespace dondoc::test
