// The engine's rules, in the order a message lives: planned by reconciliation (first
// writes in the past are skipped, except the latest reminder while the deadline is
// ahead), found due (missed rows after downtime go through the catch-up rules), checked
// at claim time against the current roster (addresses, quiet hours, the SMS cap, what is
// still outstanding), sent, and settled (retries with backoff and jitter, bounded by
// attempts, age and — for reminders — the deadline). Answers cancel what they should.
#include "daemon/engine.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <date/tz.h>
#include <fmt/format.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include "config/deadline.hpp"
#include "daemon/fingerprint.hpp"

namespace dondoc::daemon {

using scheduler::step_kind;
using store::row_state;

std::string_view to_string(unit_status s) {
  switch (s) {
    case unit_status::untracked: return "untracked";
    case unit_status::pending: return "pending";
    case unit_status::acknowledged: return "acknowledged";
    case unit_status::overdue: return "overdue";
    case unit_status::submitted: return "submitted";
    case unit_status::submitted_late: return "submitted_late";
    case unit_status::exempted: return "exempted";
  }
  return "pending";
}

std::string_view label_vi(unit_status s) {
  switch (s) {
    case unit_status::untracked: return "không theo dõi";
    case unit_status::pending: return "chưa nhận";
    case unit_status::acknowledged: return "đã nhận";
    case unit_status::overdue: return "quá hạn";
    case unit_status::submitted: return "đã nộp";
    case unit_status::submitted_late: return "nộp muộn";
    case unit_status::exempted: return "miễn";
  }
  return "";
}

runtime_config::runtime_config(std::shared_ptr<const config::config> c)
    : cfg(std::move(c)), calendar(cfg->calendar), planner(*cfg, calendar) {}

namespace {

std::string number_hash(std::string_view number) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  scheduler::sha256(number, d);
  std::string hex;
  for (int i = 0; i < 12; ++i) hex += fmt::format("{:02x}", d[i]);
  return hex;
}

bool terminal(const store::item_rec& it) { return it.state != store::item_state::open; }

std::string terminal_reason(const store::item_rec& it) {
  return it.state == store::item_state::exempted ? "exempted" : "submitted";
}

}  // namespace

// Occurrences are written once per reconciliation (the title, basis, L and T as the
// roster has them now), then looked up by (report, period).
struct engine::occurrence_cache {
  std::map<std::pair<std::string, std::string>, std::int64_t> ids;

  std::int64_t id_of(store::store& st, const config::report& r, const scheduler::occurrence& o) {
    auto [it, fresh] = ids.emplace(std::pair(r.id, o.period), 0);
    if (fresh) {
      store::occurrence_rec rec;
      rec.report_id = r.id;
      rec.period = o.period;
      rec.name = o.id;
      rec.nominal = o.nominal;
      rec.title = r.title;
      rec.basis = r.basis;
      rec.submit_to = r.submit_to;
      rec.last_day = o.last_day;
      rec.deadline = o.deadline;
      it->second = st.upsert_occurrence(rec);
    }
    return it->second;
  }
};

engine::engine(store::store& st, std::shared_ptr<const runtime_config> rt, std::uint64_t seed)
    : store_(st), rt_(std::move(rt)), rng_(seed ? seed : std::random_device{}()) {}

void engine::set_config(std::shared_ptr<const runtime_config> rt) { rt_ = std::move(rt); }

const config::step* engine::step_of(const config::report& r, std::string_view kind, std::int64_t index) const {
  const auto& list = kind == "reminder" ? r.reminders : r.escalation;
  if (index < 0 || index >= static_cast<std::int64_t>(list.size())) return nullptr;
  return &list[static_cast<std::size_t>(index)];
}

std::pair<config::sys_days, sys_seconds> engine::effective_deadline(const store::item_rec& it) {
  if (it.ext_last_day && it.ext_deadline) return {*it.ext_last_day, *it.ext_deadline};
  auto o = store_.occurrence_by_id(it.occurrence);
  if (!o) return {config::sys_days{}, sys_seconds{}};
  return {o->last_day, o->deadline};
}

unit_status engine::status(const store::item_rec& it, sys_seconds now) {
  if (it.state == store::item_state::exempted) return unit_status::exempted;
  const auto deadline = effective_deadline(it).second;
  if (it.state == store::item_state::submitted)
    return it.submitted_at && *it.submitted_at < deadline ? unit_status::submitted : unit_status::submitted_late;
  if (!it.tracked) return unit_status::untracked;
  if (now >= deadline) return unit_status::overdue;
  if (it.acknowledged_at) return unit_status::acknowledged;
  return unit_status::pending;
}

bool engine::outstanding(const store::item_rec& it) const { return it.in_plan && !terminal(it); }

// --- reconciliation ----------------------------------------------------------------------

