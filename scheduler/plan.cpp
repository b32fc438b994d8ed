// Step times, recipients and keys. The work is split so that what is the same for every
// unit of an occurrence (the send times of each step) is computed once, and only the
// recipients and keys are per unit: a national roster has tens of thousands of units.
// Keys are the per-row cost that remains, so the key text is built in a reused buffer
// and SHA-256 runs on an algorithm fetched once (bench/RESULTS.md, "Plan").
#include "scheduler/plan.hpp"

#include <algorithm>
#include <charconv>

#include <date/tz.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "config/deadline.hpp"

namespace dondoc::scheduler {

using std::chrono::minutes;
using std::chrono::seconds;
using config::channel;
using config::offset;

std::string_view to_string(step_kind k) { return k == step_kind::reminder ? "reminder" : "escalation"; }

std::string_view to_string(skip_reason r) {
  switch (r) {
    case skip_reason::none: return "";
    case skip_reason::no_recipient: return "no_recipient";
    case skip_reason::no_address: return "no_address";
    case skip_reason::quiet_hours: return "quiet_hours";
  }
  return "";
}

namespace {

// OpenSSL 3's one-shot SHA256() fetches the algorithm and allocates a context on every
// call: three quarters of a plan's time went there. Fetch once per process and keep one
// context per thread (make_key is called from the daemon's threads too).
const EVP_MD* sha256_algorithm() {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
#else
  static const EVP_MD* const md = EVP_sha256();
#endif
  return md;
}

}  // namespace

void sha256(std::string_view in, unsigned char* out) {
  struct context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local context c;
  const EVP_MD* md = sha256_algorithm();
  unsigned int len = 0;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  const bool init = c.ctx != nullptr && md != nullptr && EVP_DigestInit_ex2(c.ctx, md, nullptr) == 1;
#else
  const bool init = c.ctx != nullptr && md != nullptr && EVP_DigestInit_ex(c.ctx, md, nullptr) == 1;
#endif
  if (init && EVP_DigestUpdate(c.ctx, in.data(), in.size()) == 1 && EVP_DigestFinal_ex(c.ctx, out, &len) == 1 &&
      len == SHA256_DIGEST_LENGTH)
    return;
  SHA256(reinterpret_cast<const unsigned char*>(in.data()), in.size(), out);  // never expected
}

row_key make_key(std::string_view key_text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  sha256(key_text, digest);
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  row_key k;
  // 26 base32 characters = 130 bits; read the digest as a big-endian bit string.
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t in = 0;
  for (std::size_t out = 0; out < k.chars.size(); ++out) {
    if (bits < 5) {
      buffer = (buffer << 8) | digest[in++];
      bits += 8;
    }
    k.chars[out] = alphabet[(buffer >> (bits - 5)) & 31u];
    bits -= 5;
  }
  return k;
}

// Formatted by hand: date::format goes through an iostream and a locale per call, which
// was most of the time `dondoc plan --format json` spent on a national roster.
std::string rfc3339(sys_seconds t, const date::time_zone* zone) {
  const auto info = zone->get_info(t);
  const auto local = t + info.offset;
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<seconds> tod{local - day};
  const auto off = std::chrono::duration_cast<minutes>(info.offset).count();
  const auto a = off < 0 ? -off : off;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), tod.hours().count(),
                     tod.minutes().count(), tod.seconds().count(), off < 0 ? '-' : '+', a / 60, a % 60);
}

planner::planner(const config::config& cfg, const working_calendar& cal) : cfg_(cfg), cal_(cal) {
  report_units_.resize(cfg_.reports.size());
  for (std::size_t r = 0; r < cfg_.reports.size(); ++r)
    for (std::size_t u = 0; u < cfg_.units.size(); ++u)
      if (config::selected(cfg_.reports[r].units, cfg_.units[u])) report_units_[r].push_back(static_cast<std::int32_t>(u));
}

// --- time --------------------------------------------------------------------------

sys_seconds planner::local_to_sys(sys_days day, minutes time_of_day) const {
  const date::local_seconds local{(day + time_of_day).time_since_epoch()};
  return date::floor<seconds>(cfg_.service.zone->to_sys(local, date::choose::earliest));
}

std::pair<sys_days, minutes> planner::sys_to_local(sys_seconds t) const {
  const auto local = cfg_.service.zone->to_local(t);
  const auto day = date::floor<date::days>(local);
  return {sys_days{day.time_since_epoch()}, std::chrono::duration_cast<minutes>(local - day)};
}

