// Range planning for `dondoc plan` and the benchmarks: occurrences near the range, their
// step times once per occurrence, rows per unit, then grouped into sends and sorted.
#include "scheduler/plan_range.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace dondoc::scheduler {

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
  std::sort(out.begin(), out.end(), [&](const plan_send& a, const plan_send& b) {
    const auto& ra = cfg.reports[static_cast<std::size_t>(a.report)].id;
    const auto& rb = cfg.reports[static_cast<std::size_t>(b.report)].id;
    const std::string_view ua = a.unit >= 0 ? std::string_view(cfg.units[static_cast<std::size_t>(a.unit)].id) : "";
    const std::string_view ub = b.unit >= 0 ? std::string_view(cfg.units[static_cast<std::size_t>(b.unit)].id) : "";
    const auto& oa = rp.occurrences[static_cast<std::size_t>(a.occurrence)].id;
    const auto& ob = rp.occurrences[static_cast<std::size_t>(b.occurrence)].id;
    return std::forward_as_tuple(a.at, a.due, ra, a.kind, a.step, a.repeat, a.unit < 0, ua, oa) <
           std::forward_as_tuple(b.at, b.due, rb, b.kind, b.step, b.repeat, b.unit < 0, ub, ob);
  });
  return out;
}

}  // namespace dondoc::scheduler
