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
using namespace std::chrono;
using date::operator""_y;

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
  const auto* report = cfg->find_report("dan-van-6-thang");
  REQUIRE(report);
  auto input = [&](int i) {
    compose_input in;
    in.cfg = cfg.get();
    in.report = report;
    in.occurrence = "dan-van-6-thang@2019-06-15";
    in.nominal = date::sys_days{2019_y / 6 / 15};
    in.last_day = date::sys_days{2019_y / 6 / 14};
    in.deadline = config::sys_seconds{date::sys_days{2019_y / 6 / 14}} + hours{17};
    in.unit = cfg->find_unit("so-tai-chinh");
    in.total_units = 2;
    in.recipient = cfg->find_contact("stc-binh");
    in.step = &report->reminders[0];
    in.kind = scheduler::step_kind::reminder;
    in.reply_code = "ABC234";
    in.link = "https://dondoc.snv.example/a/tok" + std::to_string(i);
    in.reply_to = "dondoc-replies+tok" + std::to_string(i) + "@snv.example";
    in.now = in.due = config::sys_seconds{date::sys_days{2019_y / 6 / 11}} + minutes{30};
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
        made[static_cast<std::size_t>(i)].set_value(make_email(in, compose_email(in)).data);
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