reconcile_stats engine::reconcile(sys_seconds now) {
  reconcile_stats stats;
  const auto& cfg = *rt_->cfg;
  const auto& planner = rt_->planner;
  const std::string gfp = global_fingerprint(cfg);
  const std::string groupfp = group_fingerprint(cfg);
  std::unordered_map<std::string, store::tracking_rec> tracking;
  for (auto& t : store_.load_tracking()) tracking.emplace(t.report_id + '\x1f' + t.unit_id, std::move(t));
  std::unordered_set<std::string> seen;
  const config::sys_days today = planner.sys_to_local(now).first;
  const config::sys_days horizon_end = today + date::days{cfg.service.horizon_days};
  std::vector<std::string> unit_fps(cfg.units.size());
  for (std::size_t u = 0; u < cfg.units.size(); ++u) unit_fps[u] = unit_fingerprint(cfg.units[u]);
  occurrence_cache cache;
  // A first start on an empty outbox writes every row of the horizon: bulk-load it.
  const bool bulk = tracking.empty() && store_.begin_bulk_load();
  struct bulk_guard {
    store::store& st;
    bool on;
    ~bulk_guard() {
      if (on) st.abort_bulk_load();
    }
  } guard{store_, bulk};

  for (std::size_t ri = 0; ri < cfg.reports.size(); ++ri) {
    const auto& r = cfg.reports[ri];
    const std::string rfp = report_fingerprint(r);
    const auto [before_margin, after_margin] = planner.margins(r);
    const config::sys_days window_start = today - date::days{after_margin};
    auto occs = planner.occurrences_between(static_cast<std::int32_t>(ri), window_start, horizon_end);
    std::set<std::string> occ_periods;
    for (const auto& o : occs) occ_periods.insert(o.period);

    auto plan_pair = [&](const std::string& unit_id, const std::string& fp, auto&& plan_one, auto&& retire_all) {
      const std::string key = r.id + '\x1f' + unit_id;
      seen.insert(key);
      auto t = tracking.find(key);
      sys_seconds since = now;
      bool full = true;
      config::sys_days through{};
      if (t != tracking.end()) {
        since = t->second.since;
        through = t->second.planned_through;
        if (t->second.fingerprint == fp) {
          if (t->second.planned_through >= horizon_end) return;
          full = false;
        }
      }
      const bool fresh = t == tracking.end();
      // Unchanged pairs are touched only when the horizon reaches a new occurrence.
      if (!full && std::none_of(occs.begin(), occs.end(), [&](const auto& o) { return o.nominal > through; }))
        return;
      for (const auto& o : occs) {
        if (!full && o.nominal <= through) continue;
        plan_one(o, since, fresh);
      }
      if (full && !fresh) retire_all(window_start);
      store_.put_tracking({r.id, unit_id, since, fp, horizon_end});
      ++stats.pairs_planned;
    };

    for (std::size_t ui = 0; ui < cfg.units.size(); ++ui) {
      const auto& u = cfg.units[ui];
      if (!config::selected(r.units, u)) continue;
      const auto unit_index = static_cast<std::int32_t>(ui);
      plan_pair(
          u.id, combine(gfp, rfp, unit_fps[ui]),
          [&](const scheduler::occurrence& o, sys_seconds since, bool fresh) {
            // o.units is in roster order: a search, not a scan per unit (quadratic in units).
            const bool member = std::binary_search(o.units.begin(), o.units.end(), unit_index);
            if (member) {
              plan_pair_occurrence(o, unit_index, since, now, cache, stats, fresh);
            } else if (!fresh) {
              if (auto occ = store_.occurrence_by_period(r.id, o.period))
                if (auto it = store_.item(occ->id, u.id)) retire_item(*it, now, stats);
            }
          },
          [&](config::sys_days from) {
            for (auto& it : store_.items_of_report_unit(r.id, u.id)) {
              auto occ = store_.occurrence_by_id(it.occurrence);
              if (occ && occ->nominal >= from && !occ_periods.count(occ->period)) retire_item(it, now, stats);
            }
          });
    }
    const bool has_group = std::any_of(r.escalation.begin(), r.escalation.end(), [](auto& s) { return s.grouped; }) ||
                           std::any_of(r.reminders.begin(), r.reminders.end(), [](auto& s) { return s.grouped; });
    if (has_group || tracking.count(r.id + "\x1f@")) {
      plan_pair(
          "@", combine(gfp, rfp, groupfp),
          [&](const scheduler::occurrence& o, sys_seconds since, bool fresh) {
            plan_group_occurrence(o, since, now, cache, stats, fresh);
          },
          [&](config::sys_days) {});
    }
  }
  // Pairs that left the roster: their planned rows are cancelled, their history kept.
  for (auto& [key, t] : tracking) {
    if (seen.count(key) || t.fingerprint == "removed") continue;
    if (t.unit_id == "@") {
      for (const auto& occ : store_.occurrences_since(today - date::days{400}))
        if (occ.report_id == t.report_id)
          for (auto& row : store_.group_rows_of_occurrence(occ.id))
            if (row.state == row_state::planned) {
              store_.set_row_state(row.id, row_state::cancelled, "roster_changed", now);
              ++stats.rows_cancelled;
            }
    } else {
      for (auto& it : store_.items_of_report_unit(t.report_id, t.unit_id)) retire_item(it, now, stats);
    }
    t.fingerprint = "removed";
    store_.put_tracking(t);
  }
  if (bulk) {
    store_.end_bulk_load();  // logs its phases at debug level
    guard.on = false;
  }
  return stats;
}