const config::office_season& planner::season_of(sys_days day) const {
  const date::year_month_day ymd{day};
  const auto md = std::pair(static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  const auto& seasons = cfg_.sending.office_hours;
  const config::office_season* found = &seasons.back();  // wraps from the previous year
  for (const auto& s : seasons)
    if (std::pair(s.from_month, s.from_day) <= md) found = &s;
  return *found;
}

minutes planner::office_start(sys_days day) const { return season_of(day).hours.front().start; }

bool planner::in_office_hours(sys_seconds t) const {
  // Not a structured binding: clang 14 (the fuzz preset) cannot capture one in a lambda.
  const auto local = sys_to_local(t);
  const sys_days day = local.first;
  const minutes tod = local.second;
  if (!cal_.is_working(day)) return false;
  const auto& hours = season_of(day).hours;
  return std::any_of(hours.begin(), hours.end(), [&](const config::clock_window& w) { return w.contains(tod); });
}

sys_seconds planner::next_office_start(sys_seconds t) const {
  if (in_office_hours(t)) return t;
  const auto [first_day, tod] = sys_to_local(t);
  // A year of days off in a row does not happen; the bound keeps a broken calendar finite.
  for (int i = 0; i < 400; ++i) {
    const sys_days day = first_day + date::days{i};
    if (!cal_.is_working(day)) continue;
    for (const auto& w : season_of(day).hours)
      if (i > 0 || w.start >= tod) {
        const sys_seconds s = local_to_sys(day, w.start);
        if (s >= t) return s;
      }
  }
  return t;
}

bool planner::in_quiet_hours(sys_seconds t) const {
  return cfg_.sending.sms_quiet_hours.contains(sys_to_local(t).second);
}

sys_seconds planner::end_of_quiet_hours(sys_seconds t) const {
  const auto& q = cfg_.sending.sms_quiet_hours;
  const auto [day, tod] = sys_to_local(t);
  if (!q.contains(tod)) return t;
  const bool wraps = q.end < q.start;
  const sys_days end_day = (wraps && tod >= q.start) ? day + date::days{1} : day;
  return local_to_sys(end_day, q.end);
}

sys_seconds planner::sms_time(sys_seconds due, bool urgent) const { return urgent ? due : end_of_quiet_hours(due); }

// --- deadlines -----------------------------------------------------------------------

sys_seconds planner::deadline_instant(const config::report& r, sys_days last_day) const {
  if (r.deadline.every == config::deadline_rule::every_t::once_at && r.deadline.at &&
      config::civil_date(*r.deadline.at, cfg_.service.zone) == last_day)
    return *r.deadline.at;
  if (r.deadline.time) return local_to_sys(last_day, *r.deadline.time);
  return local_to_sys(last_day + date::days{1}, minutes{0});
}

std::pair<sys_days, sys_seconds> planner::resolve(const config::report& r, sys_days nominal) const {
  const config::override_rule* ov = nullptr;
  for (const auto& o : r.overrides)
    if (o.nominal == nominal) ov = &o;
  if (r.deadline.every == config::deadline_rule::every_t::once_at && r.deadline.at && !(ov && ov->date)) {
    const sys_days l = config::civil_date(*r.deadline.at, cfg_.service.zone);
    if (ov && ov->time) return {l, local_to_sys(l, *ov->time)};
    return {l, *r.deadline.at};
  }
  const sys_days base = (ov && ov->date) ? *ov->date : nominal;
  sys_days l = r.deadline.before ? base - date::days{1} : base;
  switch (r.day_off_policy) {
    case config::on_day_off::keep: break;
    case config::on_day_off::previous_working_day: l = cal_.previous_working_on_or_before(l); break;
    case config::on_day_off::next_working_day: l = cal_.next_working_on_or_after(l); break;
  }
  std::optional<minutes> time = r.deadline.time;
  if (ov && ov->time) time = ov->time;
  const sys_seconds t = time ? local_to_sys(l, *time) : local_to_sys(l + date::days{1}, minutes{0});
  return {l, t};
}

std::vector<std::int32_t> planner::units_of(const config::report& r, const config::override_rule* o,
                                            sys_days last_day) const {
  const auto ri = static_cast<std::size_t>(&r - cfg_.reports.data());
  std::vector<std::int32_t> out;
  for (std::int32_t ui : report_units_[ri]) {
    const auto& u = cfg_.units[static_cast<std::size_t>(ui)];
    if (!u.valid_on(last_day)) continue;
    if (o && !o->units.empty() && !config::selected(o->units, u)) continue;
    out.push_back(ui);
  }
  return out;
}

occurrence planner::make_occurrence(std::int32_t ri, sys_days nominal) const {
  const auto& r = cfg_.reports[static_cast<std::size_t>(ri)];
  occurrence o;
  o.report = ri;
  o.nominal = nominal;
  o.id = r.id + "@" + date::format("%F", nominal);
  o.period = config::period_key(r.deadline, nominal);
  std::tie(o.last_day, o.deadline) = resolve(r, nominal);
  const config::override_rule* ov = nullptr;
  for (const auto& x : r.overrides)
    if (x.nominal == nominal) ov = &x;
  o.units = units_of(r, ov, o.last_day);
  return o;
}

std::pair<std::int64_t, std::int64_t> planner::margins(const config::report& r) const {
  auto days_of = [](const offset& o) -> std::int64_t {
    switch (o.unit) {
      case offset::unit_t::wd: return o.count * 2 + 20;  // weekends and a Tết week
      case offset::unit_t::d: return o.count + 10;
      default: return o.duration().count() / 86400 + 2;
    }
  };
  std::int64_t before = 0, after = 0;
  for (const auto& s : r.reminders) before = std::max(before, days_of(s.off));
  for (const auto& s : r.escalation) {
    std::int64_t a = days_of(s.off);
    if (s.repeat) a += days_of(s.repeat->every) * s.repeat->max;
    after = std::max(after, a);
  }
  // on_day_off moves L across a holiday week at most; the steps' own day moves too.
  return {before + 15, after + 15};
}

std::vector<occurrence> planner::occurrences_between(std::int32_t ri, sys_days from, sys_days to) const {
  const auto& r = cfg_.reports[static_cast<std::size_t>(ri)];
  std::vector<occurrence> out;
  if (r.first && from < *r.first) from = *r.first;
  if (r.last && to > *r.last) to = *r.last;
  sys_days d = from;
  while (d <= to) {
    auto n = config::next_nominal(r.deadline, d, cfg_.service.zone);
    if (!n || *n > to) break;
    out.push_back(make_occurrence(ri, *n));
    if (!r.deadline.periodic()) break;
    d = *n + date::days{1};
  }
  return out;
}

std::vector<occurrence> planner::occurrences_for(std::int32_t ri, sys_seconds from, sys_seconds to) const {
  const auto& r = cfg_.reports[static_cast<std::size_t>(ri)];
  const auto [before, after] = margins(r);
  const sys_days lo = sys_to_local(from).first - date::days{after};
  const sys_days hi = sys_to_local(to).first + date::days{before};
  auto out = occurrences_between(ri, lo, hi);
  // An override can move a deadline far from its nominal date.
  for (const auto& ov : r.overrides) {
    if (std::any_of(out.begin(), out.end(), [&](const occurrence& o) { return o.nominal == ov.nominal; })) continue;
    if (r.first && ov.nominal < *r.first) continue;
    if (r.last && ov.nominal > *r.last) continue;
    occurrence o = make_occurrence(ri, ov.nominal);
    if (o.last_day + date::days{after} >= lo && o.last_day <= hi + date::days{before}) out.push_back(std::move(o));
  }
  std::sort(out.begin(), out.end(), [](const occurrence& a, const occurrence& b) { return a.nominal < b.nominal; });
  return out;
}

// --- steps -------------------------------------------------------------------------

sys_seconds planner::step_due(const config::step& s, step_kind kind, sys_days last_day, sys_seconds deadline) const {
  if (!s.off.day_based()) {
    return kind == step_kind::reminder ? deadline - s.off.duration() : deadline + s.off.duration();
  }
  sys_days day;
  if (kind == step_kind::reminder) {
    const sys_days a = cal_.is_working(last_day) ? last_day : cal_.previous_working_on_or_before(last_day);
    if (s.off.unit == offset::unit_t::wd)
      day = s.off.count == 0 ? a : cal_.add_working_days(a, -s.off.count);
    else
      day = cal_.previous_working_on_or_before(last_day - date::days{s.off.count});
  } else {
    if (s.off.unit == offset::unit_t::wd)
      day = cal_.add_working_days(last_day, s.off.count);
    else
      day = cal_.next_working_on_or_after(last_day + date::days{s.off.count});
  }
  return local_to_sys(day, s.at ? *s.at : office_start(day));
}

std::vector<send_time> planner::schedule(const config::report& r, sys_days last_day, sys_seconds deadline) const {
  std::vector<send_time> out;
  for (const auto kind : {step_kind::reminder, step_kind::escalation}) {
    const auto& steps = kind == step_kind::reminder ? r.reminders : r.escalation;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const config::step& s = steps[i];
      sys_seconds due = step_due(s, kind, last_day, deadline);
      const std::int64_t repeats = s.repeat ? s.repeat->max : 0;
      // A repeat goes `every` after the previous send of its channel: an SMS held back by
      // quiet hours moves its own repeats along, so they do not all go at the same minute.
      std::array<std::optional<sys_seconds>, 2> previous{};
      for (std::int64_t k = 0; k <= repeats; ++k) {
        if (k > 0) {
          const offset& every = s.repeat->every;
          if (every.day_based()) {
            const auto [day, tod] = sys_to_local(due);
            const sys_days next = every.unit == offset::unit_t::wd
                                      ? cal_.add_working_days(day, every.count)
                                      : cal_.next_working_on_or_after(day + date::days{every.count});
            due = local_to_sys(next, tod);
            if (s.off.day_based()) due = next_office_start(due);
          } else {
            due += every.duration();
            if (s.off.day_based()) due = next_office_start(due);
          }
        }
        if (kind == step_kind::reminder && due >= deadline) break;  // a reminder never goes at or after T
        send_time st;
        st.step = static_cast<std::uint16_t>(i);
        st.kind = kind;
        st.repeat = static_cast<std::uint16_t>(k);
        st.due = due;
        for (channel c : s.channels) {
          const auto ci = static_cast<std::size_t>(c);
          st.uses[ci] = true;
          sys_seconds send = due;
          if (k > 0 && previous[ci] && !s.repeat->every.day_based()) {
            send = std::max(send, *previous[ci] + s.repeat->every.duration());
            if (s.off.day_based()) send = next_office_start(send);
          }
          sys_seconds at = c == channel::sms ? sms_time(send, s.urgent) : send;
          if (kind == step_kind::reminder && at >= deadline) st.at[ci] = std::nullopt;
          else st.at[ci] = at;
          if (st.at[ci]) previous[ci] = at;
        }
        out.push_back(st);
      }
    }
  }
  return out;
}

