// Range planning for `dondoc plan` and the benchmarks: occurrences near the range, their
// step times once per occurrence, rows per unit, then grouped into sends and sorted.
// plan_range + gather_sends hold every row of the range (a national roster's year is
// nearly two million); for_each_send gives the same sends in the same order from the
// per-occurrence step times, walking the units of one send slot at a time.
#include "scheduler/plan_range.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <tuple>

namespace dondoc::scheduler {
namespace {

// Rank of each item's id in byte order (std::string compares as unsigned char), so that
// the sorts below compare integers.
template <typename T>
std::vector<std::int32_t> byte_order_ranks(const std::vector<T>& items) {
  std::vector<std::int32_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
    return items[static_cast<std::size_t>(a)].id < items[static_cast<std::size_t>(b)].id;
  });
  std::vector<std::int32_t> rank(items.size());
  for (std::size_t i = 0; i < order.size(); ++i) rank[static_cast<std::size_t>(order[i])] = static_cast<std::int32_t>(i);
  return rank;
}

// Fills `s` from the sending rows of one send (any order): channels, then recipients in
// first-seen order and keys, email rows before SMS rows as gather_sends has them.
void fill_send(plan_send& s, std::vector<row>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const row& a, const row& b) { return a.chan < b.chan; });
  s.to.clear();
  s.keys.clear();
  s.channels = {false, false};
  for (const row& r : rows) {
    s.channels[static_cast<std::size_t>(r.chan)] = true;
    if (std::find(s.to.begin(), s.to.end(), r.contact) == s.to.end()) s.to.push_back(r.contact);
    s.keys.push_back(r.key);
  }
}

}  // namespace

range_plan plan_range(const planner& p, sys_seconds from, sys_seconds to, const plan_filter& filter) {
  range_plan out;
  const auto& cfg = p.cfg();
  std::vector<row> rows;
  for (std::size_t ri = 0; ri < cfg.reports.size(); ++ri) {
    if (filter.report && *filter.report != static_cast<std::int32_t>(ri)) continue;
    const auto& r = cfg.reports[ri];
    for (auto& o : p.occurrences_for(static_cast<std::int32_t>(ri), from, to)) {
      const auto sends = p.schedule(r, o.last_day, o.deadline);
      if (sends.empty()) continue;
      if (std::none_of(sends.begin(), sends.end(), [&](const send_time& st) {
            for (const auto& at : st.at)
              if (at && *at >= from && *at < to) return true;
            return false;
          }))
        continue;
      const auto occ_index = static_cast<std::int32_t>(out.occurrences.size());
      rows.clear();
      if (filter.unit) {
        if (std::find(o.units.begin(), o.units.end(), *filter.unit) == o.units.end()) continue;
        p.unit_rows(o, occ_index, *filter.unit, sends, rows);
      } else {
        for (std::int32_t u : o.units) p.unit_rows(o, occ_index, u, sends, rows);
      }
      p.group_rows(o, occ_index, sends, o.units, rows);
      bool any = false;
      for (const auto& rw : rows)
        if (rw.skipped == skip_reason::none && rw.at >= from && rw.at < to) {
          out.rows.push_back(rw);
          any = true;
        }
      if (any) out.occurrences.push_back(std::move(o));
    }
  }
  return out;
}