void engine::plan_pair_occurrence(const scheduler::occurrence& o, std::int32_t unit, sys_seconds since,
                                  sys_seconds now, occurrence_cache& cache, reconcile_stats& stats, bool fresh) {
  const auto& cfg = *rt_->cfg;
  const auto& r = cfg.reports[static_cast<std::size_t>(o.report)];
  const auto& u = cfg.units[static_cast<std::size_t>(unit)];
  const std::int64_t occ_id = cache.id_of(store_, r, o);
  // A pair seen for the first time has nothing stored yet: skip the look-ups.
  std::optional<store::item_rec> it;
  if (!fresh) it = store_.item(occ_id, u.id);
  if (!it) {
    store::item_rec n;
    n.occurrence = occ_id;
    n.unit_id = u.id;
    n.unit_name = u.name;
    n.unit_kind = u.kind;
    n.tracked = o.deadline >= since;
    n.in_plan = true;
    store_.insert_item(n, rng_());
    ++stats.items_created;
    it = std::move(n);
  } else if (!it->in_plan) {
    it->in_plan = true;
    store_.update_item(*it);
  }
  if (!it->tracked) return;
  const config::sys_days l = it->ext_last_day.value_or(o.last_day);
  const sys_seconds t = it->ext_deadline.value_or(o.deadline);
  const auto sends = rt_->planner.schedule(r, l, t);
  std::vector<scheduler::row> rows;
  rt_->planner.unit_rows(o, 0, unit, sends, rows);
  sync_rows(rows, o, it, occ_id, fresh ? std::vector<store::outbox_rec>{} : store_.rows_of_item(it->id), t, now, stats);
}

void engine::plan_group_occurrence(const scheduler::occurrence& o, sys_seconds since, sys_seconds now,
                                   occurrence_cache& cache, reconcile_stats& stats, bool fresh) {
  if (o.deadline < since) return;  // untracked for the group, like for units
  const auto& cfg = *rt_->cfg;
  const auto& r = cfg.reports[static_cast<std::size_t>(o.report)];
  const std::int64_t occ_id = cache.id_of(store_, r, o);
  const auto sends = rt_->planner.schedule(r, o.last_day, o.deadline);
  std::vector<scheduler::row> rows;
  rt_->planner.group_rows(o, 0, sends, o.units, rows);
  sync_rows(rows, o, std::nullopt, occ_id,
            fresh ? std::vector<store::outbox_rec>{} : store_.group_rows_of_occurrence(occ_id), o.deadline, now,
            stats);
}

void engine::sync_rows(const std::vector<scheduler::row>& rows, const scheduler::occurrence& o,
                       std::optional<store::item_rec> item, std::int64_t occ_id,
                       std::vector<store::outbox_rec> existing, sys_seconds deadline, sys_seconds now,
                       reconcile_stats& stats) {
  const auto& cfg = *rt_->cfg;
  const auto& r = cfg.reports[static_cast<std::size_t>(o.report)];
  std::unordered_map<std::string, const store::outbox_rec*> by_key;
  for (const auto& e : existing) by_key.emplace(e.key, &e);
  std::unordered_set<std::string> new_keys;
  std::vector<store::outbox_rec> fresh_past;
  for (const auto& row : rows) {
    std::string key = row.key.str();
    if (!existing.empty()) new_keys.insert(key);  // only to cancel what the plan dropped
    if (auto e = by_key.find(key); e != by_key.end()) {
      const auto& ex = *e->second;
      if (ex.state == row_state::planned && ex.attempts == 0 && !ex.catch_up &&
          (ex.due != row.due || ex.next_at != row.at)) {
        store_.set_row_times(ex.id, row.due, row.at, false);
        ++stats.rows_moved;
      } else if (ex.state == row_state::cancelled && ex.reason == "roster_changed" && row.at > now &&
                 row.skipped == scheduler::skip_reason::none && !(item && terminal(*item))) {
        // Back in the plan (a roster change undone) while still ahead: planned again.
        store_.set_row_state(ex.id, row_state::planned, "", now);
        store_.set_row_times(ex.id, row.due, row.at, false);
        ++stats.rows_inserted;
      }
      continue;
    }
    const auto& s = row.kind == step_kind::reminder ? r.reminders[row.step] : r.escalation[row.step];
    store::outbox_rec rec;
    rec.key = std::move(key);
    if (item) rec.item = item->id;
    rec.occurrence = occ_id;
    rec.report_id = r.id;
    rec.unit_id = row.unit >= 0 ? cfg.units[static_cast<std::size_t>(row.unit)].id : std::string();
    rec.role = row.unit < 0 ? s.to[row.role] : std::string();
    rec.kind = std::string(scheduler::to_string(row.kind));
    rec.step = row.step;
    rec.step_name = s.key_name;
    rec.repeat = row.repeat;
    rec.channel = std::string(config::to_string(row.chan));
    rec.contact_id = row.contact ? row.contact->id : std::string();
    rec.due = row.due;
    rec.next_at = row.at;
    rec.day_based = s.off.day_based();
    rec.urgent = s.urgent;
    if (row.skipped == scheduler::skip_reason::no_recipient || row.skipped == scheduler::skip_reason::quiet_hours) {
      rec.state = row_state::skipped;
      rec.reason = std::string(scheduler::to_string(row.skipped));
    } else if (item && terminal(*item)) {
      rec.state = row_state::cancelled;
      rec.reason = terminal_reason(*item);
    } else if (row.due < now) {  // the step's time, not the channel's (an SMS held back by quiet hours)
      fresh_past.push_back(std::move(rec));
      continue;
    } else {
      rec.state = row_state::planned;
    }
    store_.insert_row(std::move(rec));
    ++stats.rows_inserted;
  }
  if (!fresh_past.empty()) {
    // First written after its time: skipped, except the latest reminder while T is ahead.
    const store::outbox_rec* latest = nullptr;
    for (const auto& f : fresh_past)
      if (f.kind == "reminder" && (!latest || f.due > latest->due)) latest = &f;
    const bool catch_up = latest && deadline > now;
    const std::int64_t cu_step = latest ? latest->step : -1, cu_repeat = latest ? latest->repeat : -1;
    for (auto& f : fresh_past) {
      if (catch_up && f.kind == "reminder" && f.step == cu_step && f.repeat == cu_repeat) {
        f.catch_up = true;
        f.next_at = catch_up_time(f, now);
        if (f.next_at >= deadline) {
          f.state = row_state::skipped;
          f.reason = std::string(late_catch_up_reason(f, now));
        } else {
          f.state = row_state::planned;
        }
      } else {
        f.state = row_state::skipped;
        f.reason = "before_tracking";
      }
      store_.insert_row(std::move(f));
      ++stats.rows_inserted;
    }
  }
  for (const auto& e : existing)
    if (e.state == row_state::planned && !new_keys.count(e.key)) {
      store_.set_row_state(e.id, row_state::cancelled, "roster_changed", now);
      ++stats.rows_cancelled;
    }
}

