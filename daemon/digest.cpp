// Digest decisions over the store. The sections are computed from the same reads as
// the status pages (items, their status now, the outbox rows of the occurrence), so a
// digest never says something the pages do not. Skips are recorded as rows too: the log
// then answers "why did I get nothing this morning?".
#include "daemon/digest.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "text/text.hpp"

namespace dondoc::daemon {
namespace {

bool has_role(const config::contact& c, std::string_view role) {
  return std::find(c.roles.begin(), c.roles.end(), role) != c.roles.end();
}

std::string role_vi(std::string_view r) {
  if (r == "focal") return "đầu mối";
  if (r == "head") return "thủ trưởng";
  if (r == "deputy") return "cấp phó";
  if (r == "@coordinator") return "điều phối";
  if (r == "@leader") return "lãnh đạo";
  return std::string(r);
}

const config::step* step_of(const config::report& r, const store::outbox_rec& row) {
  const auto& list = row.kind == "reminder" ? r.reminders : r.escalation;
  if (row.step < 0 || row.step >= static_cast<std::int64_t>(list.size())) return nullptr;
  return &list[static_cast<std::size_t>(row.step)];
}

// Whether the current roster now has what a skipped row lacked.
bool fixed_now(const config::config& cfg, const config::report* r, const store::outbox_rec& row) {
  const bool sms = row.channel == "sms";
  if (row.reason == "no_address") {
    const auto* c = cfg.find_contact(row.contact_id);
    return c != nullptr && !(sms ? c->phone : c->email).empty();
  }
  const config::step* s = r != nullptr ? step_of(*r, row) : nullptr;
  if (s == nullptr) return false;
  if (row.unit_id.empty()) {
    for (const auto& c : cfg.contacts)
      for (const auto& to : s->to)
        if (to.size() > 1 && to[0] == '@' && has_role(c, to.substr(1))) return true;
    return false;
  }
  const auto* u = cfg.find_unit(row.unit_id);
  if (u == nullptr) return false;
  for (const auto& c : u->contacts)
    for (const auto& to : s->to)
      if (has_role(c, to)) return true;
  return false;
}

std::string short_error(std::string e) {
  if (text::code_points(e) > 80) {
    std::size_t cut = 0, n = 0;
    while (cut < e.size() && n < 77) {
      ++cut;
      while (cut < e.size() && (static_cast<unsigned char>(e[cut]) & 0xC0) == 0x80) ++cut;
      ++n;
    }
    e = e.substr(0, cut) + "…";
  }
  return e;
}

}  // namespace

std::vector<const config::contact*> digest_recipients(const config::config& cfg) {
  std::vector<const config::contact*> out;
  std::set<std::string_view> seen;
  for (const auto& c : cfg.contacts)
    if (has_role(c, "coordinator") && seen.insert(c.id).second) out.push_back(&c);
  for (const auto& r : cfg.reports)
    for (const auto& id : r.coordinators)
      if (const auto* c = cfg.find_contact(id); c != nullptr && seen.insert(c->id).second) out.push_back(c);
  return out;
}

bool digest_covers(const config::contact& c, const config::report& r) {
  if (c.unit < 0 && has_role(c, "coordinator")) return true;
  return std::find(r.coordinators.begin(), r.coordinators.end(), c.id) != r.coordinators.end();
}

std::vector<notifiers::digest_section> digest_sections(engine& e, const config::contact& recipient, sys_seconds now,
                                                       std::optional<sys_seconds> since) {
  const auto& cfg = e.cfg();
  auto& db = e.db();
  const auto today = e.rt().planner.sys_to_local(now).first;
  const bool roster_wide = recipient.unit < 0 && has_role(recipient, "coordinator");
  std::vector<notifiers::digest_section> out;
  for (const auto& occ : db.occurrences_since(today - date::days{120})) {
    const config::report* report = cfg.find_report(occ.report_id);
    if (report != nullptr ? !digest_covers(recipient, *report) : !roster_wide) continue;
    // Started: the deadline has passed, or a unit got a message or answered (read from the
    // items; the outbox rows are read only for the occurrences the digest carries).
    const auto items = db.items_of_occurrence(occ.id);
    const bool started = now >= occ.deadline || std::any_of(items.begin(), items.end(), [](const auto& it) {
                           return it.last_message_at || it.acknowledged_at || it.state != store::item_state::open;
                         });
    if (!started) continue;
    notifiers::digest_section s;
    s.occurrence = occ.name;
    s.title = occ.title.empty() ? occ.report_id : occ.title;
    s.last_day = occ.last_day;
    s.deadline = occ.deadline;
    std::optional<sys_seconds> last_activity;
    std::set<std::int64_t> open_items;
    std::map<std::int64_t, std::string> names;
    std::int64_t tracked = 0;
    for (const auto& it : items) {
      if (!it.in_plan) continue;
      const config::unit* u = cfg.find_unit(it.unit_id);
      const std::string name = u != nullptr ? u->name : it.unit_name;
      names[it.id] = name;
      ++s.total;
      const auto st = e.status(it, now);
      ++s.counts[std::string(to_string(st))];
      if (it.tracked) ++tracked;
      if (it.state != store::item_state::open) {
        if (it.closed_at && (!last_activity || *it.closed_at > *last_activity)) last_activity = it.closed_at;
        continue;
      }
      if (!it.tracked) continue;
      open_items.insert(it.id);
      notifiers::digest_unit du;
      du.id = it.unit_id;
      du.name = name;
      du.status = std::string(to_string(st));
      du.acknowledged_at = it.acknowledged_at;
      du.extended_to = it.ext_last_day;
      (st == unit_status::overdue ? s.overdue : s.outstanding).push_back(std::move(du));
    }
    const auto by_name = [](const notifiers::digest_unit& a, const notifiers::digest_unit& b) {
      const int c = text::compare_vi(a.name, b.name);
      return c != 0 ? c < 0 : a.id < b.id;
    };
    // An occurrence whose units were never tracked (its deadline passed before dondoc knew
    // them) has nothing to chase and nothing to report.
    if (tracked == 0) continue;
    std::sort(s.overdue.begin(), s.overdue.end(), by_name);
    std::sort(s.outstanding.begin(), s.outstanding.end(), by_name);
    if (s.overdue.empty() && s.outstanding.empty() && since && (!last_activity || *last_activity <= *since)) continue;

    // Failures and skips matter while the unit is still outstanding (or for grouped rows).
    const auto rows = db.rows_of_occurrence(occ.id);
    std::map<std::tuple<std::string, std::string, std::string, std::string>, notifiers::digest_skip> skips;
    for (const auto& r : rows) {
      const bool relevant = !r.item || open_items.count(*r.item) > 0;
      if (!relevant) continue;
      const auto* contact = cfg.find_contact(r.contact_id);
      const std::string unit_name = r.item ? names[*r.item] : std::string();
      if (r.state == store::row_state::failed) {
        notifiers::digest_failure f;
        f.unit_name = unit_name;
        f.recipient = contact != nullptr ? contact->name : r.contact_id;
        f.channel = r.channel;
        f.reason = r.reason;
        f.error = short_error(r.last_error);
        f.at = r.first_attempt_at ? r.first_attempt_at : std::optional<sys_seconds>(r.due);
        s.failed.push_back(std::move(f));
      } else if (r.state == store::row_state::skipped && (r.reason == "no_recipient" || r.reason == "no_address")) {
        std::string who;
        if (contact != nullptr) {
          who = contact->name;
        } else if (!r.role.empty()) {
          who = role_vi(r.role);
        } else if (const config::step* st = report != nullptr ? step_of(*report, r) : nullptr) {
          for (const auto& to : st->to) who += (who.empty() ? "" : ", ") + role_vi(to);
        }
        if (who.empty()) who = r.contact_id.empty() ? "—" : r.contact_id;
        const auto key = std::make_tuple(unit_name, who, r.channel, r.reason);
        auto k = skips.find(key);
        if (k == skips.end()) {
          notifiers::digest_skip fresh;
          fresh.unit_name = unit_name;
          fresh.recipient = who;
          fresh.channel = r.channel;
          fresh.reason = r.reason;
          fresh.messages = 0;
          fresh.fixed_now = fixed_now(cfg, report, r);
          k = skips.emplace(key, std::move(fresh)).first;
        }
        ++k->second.messages;
      }
    }
    std::stable_sort(s.failed.begin(), s.failed.end(),
                     [](const auto& a, const auto& b) { return text::compare_vi(a.unit_name, b.unit_name) < 0; });
    for (auto& [_, k] : skips) s.skipped.push_back(std::move(k));
    std::stable_sort(s.skipped.begin(), s.skipped.end(),
                     [](const auto& a, const auto& b) { return text::compare_vi(a.unit_name, b.unit_name) < 0; });
    out.push_back(std::move(s));
  }
  return out;
}

std::string digest_fingerprint(const std::vector<notifiers::digest_section>& sections) {
  std::string canon;
  for (const auto& s : sections) {
    canon += "S|" + s.occurrence + "|" + store::iso_day(s.last_day) + "|" + std::to_string(s.total) + "\n";
    for (const auto& [k, v] : s.counts) canon += "C|" + k + "=" + std::to_string(v) + "\n";
    for (const auto* list : {&s.overdue, &s.outstanding})
      for (const auto& u : *list)
        canon += "U|" + u.id + "|" + u.status + "|" + (u.acknowledged_at ? "a" : "") + "|" +
                 (u.extended_to ? store::iso_day(*u.extended_to) : "") + "\n";
    for (const auto& f : s.failed) canon += "F|" + f.unit_name + "|" + f.recipient + "|" + f.channel + "|" + f.reason + "\n";
    for (const auto& k : s.skipped)
      canon += "K|" + k.unit_name + "|" + k.recipient + "|" + k.channel + "|" + k.reason + "|" +
               std::to_string(k.messages) + "|" + (k.fixed_now ? "1" : "0") + "\n";
  }
  return scheduler::make_key(canon).str();
}

std::string digest_key(const std::string& day, const std::string& contact_id) {
  return scheduler::make_key("digest|" + day + "|" + contact_id).str();
}

void digest_runner::recover(sys_seconds now) {
  const auto today = store::iso_day(engine_.rt().planner.sys_to_local(now).first);
  const auto expired = log_.expire_before(today);
  const auto again = log_.reset_sending(now);
  if (expired > 0) spdlog::warn("{} digests of earlier days were never sent; they are dropped", expired);
  if (again > 0) spdlog::warn("{} digests were being sent when dondoc stopped; sending them again", again);
}

std::optional<config::sys_days> digest_runner::round_day(sys_seconds now) const {
  const auto& planner = engine_.rt().planner;
  if (!planner.in_office_hours(now)) return std::nullopt;
  return planner.sys_to_local(now).first;
}

std::vector<digest_job> digest_runner::take_due(sys_seconds now) {
  std::vector<digest_job> jobs;
  const auto day = round_day(now);
  if (!day) return jobs;
  const std::string d = store::iso_day(*day);
  log_.expire_before(d);
  auto rt = engine_.rt_ptr();
  const auto& cfg = *rt->cfg;
  for (const config::contact* c : digest_recipients(cfg)) {
    auto make_job = [&](std::vector<notifiers::digest_section> sections, std::int64_t attempt) {
      digest_job j;
      j.day = d;
      j.rt = rt;
      j.recipient = c;
      j.attempt = attempt;
      j.input.cfg = &cfg;
      j.input.recipient = c;
      j.input.day = *day;
      j.input.now = now;
      j.input.key = digest_key(d, c->id);
      j.input.sections = std::move(sections);
      return j;
    };
    if (auto rec = log_.get(d, c->id)) {
      // Only a retry is left to do today.
      if (rec->state != "planned" || !log_.claim(d, c->id, now)) continue;
      auto last = log_.last_sent(c->id);
      auto sections = digest_sections(engine_, *c, now, last ? last->sent_at : std::nullopt);
      std::int64_t outstanding = 0;
      for (const auto& s : sections) outstanding += static_cast<std::int64_t>(s.overdue.size() + s.outstanding.size());
      log_.set_content(d, c->id, digest_fingerprint(sections), outstanding);
      jobs.push_back(make_job(std::move(sections), rec->attempts + 1));
      continue;
    }
    auto last = log_.last_sent(c->id);
    auto sections = digest_sections(engine_, *c, now, last ? last->sent_at : std::nullopt);
    store::digest_rec r;
    r.day = d;
    r.contact_id = c->id;
    r.key = digest_key(d, c->id);
    r.fingerprint = digest_fingerprint(sections);
    for (const auto& s : sections) r.outstanding += static_cast<std::int64_t>(s.overdue.size() + s.outstanding.size());
    r.created_at = now;
    r.next_at = now;
    if (c->email.empty()) {
      r.state = "skipped";
      r.reason = "no_address";
    } else if (sections.empty()) {
      r.state = "skipped";
      r.reason = "nothing_to_report";
    } else if (r.outstanding == 0 && last && last->fingerprint == r.fingerprint) {
      r.state = "skipped";
      r.reason = "nothing_changed";
    } else {
      r.state = "sending";
      r.attempts = 1;
    }
    log_.insert(r);
    if (r.state == "skipped") {
      spdlog::info("digest skipped day={} contact={} reason={}", d, c->id, r.reason);
      continue;
    }
    jobs.push_back(make_job(std::move(sections), 1));
  }
  return jobs;
}

void digest_runner::record(const digest_job& j, const notifiers::send_result& r, sys_seconds now) {
  const std::string& contact = j.recipient->id;
  switch (r.kind) {
    case notifiers::outcome::ok: {
      log_.mark_sent(j.day, contact, now);
      std::size_t overdue = 0, outstanding = 0;
      for (const auto& s : j.input.sections) {
        overdue += s.overdue.size();
        outstanding += s.outstanding.size();
      }
      spdlog::info("digest sent day={} contact={} key={} occurrences={} overdue={} outstanding={}", j.day, contact,
                   j.input.key, j.input.sections.size(), overdue, outstanding);
      return;
    }
    case notifiers::outcome::retry:
      if (j.attempt < max_attempts) {
        auto wait = std::chrono::seconds{30} * (std::int64_t{1} << std::min<std::int64_t>(j.attempt - 1, 6));
        wait = std::min<std::chrono::seconds>(wait, std::chrono::minutes{30});
        if (r.retry_after && *r.retry_after > wait) wait = *r.retry_after;
        log_.mark_retry(j.day, contact, now + wait, r.reason);
        spdlog::warn("digest not sent day={} contact={} attempt={} retry_in={}s reason=\"{}\"", j.day, contact,
                     j.attempt, wait.count(), r.reason);
        return;
      }
      log_.mark_failed(j.day, contact, "retries_exhausted", r.reason);
      break;
    case notifiers::outcome::permanent:
      log_.mark_failed(j.day, contact, "permanent", r.reason);
      break;
  }
  spdlog::error("digest failed day={} contact={} attempt={} reason=\"{}\"", j.day, contact, j.attempt, r.reason);
}

sys_seconds digest_runner::next_wake(sys_seconds now) {
  const auto& planner = engine_.rt().planner;
  const auto today = planner.sys_to_local(now).first;
  // Today's round is due and someone has not had it yet (a start in office hours).
  if (round_day(now))
    for (const config::contact* c : digest_recipients(engine_.cfg()))
      if (!log_.get(store::iso_day(today), c->id)) return now;
  sys_seconds next = planner.in_office_hours(now) ? planner.next_office_start(planner.local_to_sys(today + date::days{1}, {}))
                                                  : planner.next_office_start(now);
  if (auto retry = log_.next_retry(store::iso_day(today))) next = std::min(next, std::max(*retry, now));
  return next;
}

}  // namespace dondoc::daemon