std::vector<const config::contact*> planner::unit_recipients(const config::step& s, const config::unit& u) const {
  std::vector<const config::contact*> out;
  for (const auto& c : u.contacts)
    for (const auto& role : c.roles)
      if (std::find(s.to.begin(), s.to.end(), role) != s.to.end()) {
        out.push_back(&c);
        break;
      }
  return out;
}

std::vector<std::pair<const config::contact*, std::uint8_t>> planner::group_recipients(const config::report& r,
                                                                                       const config::step& s) const {
  std::vector<std::pair<const config::contact*, std::uint8_t>> out;
  auto add = [&](const config::contact* c, std::size_t role) {
    if (c == nullptr) return;
    for (const auto& [x, ri] : out)
      if (x == c) return;
    out.emplace_back(c, static_cast<std::uint8_t>(role));
  };
  for (std::size_t i = 0; i < s.to.size(); ++i) {
    const std::string_view role = std::string_view(s.to[i]).substr(1);
    if (role == "coordinator" && !r.coordinators.empty()) {
      for (const auto& id : r.coordinators) add(cfg_.find_contact(id), i);
      continue;
    }
    for (const auto& c : cfg_.contacts)
      if (std::find(c.roles.begin(), c.roles.end(), role) != c.roles.end()) add(&c, i);
  }
  return out;
}