void engine::retire_item(store::item_rec& it, sys_seconds now, reconcile_stats& stats) {
  for (const auto& row : store_.rows_of_item(it.id))
    if (row.state == row_state::planned) {
      store_.set_row_state(row.id, row_state::cancelled, "roster_changed", now);
      ++stats.rows_cancelled;
    }
  if (it.in_plan) {
    it.in_plan = false;
    store_.update_item(it);
  }
}

void engine::replan_item(store::item_rec& it, sys_seconds now) {
  const auto& cfg = *rt_->cfg;
  auto occ = store_.occurrence_by_id(it.occurrence);
  if (!occ) return;
  const auto* r = cfg.find_report(occ->report_id);
  const auto ui = cfg.unit_index(it.unit_id);
  if (r == nullptr || ui < 0) return;
  const auto ri = static_cast<std::int32_t>(r - cfg.reports.data());
  auto o = rt_->planner.make_occurrence(ri, occ->nominal);
  const auto [l, t] = effective_deadline(it);
  const auto sends = rt_->planner.schedule(*r, l, t);
  std::vector<scheduler::row> rows;
  rt_->planner.unit_rows(o, 0, ui, sends, rows);
  reconcile_stats stats;
  sync_rows(rows, o, it, occ->id, store_.rows_of_item(it.id), t, now, stats);
}

// --- dispatch --------------------------------------------------------------------------

sys_seconds engine::catch_up_time(const store::outbox_rec& r, sys_seconds now) const {
  sys_seconds t = now;
  if (r.day_based) t = rt_->planner.next_office_start(t);
  if (r.channel == "sms" && !r.urgent) t = rt_->planner.end_of_quiet_hours(t);
  return t;
}

std::string_view engine::late_catch_up_reason(const store::outbox_rec& r, sys_seconds now) const {
  sys_seconds t = now;
  if (r.day_based) t = rt_->planner.next_office_start(t);
  if (r.channel == "sms" && !r.urgent && rt_->planner.end_of_quiet_hours(t) != t) return "quiet_hours";
  return "past_deadline";
}