std::vector<plan_send> gather_sends(const planner& p, const range_plan& rp) {
  const auto& cfg = p.cfg();
  std::vector<const row*> rows;
  rows.reserve(rp.rows.size());
  for (const auto& r : rp.rows) rows.push_back(&r);
  // Gather rows of one send together: (occurrence, unit, kind, step, repeat, at).
  auto send_key = [](const row* r) {
    return std::make_tuple(r->occurrence, r->unit, r->kind, r->step, r->repeat, r->at);
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const row* a, const row* b) { return send_key(a) < send_key(b); });
  std::vector<plan_send> out;
  for (std::size_t i = 0; i < rows.size();) {
    const row* first = rows[i];
    plan_send s;
    s.at = first->at;
    s.due = first->due;
    s.kind = first->kind;
    s.occurrence = first->occurrence;
    s.report = rp.occurrences[static_cast<std::size_t>(first->occurrence)].report;
    s.unit = first->unit;
    s.step = first->step;
    s.repeat = first->repeat;
    std::size_t j = i;
    std::vector<const row*> group;
    for (; j < rows.size() && send_key(rows[j]) == send_key(first); ++j) group.push_back(rows[j]);
    std::stable_sort(group.begin(), group.end(), [](const row* a, const row* b) { return a->chan < b->chan; });
    for (const row* r : group) {
      s.channels[static_cast<std::size_t>(r->chan)] = true;
      if (std::find(s.to.begin(), s.to.end(), r->contact) == s.to.end()) s.to.push_back(r->contact);
      s.keys.push_back(r->key);
    }
    out.push_back(std::move(s));
    i = j;
  }
  const auto unit_rank = byte_order_ranks(cfg.units);
  const auto report_rank = byte_order_ranks(cfg.reports);
  std::sort(out.begin(), out.end(), [&](const plan_send& a, const plan_send& b) {
    const auto ra = report_rank[static_cast<std::size_t>(a.report)];
    const auto rb = report_rank[static_cast<std::size_t>(b.report)];
    const std::int32_t ua = a.unit >= 0 ? unit_rank[static_cast<std::size_t>(a.unit)] : -1;
    const std::int32_t ub = b.unit >= 0 ? unit_rank[static_cast<std::size_t>(b.unit)] : -1;
    const auto pa = std::make_tuple(a.at, a.due, ra, a.kind, a.step, a.repeat, a.unit < 0, ua);
    const auto pb = std::make_tuple(b.at, b.due, rb, b.kind, b.step, b.repeat, b.unit < 0, ub);
    if (pa != pb) return pa < pb;
    return rp.occurrences[static_cast<std::size_t>(a.occurrence)].id <
           rp.occurrences[static_cast<std::size_t>(b.occurrence)].id;
  });
  return out;
}