namespace {

bool has_address(const config::contact& c, channel ch) {
  return ch == channel::email ? !c.email.empty() : !c.phone.empty();
}

}  // namespace

void planner::append_key_text(std::string& out, const occurrence& o, const row& rw) const {
  const auto& r = cfg_.reports[static_cast<std::size_t>(o.report)];
  const auto& s = rw.kind == step_kind::reminder ? r.reminders[rw.step] : r.escalation[rw.step];
  const std::string_view who = rw.unit >= 0 ? std::string_view(cfg_.units[static_cast<std::size_t>(rw.unit)].id)
                                            : std::string_view(s.to[rw.role]);
  char repeat[8];
  const auto rep = std::to_chars(repeat, repeat + sizeof repeat, rw.repeat);
  out += o.id;
  out += '/';
  out += who;
  out += '/';
  out += s.key_name;
  out += '/';
  out.append(repeat, rep.ptr);
  out += '/';
  out += config::to_string(rw.chan);
  out += '/';
  out += rw.contact ? std::string_view(rw.contact->id) : std::string_view("-");
}

std::string planner::key_text(const occurrence& o, const row& rw) const {
  std::string out;
  out.reserve(o.id.size() + 80);
  append_key_text(out, o, rw);
  return out;
}

namespace {

bool has_role(const config::contact& c, const std::vector<std::string>& to) {
  for (const auto& role : c.roles)
    if (std::find(to.begin(), to.end(), role) != to.end()) return true;
  return false;
}

}  // namespace