bool engine::settle_missed(std::vector<store::outbox_rec>& due, sys_seconds now) {
  const auto grace = rt_->cfg->sending.catch_up_grace;
  auto fresh = [](const store::outbox_rec& r) {
    return r.state == row_state::planned && r.attempts == 0 && !r.catch_up;
  };
  auto missed = [&](const store::outbox_rec& r) { return fresh(r) && r.next_at + grace < now; };
  // Groups: an item, or an occurrence's grouped rows.
  std::set<std::pair<std::int64_t, std::int64_t>> groups;  // (item or -1, occurrence)
  for (const auto& r : due)
    if (missed(r)) groups.emplace(r.item.value_or(-1), r.occurrence);
  if (groups.empty()) return false;
  const auto& cfg = *rt_->cfg;
  const auto& planner = rt_->planner;
  std::unordered_set<std::int64_t> settled;
  for (const auto& [item_id, occ_id] : groups) {
    std::optional<store::item_rec> item;
    if (item_id >= 0) item = store_.item_by_id(item_id);
    // Every fresh row of the group that is due now, missed or on time: a missed row is
    // superseded by a later one of its kind that is due too.
    std::vector<store::outbox_rec> rows =
        item_id >= 0 ? store_.rows_of_item(item_id) : store_.group_rows_of_occurrence(occ_id);
    std::erase_if(rows, [&](const store::outbox_rec& r) { return !fresh(r) || r.next_at > now; });
    sys_seconds deadline{};
    if (item) deadline = effective_deadline(*item).second;
    else if (auto occ = store_.occurrence_by_id(occ_id)) deadline = occ->deadline;
    const bool still_outstanding = item ? !terminal(*item) : true;
    auto later = [](const store::outbox_rec* a, const store::outbox_rec& b) {
      return !a || std::tie(b.due, b.step, b.repeat) > std::tie(a->due, a->step, a->repeat);
    };
    const store::outbox_rec* latest_reminder = nullptr;
    std::map<std::string, const store::outbox_rec*> latest_escalation;  // per audience
    auto audience_of = [&](const store::outbox_rec& r) {
      if (!r.role.empty()) return r.role;
      std::string audience;
      if (const auto* rep = cfg.find_report(r.report_id))
        if (const auto* s = step_of(*rep, r.kind, r.step))
          for (const auto& t : s->to) audience += t + ",";
      return audience;
    };
    for (const auto& r : rows) {
      if (r.kind == "reminder") {
        if (later(latest_reminder, r)) latest_reminder = &r;
      } else {
        auto& slot = latest_escalation[audience_of(r)];
        if (later(slot, r)) slot = &r;
      }
    }
    auto younger_than_max_age = [&](sys_seconds due_at) {
      const auto& age = cfg.sending.catch_up_max_age;
      if (age.unit == config::offset::unit_t::wd) {
        const auto [day, tod] = planner.sys_to_local(due_at);
        const auto limit_day = rt_->calendar.add_working_days(day, age.count);
        return now < planner.local_to_sys(limit_day, tod);
      }
      return now - due_at < age.duration();
    };
    auto same_send = [](const store::outbox_rec& a, const store::outbox_rec* b) {
      return b && a.kind == b->kind && a.step == b->step && a.repeat == b->repeat;
    };
    for (const auto& r : rows) {
      if (!missed(r)) continue;  // on time: sent normally
      bool send = false;
      if (r.kind == "reminder") {
        send = same_send(r, latest_reminder) && missed(*latest_reminder) && deadline > now;
      } else {
        const auto* l = latest_escalation[audience_of(r)];
        send = same_send(r, l) && missed(*l) && still_outstanding && younger_than_max_age(r.due);
      }
      if (send) {
        const sys_seconds at = catch_up_time(r, now);
        if (r.kind == "reminder" && at >= deadline) {
          store_.set_row_state(r.id, row_state::skipped, late_catch_up_reason(r, now), now);
        } else {
          store_.set_row_times(r.id, r.due, at, true);
          spdlog::info("catch-up key={} step={} channel={} at={}", r.key, r.step_name, r.channel,
                       scheduler::rfc3339(at, cfg.service.zone));
        }
      } else {
        store_.set_row_state(r.id, row_state::skipped, "catch_up", now);
      }
      settled.insert(r.id);
    }
  }
  std::erase_if(due, [&](const store::outbox_rec& r) { return settled.count(r.id) > 0; });
  return !settled.empty();
}

std::vector<job> engine::take_due(sys_seconds now, std::int64_t email_capacity, std::int64_t sms_capacity) {
  std::vector<job> jobs;
  if (email_capacity <= 0 && sms_capacity <= 0) return jobs;
  const std::int64_t window = std::max<std::int64_t>(64, (email_capacity + sms_capacity) * 4);
  auto due = store_.due_rows(now, window);
  // Missed rows are settled first; catch-ups that may go now are then read again. The
  // window read again can hold missed rows of other items: they are settled in turn (a
  // few passes), and any left wait for the next round; none is sent as if on time
  // (found by the clock-step scenario of tests/reliability/).
  for (int pass = 0; pass < 8 && settle_missed(due, now); ++pass) due = store_.due_rows(now, window);
  const auto grace = rt_->cfg->sending.catch_up_grace;
  std::erase_if(due, [&](const store::outbox_rec& r) {
    return r.state == row_state::planned && r.attempts == 0 && !r.catch_up && r.next_at + grace < now;
  });
  std::int64_t email_left = email_capacity, sms_left = sms_capacity;
  for (auto& row : due) {
    std::int64_t& left = row.channel == "sms" ? sms_left : email_left;
    if (left <= 0) continue;
    try {
      if (auto j = prepare(row, now)) {
        --left;
        jobs.push_back(std::move(*j));
      }
    } catch (const store::sqlite_error&) {
      throw;  // the store is the daemon's problem (disk full, …), not the row's
    } catch (const std::exception& e) {
      // A row whose evaluation throws is pushed back, so it cannot crash-loop the daemon.
      spdlog::error("row evaluation failed key={} error=\"{}\"; retrying in 10 minutes", row.key, e.what());
      store_.set_row_times(row.id, row.due, now + std::chrono::minutes{10}, row.catch_up);
    }
  }
  return jobs;
}