send_stream for_each_send(const planner& p, sys_seconds from, sys_seconds to, const plan_filter& filter,
                          const send_callback& fn) {
  const auto& cfg = p.cfg();
  const auto unit_rank = byte_order_ranks(cfg.units);
  const auto report_rank = byte_order_ranks(cfg.reports);

  // One slot per send of a step and distinct channel time inside the range.
  struct slot {
    sys_seconds at;
    sys_seconds due;
    std::int32_t report_rank = 0;
    step_kind kind = step_kind::reminder;
    std::uint16_t step = 0;
    std::uint16_t repeat = 0;
    bool grouped = false;
    std::int32_t occ = 0;   // index into occs
    std::int32_t send = 0;  // index into sends_of[occ]
    unsigned channels = 0;  // bits 1 << config::channel going at `at`
    auto prefix() const { return std::make_tuple(at, due, report_rank, kind, step, repeat, grouped); }
  };
  std::vector<occurrence> occs;
  std::vector<std::vector<send_time>> sends_of;
  std::vector<slot> slots, pending;
  for (std::size_t ri = 0; ri < cfg.reports.size(); ++ri) {
    if (filter.report && *filter.report != static_cast<std::int32_t>(ri)) continue;
    const auto& r = cfg.reports[ri];
    for (auto& o : p.occurrences_for(static_cast<std::int32_t>(ri), from, to)) {
      if (o.units.empty()) continue;  // no unit rows, and grouped steps list none
      if (filter.unit && std::find(o.units.begin(), o.units.end(), *filter.unit) == o.units.end()) continue;
      auto sends = p.schedule(r, o.last_day, o.deadline);
      const auto oi = static_cast<std::int32_t>(occs.size());
      pending.clear();
      for (std::size_t k = 0; k < sends.size(); ++k) {
        const send_time& st = sends[k];
        const auto& s = st.kind == step_kind::reminder ? r.reminders[st.step] : r.escalation[st.step];
        const std::size_t first = pending.size();
        for (std::size_t ci = 0; ci < st.at.size(); ++ci) {
          if (!st.uses[ci] || !st.at[ci] || *st.at[ci] < from || *st.at[ci] >= to) continue;
          auto same = std::find_if(pending.begin() + static_cast<std::ptrdiff_t>(first), pending.end(),
                                   [&](const slot& x) { return x.at == *st.at[ci]; });
          if (same != pending.end()) {
            same->channels |= 1u << ci;
            continue;
          }
          pending.push_back({*st.at[ci], st.due, report_rank[ri], st.kind, st.step, st.repeat, s.grouped, oi,
                             static_cast<std::int32_t>(k), 1u << ci});
        }
      }
      if (pending.empty()) continue;
      slots.insert(slots.end(), pending.begin(), pending.end());
      occs.push_back(std::move(o));
      sends_of.push_back(std::move(sends));
    }
  }
  std::sort(slots.begin(), slots.end(), [&](const slot& a, const slot& b) {
    if (a.prefix() != b.prefix()) return a.prefix() < b.prefix();
    return occs[static_cast<std::size_t>(a.occ)].id < occs[static_cast<std::size_t>(b.occ)].id;
  });

  send_stream stats;
  plan_send send;
  std::vector<row> rows;
  auto emit = [&](const slot& sl, std::int32_t unit) {
    const occurrence& o = occs[static_cast<std::size_t>(sl.occ)];
    const send_time& st = sends_of[static_cast<std::size_t>(sl.occ)][static_cast<std::size_t>(sl.send)];
    rows.clear();
    if (unit >= 0) p.unit_send_rows(o, sl.occ, unit, st, rows, sl.channels);
    else p.group_send_rows(o, sl.occ, st, rows, sl.channels);
    std::erase_if(rows, [](const row& r) { return r.skipped != skip_reason::none; });
    if (rows.empty()) return;
    send.at = sl.at;
    send.due = sl.due;
    send.kind = sl.kind;
    send.report = o.report;
    send.occurrence = sl.occ;
    send.unit = unit;
    send.step = sl.step;
    send.repeat = sl.repeat;
    fill_send(send, rows);
    ++stats.sends;
    stats.rows += static_cast<std::int64_t>(rows.size());
    fn(send, occs, rows);
  };
  // The units of an occurrence in id order, built when first needed.
  std::vector<std::vector<std::int32_t>> sorted_units(occs.size());
  auto units_in_order = [&](std::int32_t oi) -> const std::vector<std::int32_t>& {
    auto& v = sorted_units[static_cast<std::size_t>(oi)];
    if (v.empty()) {
      v = occs[static_cast<std::size_t>(oi)].units;
      std::sort(v.begin(), v.end(), [&](std::int32_t a, std::int32_t b) {
        return unit_rank[static_cast<std::size_t>(a)] < unit_rank[static_cast<std::size_t>(b)];
      });
    }
    return v;
  };
  std::vector<std::pair<std::int32_t, std::size_t>> merged;  // (unit, slot) of a slot group
  for (std::size_t i = 0; i < slots.size();) {
    std::size_t j = i + 1;
    while (j < slots.size() && slots[j].prefix() == slots[i].prefix()) ++j;
    if (slots[i].grouped) {
      for (std::size_t k = i; k < j; ++k) emit(slots[k], -1);  // by occurrence id
    } else if (filter.unit) {
      for (std::size_t k = i; k < j; ++k) emit(slots[k], *filter.unit);
    } else if (j == i + 1) {
      for (std::int32_t u : units_in_order(slots[i].occ)) emit(slots[i], u);
    } else {
      // Several occurrences send at the same time: units in id order, then occurrence id.
      merged.clear();
      for (std::size_t k = i; k < j; ++k)
        for (std::int32_t u : occs[static_cast<std::size_t>(slots[k].occ)].units) merged.emplace_back(u, k);
      std::stable_sort(merged.begin(), merged.end(), [&](const auto& a, const auto& b) {
        return unit_rank[static_cast<std::size_t>(a.first)] < unit_rank[static_cast<std::size_t>(b.first)];
      });
      for (const auto& [u, k] : merged) emit(slots[k], u);
    }
    i = j;
  }
  return stats;
}

}  // namespace dondoc::scheduler