void planner::unit_send_rows(const occurrence& o, std::int32_t occ_index, std::int32_t unit, const send_time& st,
                             std::vector<row>& out, unsigned channels) const {
  const auto& r = cfg_.reports[static_cast<std::size_t>(o.report)];
  const auto& s = st.kind == step_kind::reminder ? r.reminders[st.step] : r.escalation[st.step];
  if (s.grouped) return;
  const auto& u = cfg_.units[static_cast<std::size_t>(unit)];
  thread_local std::string text;
  row rw;
  rw.due = st.due;
  rw.occurrence = occ_index;
  rw.unit = unit;
  rw.step = st.step;
  rw.repeat = st.repeat;
  rw.kind = st.kind;
  auto emit = [&](const config::contact* who, skip_reason why, sys_seconds at) {
    rw.contact = who;
    rw.skipped = why;
    rw.at = at;
    text.clear();
    append_key_text(text, o, rw);
    rw.key = make_key(text);
    out.push_back(rw);
  };
  for (channel c : s.channels) {
    const auto ci = static_cast<std::size_t>(c);
    if ((channels & (1u << ci)) == 0) continue;
    rw.chan = c;
    bool any = false;
    // Recipients in the unit's contact order; a contact with several named roles once.
    for (const auto& who : u.contacts) {
      if (!has_role(who, s.to)) continue;
      any = true;
      if (!has_address(who, c)) emit(&who, skip_reason::no_address, st.due);
      else if (!st.at[ci]) emit(&who, skip_reason::quiet_hours, st.due);
      else emit(&who, skip_reason::none, *st.at[ci]);
    }
    if (!any) emit(nullptr, skip_reason::no_recipient, st.due);
  }
}

void planner::group_send_rows(const occurrence& o, std::int32_t occ_index, const send_time& st, std::vector<row>& out,
                              unsigned channels) const {
  const auto& r = cfg_.reports[static_cast<std::size_t>(o.report)];
  const auto& s = st.kind == step_kind::reminder ? r.reminders[st.step] : r.escalation[st.step];
  if (!s.grouped) return;
  const auto recipients = group_recipients(r, s);
  row rw;
  rw.due = st.due;
  rw.occurrence = occ_index;
  rw.unit = -1;
  rw.step = st.step;
  rw.repeat = st.repeat;
  rw.kind = st.kind;
  auto emit = [&](const config::contact* who, std::uint8_t role, skip_reason why, sys_seconds at) {
    rw.contact = who;
    rw.role = role;
    rw.skipped = why;
    rw.at = at;
    rw.key = make_key(key_text(o, rw));
    out.push_back(rw);
  };
  for (channel c : s.channels) {
    const auto ci = static_cast<std::size_t>(c);
    if ((channels & (1u << ci)) == 0) continue;
    rw.chan = c;
    if (recipients.empty()) {
      emit(nullptr, 0, skip_reason::no_recipient, st.due);
      continue;
    }
    for (const auto& [who, role] : recipients) {
      if (!has_address(*who, c)) emit(who, role, skip_reason::no_address, st.due);
      else if (!st.at[ci]) emit(who, role, skip_reason::quiet_hours, st.due);
      else emit(who, role, skip_reason::none, *st.at[ci]);
    }
  }
}

void planner::unit_rows(const occurrence& o, std::int32_t occ_index, std::int32_t unit,
                        const std::vector<send_time>& sends, std::vector<row>& out) const {
  for (const auto& st : sends) unit_send_rows(o, occ_index, unit, st, out);
}

void planner::group_rows(const occurrence& o, std::int32_t occ_index, const std::vector<send_time>& sends,
                         const std::vector<std::int32_t>& outstanding, std::vector<row>& out) const {
  if (outstanding.empty()) return;  // a grouped step lists outstanding units; none, nothing sent
  for (const auto& st : sends) group_send_rows(o, occ_index, st, out);
}

}  // namespace dondoc::scheduler
