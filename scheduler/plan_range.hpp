// The plan over a time range, as `dondoc plan` prints it: rows gathered into sends (one
// per step send and time, listing its recipients and channels), in the contract's order.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "scheduler/plan.hpp"

namespace dondoc::scheduler {

struct plan_filter {
  std::optional<std::int32_t> report;
  std::optional<std::int32_t> unit;
};

struct range_plan {
  std::vector<occurrence> occurrences;
  std::vector<row> rows;  // only rows that send, with at in [from, to)
};

// Every sending row whose `at` lies in [from, to), assuming nobody answers.
range_plan plan_range(const planner& p, sys_seconds from, sys_seconds to, const plan_filter& filter);

// One send: the rows of one step send to one unit (or group) at one time.
struct plan_send {
  sys_seconds at;
  sys_seconds due;
  step_kind kind = step_kind::reminder;
  std::int32_t report = -1;
  std::int32_t occurrence = -1;  // index into range_plan::occurrences
  std::int32_t unit = -1;        // -1: grouped
  std::uint16_t step = 0;
  std::uint16_t repeat = 0;
  std::vector<const config::contact*> to;  // in first-seen order
  std::array<bool, 2> channels{false, false};
  std::vector<row_key> keys;  // every row's key, channel then recipient order
};

// Sorted by at, due, report id, kind (reminders first), step, repeat, grouped last, unit id.
std::vector<plan_send> gather_sends(const planner& p, const range_plan& rp);

// The same sends as gather_sends(p, plan_range(p, from, to, filter)), in the same order,
// without holding the rows of the range: the step times of each occurrence are computed
// once, sorted into slots (one per step send and time), and each slot's units are walked
// in id order, so memory grows with the occurrences and units, not with the rows.
// `fn` gets each send (its `occurrence` indexes the vector passed alongside; both are
// valid only during the call) and the rows behind it (the ones that send).
struct send_stream {
  std::int64_t sends = 0;
  std::int64_t rows = 0;
};
using send_callback = std::function<void(const plan_send&, const std::vector<occurrence>&, const std::vector<row>&)>;
send_stream for_each_send(const planner& p, sys_seconds from, sys_seconds to, const plan_filter& filter,
                          const send_callback& fn);

}  // namespace dondoc::scheduler