std::optional<job> engine::prepare(store::outbox_rec row, sys_seconds now) {
  const auto& cfg = *rt_->cfg;
  const auto& planner = rt_->planner;
  const config::report* report = cfg.find_report(row.report_id);
  const config::step* step = report ? step_of(*report, row.kind, row.step) : nullptr;
  if (step == nullptr || step->key_name != row.step_name) {
    store_.set_row_state(row.id, row_state::cancelled, "roster_changed", now);
    return std::nullopt;
  }
  auto occ = store_.occurrence_by_id(row.occurrence);
  if (!occ) {
    store_.set_row_state(row.id, row_state::cancelled, "roster_changed", now);
    return std::nullopt;
  }
  std::optional<store::item_rec> item;
  if (row.item) item = store_.item_by_id(*row.item);
  config::sys_days last_day = occ->last_day;
  sys_seconds deadline = occ->deadline;
  if (item) std::tie(last_day, deadline) = effective_deadline(*item);
  if (item && terminal(*item)) {
    store_.set_row_state(row.id, row_state::cancelled, terminal_reason(*item), now);
    return std::nullopt;
  }
  if (item && item->acknowledged_at && row.repeat > 0) {
    // A repeat goes "until acknowledged": also the repeats of a step first sent after the
    // acknowledgement (those of steps sent before it were cancelled by it).
    store_.set_row_state(row.id, row_state::cancelled, "acknowledged", now);
    return std::nullopt;
  }
  const bool reminder = row.kind == "reminder";
  if (reminder && now >= deadline) {
    if (row.attempts == 0) store_.set_row_state(row.id, row_state::skipped, "past_deadline", now);
    else store_.mark_failed(row.id, now, "past_deadline", row.last_error);
    return std::nullopt;
  }
  const config::contact* contact = cfg.find_contact(row.contact_id);
  if (contact == nullptr) {
    store_.set_row_state(row.id, row_state::skipped, "no_recipient", now);
    return std::nullopt;
  }
  const bool sms = row.channel == "sms";
  const std::string& address = sms ? contact->phone : contact->email;
  if (address.empty()) {
    store_.set_row_state(row.id, row_state::skipped, "no_address", now);
    return std::nullopt;
  }
  if (sms && !row.urgent && planner.in_quiet_hours(now)) {
    // Quiet hours apply to every SMS, retries and catch-ups included.
    const sys_seconds later = planner.end_of_quiet_hours(now);
    if (reminder && later >= deadline) store_.set_row_state(row.id, row_state::skipped, "quiet_hours", now);
    else store_.set_row_times(row.id, row.due, later, row.catch_up);
    return std::nullopt;
  }
  // The per-number cap counts an SMS from its claim (in flight or accepted): SMS due
  // together, in one batch or in flight at once, are counted before the next is checked.
  const std::string sms_day = sms ? store::iso_day(planner.sys_to_local(now).first) : std::string();
  if (sms && cfg.sending.sms_per_recipient_per_day > 0 &&
      store_.sms_count(number_hash(address), sms_day) >= cfg.sending.sms_per_recipient_per_day) {
    store_.set_row_state(row.id, row_state::skipped, "sms_cap", now);
    return std::nullopt;
  }
  job j;
  if (!row.item) {
    // A grouped step lists the units still outstanding when it is sent; none, nothing.
    for (auto& it : store_.items_of_occurrence(occ->id)) {
      if (!it.tracked || !it.in_plan) continue;
      ++j.total_units;
      if (!terminal(it)) j.outstanding.push_back(std::move(it));
    }
    if (j.outstanding.empty()) {
      store_.set_row_state(row.id, row_state::skipped, "none_outstanding", now);
      return std::nullopt;
    }
  }
  if (!store_.claim(row.id, now)) return std::nullopt;
  if (sms) store_.sms_increment(number_hash(address), sms_day);  // given back if not accepted
  j.sms_day = sms_day;
  row.state = row_state::sending;
  row.attempts += 1;
  j.row = std::move(row);
  j.rt = rt_;
  j.report = report;
  j.step = step;
  j.kind = reminder ? step_kind::reminder : step_kind::escalation;
  j.unit = item ? cfg.find_unit(item->unit_id) : nullptr;
  j.contact = contact;
  j.occ = std::move(*occ);
  j.item = std::move(item);
  j.deadline = deadline;
  j.last_day = last_day;
  j.address = address;
  return j;
}

void engine::record(const job& j, const notifiers::send_result& r, sys_seconds now) {
  const auto& cfg = *rt_->cfg;
  const auto& row = j.row;
  std::optional<store::item_rec> item;
  if (row.item) item = store_.item_by_id(*row.item);
  // An SMS was counted against its number's cap when claimed; not accepted, not counted.
  if (r.kind != notifiers::outcome::ok && row.channel == "sms" && !j.sms_day.empty())
    store_.sms_decrement(number_hash(j.address), j.sms_day);
  switch (r.kind) {
    case notifiers::outcome::ok: {
      store_.mark_sent(row.id, now, r.provider_id);
      if (item) {
        item->last_message_at = now;
        item->last_message_channel = row.channel;
        item->last_message_state = "sent";
        maybe_close(*item, now);
        store_.update_item(*item);
      }
      return;
    }
    case notifiers::outcome::retry: {
      // 30 s doubling to 30 min, ±20 % jitter; at most N attempts or the max age.
      const double base = std::min(30.0 * static_cast<double>(1LL << std::min<std::int64_t>(row.attempts - 1, 20)), 1800.0);
      std::uniform_real_distribution<double> jitter(0.8, 1.2);
      auto delay = std::chrono::seconds{static_cast<std::int64_t>(base * jitter(rng_))};
      if (r.retry_after && *r.retry_after > delay) delay = *r.retry_after;
      const sys_seconds first = row.first_attempt_at.value_or(now);
      const sys_seconds next = now + delay;
      if (row.attempts >= cfg.sending.retry_max_attempts || next - first > cfg.sending.retry_max_age) {
        store_.mark_failed(row.id, now, "retries_exhausted", r.reason);
      } else if (row.kind == "reminder" && next >= j.deadline) {
        store_.mark_failed(row.id, now, "past_deadline", r.reason);  // never retried at or after T
      } else {
        store_.mark_retry(row.id, next, r.reason);
        return;
      }
      break;
    }
    case notifiers::outcome::permanent:
      store_.mark_failed(row.id, now, "permanent", r.reason);
      break;
  }
  if (item) {
    item->last_message_at = now;
    item->last_message_channel = row.channel;
    item->last_message_state = "failed";
    maybe_close(*item, now);  // a failed last escalation ends it as a sent one does
    store_.update_item(*item);
  }
}

