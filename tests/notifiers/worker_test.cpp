// The worker thread the daemon composes emails on (notifiers/worker.hpp): tasks run in
// order on a thread of their own, a failing task does not stop the next, the queue is
// run before the thread is joined, and an email composed there is the same as one
// composed on the calling thread while that thread composes too. Also run under TSan.
#include "notifiers/worker.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <regex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "notifiers/compose.hpp"
#include "test_support.hpp"

using namespace dondoc;
using namespace dondoc::notifiers;

namespace {

// The MIME boundaries are random; everything else of a message is determined by its input.
std::string without_boundaries(const std::string& data) {
  static const std::regex boundary(R"(boundary="([^"]+)\")");
  std::vector<std::string> found;
  for (auto it = std::sregex_iterator(data.begin(), data.end(), boundary); it != std::sregex_iterator(); ++it)
    found.push_back((*it)[1].str());
  std::string out = data;
  for (std::size_t k = 0; k < found.size(); ++k) {
    const std::string mark = "<boundary " + std::to_string(k) + ">";
    for (std::size_t at = 0; (at = out.find(found[k], at)) != std::string::npos; at += mark.size())
      out.replace(at, found[k].size(), mark);
  }
  return out;
}

}  // namespace

TEST_CASE("the worker runs tasks in order on its own thread, past a failing one, and all of them before it joins") {
  std::vector<int> order;
  std::atomic<bool> other_thread{true};
  const auto caller = std::this_thread::get_id();
  {
    worker_thread w;
    for (int i = 0; i < 100; ++i) {
      if (i == 50) w.post([] { throw std::runtime_error("a task that fails"); });
      w.post([&order, &other_thread, caller, i] {
        if (std::this_thread::get_id() == caller) other_thread = false;
        order.push_back(i);  // only the worker touches it until the join below
      });
    }
  }  // the destructor runs the queue, then joins
  REQUIRE(order.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
  CHECK(other_thread);
}

TEST_CASE("an email composed on the worker is the one composed on the calling thread") {
  const auto cfg = test::load_roster();
  auto input = [&](int i) {  // one message per i: its own link, Reply-To and key
    auto in = test::reminder_input(*cfg);
    in.link = "https://dondoc.snv.example/a/tok" + std::to_string(i);
    in.reply_to = "dondoc-replies+tok" + std::to_string(i) + "@snv.example";
    in.key = std::string(25, 'a') + static_cast<char>('a' + i % 26);
    return in;
  };
  constexpr int n = 40;
  std::vector<std::promise<std::string>> made(n);
  {
    worker_thread w;
    for (int i = 0; i < n; ++i)
      w.post([&made, &input, i] {
        const auto in = input(i);
        auto& p = made[static_cast<std::size_t>(i)];
        try {
          p.set_value(make_email(in, compose_email(in)).data);
        } catch (...) {
          p.set_exception(std::current_exception());  // get() below rethrows, never waits forever
        }
      });
    // Meanwhile this thread composes the same messages (GMime, ICU and the templates
    // used from two threads at once).
    for (int i = 0; i < n; ++i) {
      const auto in = input(i);
      const auto here = make_email(in, compose_email(in)).data;
      const auto there = made[static_cast<std::size_t>(i)].get_future().get();
      CHECK(there.find("Subject: ") != std::string::npos);
      CHECK(there.find("tok" + std::to_string(i)) != std::string::npos);
      CHECK(without_boundaries(there) == without_boundaries(here));
    }
  }
}