void engine::maybe_close(store::item_rec& it, sys_seconds now) {
  if (it.closed_at) return;
  if (now < effective_deadline(it).second) return;
  for (const auto& r : store_.rows_of_item(it.id))
    if (r.state == row_state::planned || r.state == row_state::sending) return;
  it.closed_at = now;  // its last escalation was sent (or failed for good)
}

// --- answers and actions -------------------------------------------------------------------

namespace {

store::audit_rec audit_for(const store::item_rec& it, const std::string& occ_name, sys_seconds now,
                           const std::string& who, const std::string& how, const std::string& action) {
  store::audit_rec a;
  a.at = now;
  a.who = who;
  a.how = how;
  a.action = action;
  a.item = it.id;
  a.occurrence = occ_name;
  a.unit_id = it.unit_id;
  return a;
}

}  // namespace

action_result engine::acknowledge(std::int64_t item_id, const std::string& who, const std::string& how,
                                  const std::string& raw, sys_seconds now) {
  action_result res;
  auto it = store_.item_by_id(item_id);
  if (!it) return {false, "no such item", std::nullopt, true};
  auto occ = store_.occurrence_by_id(it->occurrence);
  auto a = audit_for(*it, occ ? occ->name : "", now, who, how, "ack");
  a.raw = raw;
  if (terminal(*it)) {
    a.detail = "after " + terminal_reason(*it) + "; audited only";
    store_.audit(a);
    return {false, "already " + terminal_reason(*it) + "; recorded only", it};
  }
  if (!it->acknowledged_at) {
    it->acknowledged_at = now;
    it->acknowledged_by = who;
    store_.update_item(*it);
    res.changed = true;
  }
  // Cancel the pending repeats of every step already sent; later steps still go.
  std::set<std::pair<std::string, std::int64_t>> sent_steps;
  auto rows = store_.rows_of_item(it->id);
  for (const auto& r : rows)
    if (r.state == row_state::sent || r.state == row_state::delivered || r.state == row_state::sending)
      sent_steps.emplace(r.kind, r.step);
  std::int64_t cancelled = 0;
  for (const auto& r : rows)
    if (r.state == row_state::planned && r.repeat > 0 && sent_steps.count({r.kind, r.step})) {
      store_.set_row_state(r.id, row_state::cancelled, "acknowledged", now);
      ++cancelled;
    }
  if (cancelled > 0) res.changed = true;
  a.detail = fmt::format("repeats cancelled: {}", cancelled);
  store_.audit(a);
  res.message = res.changed ? "acknowledged" : "already acknowledged";
  res.item = std::move(it);
  return res;
}

action_result engine::submit(std::int64_t item_id, sys_seconds at, const std::string& source, const std::string& who,
                             const std::string& how, const std::string& note, const std::string& raw,
                             sys_seconds now) {
  auto it = store_.item_by_id(item_id);
  if (!it) return {false, "no such item", std::nullopt, true};
  if (at > now + submit_clock_slack) return {false, "the submission time is in the future", it, true};
  auto occ = store_.occurrence_by_id(it->occurrence);
  auto a = audit_for(*it, occ ? occ->name : "", now, who, how, "submit");
  a.raw = raw;
  a.detail = note;
  if (terminal(*it)) {
    if (it->state == store::item_state::submitted && source == "coordinator" && !it->submit_confirmed) {
      it->submit_confirmed = true;
      store_.update_item(*it);
      a.action = "confirm";
      store_.audit(a);
      return {true, "submission confirmed", it};
    }
    a.detail = "after " + terminal_reason(*it) + "; audited only";
    store_.audit(a);
    return {false, "already " + terminal_reason(*it) + "; recorded only", it};
  }
  it->state = store::item_state::submitted;
  it->submitted_at = at;
  it->submit_source = source;
  it->submit_confirmed = source == "coordinator";
  if (!note.empty()) it->note = note;
  it->closed_at = now;
  store_.update_item(*it);
  std::int64_t cancelled = 0;
  for (const auto& r : store_.rows_of_item(it->id))
    if (r.state == row_state::planned) {
      store_.set_row_state(r.id, row_state::cancelled, "submitted", now);
      ++cancelled;
    }
  a.detail = fmt::format("{}{}at={} source={} cancelled={}", note, note.empty() ? "" : "; ",
                         scheduler::rfc3339(at, rt_->cfg->service.zone), source, cancelled);
  store_.audit(a);
  return {true, "submitted", it};
}

action_result engine::exempt(std::int64_t item_id, const std::string& who, const std::string& how,
                             const std::string& note, sys_seconds now) {
  auto it = store_.item_by_id(item_id);
  if (!it) return {false, "no such item", std::nullopt, true};
  auto occ = store_.occurrence_by_id(it->occurrence);
  auto a = audit_for(*it, occ ? occ->name : "", now, who, how, "exempt");
  a.detail = note;
  if (terminal(*it)) {
    a.detail = "after " + terminal_reason(*it) + "; audited only";
    store_.audit(a);
    return {false, "already " + terminal_reason(*it) + "; recorded only", it};
  }
  it->state = store::item_state::exempted;
  it->exempted_at = now;
  if (!note.empty()) it->note = note;
  it->closed_at = now;
  store_.update_item(*it);
  for (const auto& r : store_.rows_of_item(it->id))
    if (r.state == row_state::planned) store_.set_row_state(r.id, row_state::cancelled, "exempted", now);
  store_.audit(a);
  return {true, "exempted", it};
}

action_result engine::reopen(std::int64_t item_id, const std::string& who, const std::string& how,
                             const std::string& note, sys_seconds now) {
  auto it = store_.item_by_id(item_id);
  if (!it) return {false, "no such item", std::nullopt, true};
  auto occ = store_.occurrence_by_id(it->occurrence);
  auto a = audit_for(*it, occ ? occ->name : "", now, who, how, "reopen");
  a.detail = note;
  if (!terminal(*it)) {
    store_.audit(a);
    return {false, "already open (not submitted or exempted); nothing to reopen", it};
  }
  const std::string was = terminal_reason(*it);
  it->state = store::item_state::open;
  it->submitted_at.reset();
  it->submit_source.clear();
  it->submit_confirmed = false;
  it->exempted_at.reset();
  it->closed_at.reset();
  store_.update_item(*it);
  // What the submission cancelled and is still ahead goes again.
  std::int64_t restored = 0;
  for (const auto& r : store_.rows_of_item(it->id))
    if (r.state == row_state::cancelled && r.reason == was && r.next_at > now) {
      store_.set_row_state(r.id, row_state::planned, "", now);
      ++restored;
    }
  a.detail = fmt::format("{}{}was {}; restored {}", note, note.empty() ? "" : "; ", was, restored);
  store_.audit(a);
  return {true, "reopened", it};
}

action_result engine::confirm(std::int64_t item_id, const std::string& who, const std::string& how, sys_seconds now) {
  auto it = store_.item_by_id(item_id);
  if (!it) return {false, "no such item", std::nullopt, true};
  auto occ = store_.occurrence_by_id(it->occurrence);
  auto a = audit_for(*it, occ ? occ->name : "", now, who, how, "confirm");
  if (it->state != store::item_state::submitted || it->submit_confirmed) {
    store_.audit(a);
    if (it->submit_confirmed) return {false, "already confirmed", it};
    return {false, "not submitted; nothing to confirm", it, true};
  }
  it->submit_confirmed = true;
  store_.update_item(*it);
  store_.audit(a);
  return {true, "confirmed", it};
}

action_result engine::extend(std::int64_t item_id, config::sys_days new_last_day, const std::string& who,
                             const std::string& how, sys_seconds now) {
  auto it = store_.item_by_id(item_id);
  if (!it) return {false, "no such item", std::nullopt, true};
  auto occ = store_.occurrence_by_id(it->occurrence);
  if (!occ) return {false, "no such occurrence", std::nullopt, true};
  if (new_last_day < occ->last_day)
    return {false,
            fmt::format("the new last day {} is before the occurrence's last day {}; an extension moves it later",
                        store::iso_day(new_last_day), store::iso_day(occ->last_day)),
            it, true};
  const auto* r = rt_->cfg->find_report(occ->report_id);
  if (r == nullptr) return {false, "the report is no longer in the roster", it, true};
  it->ext_last_day = new_last_day;
  it->ext_deadline = rt_->planner.deadline_instant(*r, new_last_day);
  if (it->closed_at && !terminal(*it)) it->closed_at.reset();
  store_.update_item(*it);
  replan_item(*it, now);
  auto a = audit_for(*it, occ->name, now, who, how, "extend");
  a.detail = fmt::format("last day {} deadline {}", store::iso_day(new_last_day),
                         scheduler::rfc3339(*it->ext_deadline, rt_->cfg->service.zone));
  store_.audit(a);
  return {true, "extended", it};
}

std::int64_t engine::housekeeping(sys_seconds now) {
  if (const auto closed = store_.close_finished_items(now); closed > 0)
    spdlog::info("closed {} unit{} of past occurrences with nothing more to send (their links expire token_ttl later)",
                 closed, closed == 1 ? "" : "s");
  return store_.reduce_raw(now - rt_->cfg->service.raw_retention);
}

}  // namespace dondoc::daemon
