// Properties of the plan over randomised rosters. Each roster is generated as TOML from a
// fixed seed (so a failure names the seed and prints the roster) and read by
// config::load_text, then planned for 2025-2027 and checked against the rules of
// DESIGN.md ("Deadlines and occurrences", "Steps", "Time windows", "Outbox"):
//  - every day-based step is on a working day, inside office hours or at its `at`;
//  - every reminder is before T and every escalation after it;
//  - no SMS inside quiet hours unless the step is urgent (and only reminders lose one);
//  - keys are unique and are the hash of their key text;
//  - L, T and the units of each occurrence follow the rule, on_day_off and validity;
//  - plan(A ∪ B) = plan(A) ∪ plan(B) for rosters whose reports are disjoint;
//  - the same input gives the same output, and the streaming plan (for_each_send, what
//    `dondoc plan` prints) equals the materialised one (plan_range + gather_sends).
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include "config/config.hpp"
#include "scheduler/plan.hpp"
#include "scheduler/plan_range.hpp"
#include "scheduler/working_calendar.hpp"

namespace {

using namespace dondoc;
using std::chrono::minutes;
using date::days;

constexpr int roster_count = 300;  // rosters checked for the per-roster properties
constexpr int union_count = 120;   // (A, B) pairs checked for the union property

// --- the generator -------------------------------------------------------------------

class gen {
 public:
  explicit gen(std::uint64_t seed) : rng_(seed) {}
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(between(0, static_cast<int>(v.size()) - 1))];
  }
  template <typename T>
  std::vector<T> some(const std::vector<T>& v, std::size_t lo, std::size_t hi) {
    std::vector<T> c = v;
    std::shuffle(c.begin(), c.end(), rng_);
    c.resize(static_cast<std::size_t>(between(static_cast<int>(lo), static_cast<int>(std::min(hi, v.size())))));
    return c;
  }

 private:
  std::mt19937_64 rng_;
};

std::string quoted_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
  return out + "]";
}

date::sys_days clamped(int y, unsigned m, unsigned d) {
  const auto last = static_cast<unsigned>(date::year_month_day_last{date::year{y} / date::month{m} / date::last}.day());
  return date::sys_days{date::year{y} / date::month{m} / date::day{std::min(d, last)}};
}

std::string iso(date::sys_days d) { return date::format("%F", d); }

date::sys_days random_day(gen& g, int first_year, int last_year) {
  const date::sys_days a{date::year{first_year} / 1 / 1}, b{date::year{last_year} / 12 / 31};
  return a + days{g.between(0, static_cast<int>((b - a).count()))};
}

// Settings, roster-wide contacts and units: shared by the rosters of one union pair.
struct base_roster {
  std::string text;
  int units = 0;
  bool has_head = false;
};

base_roster make_base(gen& g) {
  base_roster b;
  std::string& t = b.text;
  t += "[service]\ntimezone = \"Asia/Ho_Chi_Minh\"\nstate_dir = \"/nonexistent/plan-property\"\n\n[sending]\n";
  const std::vector<std::string> hours = {R"(["07:30-11:30", "13:30-17:00"])", R"(["07:00-11:30", "13:30-17:00"])",
                                          R"(["08:00-12:00", "13:00-17:00"])"};
  if (g.chance(0.3))
    t += fmt::format("office_hours = [{{ from = \"04-01\", hours = {} }}, {{ from = \"10-01\", hours = {} }}]\n",
                     hours[1], hours[0]);
  else
    t += "office_hours = " + g.pick(hours) + "\n";
  t += "sms_quiet_hours = \"" + g.pick(std::vector<std::string>{"22:00-07:00", "21:00-07:30", "20:00-08:00",
                                                                  "23:00-06:00"}) + "\"\n";
  t += "\n[calendar]\n";
  t += g.chance(0.85) ? "weekend = [\"saturday\", \"sunday\"]\n" : "weekend = [\"sunday\"]\n";
  t += g.chance(0.85) ? "holidays = \"vn\"\n" : "holidays = \"none\"\n";
  if (g.chance(0.5)) {
    std::set<date::sys_days> off, on;
    for (int i = g.between(1, 4); i > 0; --i) off.insert(random_day(g, 2025, 2027));
    for (int i = g.between(0, 3); i > 0; --i) {
      const auto d = random_day(g, 2025, 2027);
      if (!off.count(d)) on.insert(d);
    }
    t += "days_off = [";
    for (auto d : off) t += iso(d) + (d == *off.rbegin() ? "" : ", ");
    t += "]\n";
    if (!on.empty()) {
      t += "working_days = [";
      for (auto d : on) t += iso(d) + (d == *on.rbegin() ? "" : ", ");
      t += "]\n";
    }
  }
  t += "\n[[contacts]]\nid = \"coord\"\nname = \"Điều phối\"\nemail = \"coord@snv.example\"\n"
       "phone = \"0900 000 900\"\nroles = [\"coordinator\"]\n";
  t += fmt::format("\n[[contacts]]\nid = \"leader\"\nname = \"Lãnh đạo\"\nemail = \"leader@ubnd.example\"\n{}"
                   "roles = [\"leader\"]\n",
                   g.chance(0.5) ? "phone = \"0900 000 901\"\n" : "");
  if (g.chance(0.4))
    t += "\n[[contacts]]\nid = \"coord2\"\nname = \"Điều phối 2\"\nemail = \"coord2@snv.example\"\n"
         "roles = [\"coordinator\", \"leader\"]\n";

  b.units = g.between(1, 7);
  int phone = 100;
  for (int u = 0; u < b.units; ++u) {
    t += fmt::format("\n[[units]]\nid = \"u{}\"\nname = \"Đơn vị {}\"\nshort_name = \"DV {}\"\nkind = \"{}\"\n", u, u, u,
                     g.pick(std::vector<std::string>{"so", "huyen", "xa"}));
    if (g.chance(0.5)) t += "tags = [\"t1\"]\n";
    if (g.chance(0.25)) {
      const auto from = random_day(g, 2025, 2026);
      t += "valid_from = " + iso(from) + "\n";
      if (g.chance(0.5)) t += "valid_to = " + iso(from + days{g.between(30, 500)}) + "\n";
    } else if (g.chance(0.2)) {
      t += "valid_to = " + iso(random_day(g, 2025, 2027)) + "\n";
    }
    for (int c = g.between(0, 3); c > 0; --c) {
      auto roles = g.some(std::vector<std::string>{"focal", "head", "deputy"}, 1, 2);
      if (std::find(roles.begin(), roles.end(), "head") != roles.end()) b.has_head = true;
      const int addr = g.between(0, 2);  // 0 both, 1 email only, 2 phone only
      t += fmt::format("\n[[units.contacts]]\nid = \"u{}-c{}\"\nname = \"Cán bộ {}-{}\"\nroles = {}\n", u, c, u, c,
                       quoted_list(roles));
      if (addr != 2) t += fmt::format("email = \"c{}@u{}.example\"\n", c, u);
      if (addr != 1) t += fmt::format("phone = \"09{:08}\"\n", phone++);
    }
  }
  return b;
}

std::string make_report(gen& g, const std::string& id, const base_roster& b) {
  std::string t = fmt::format("\n[[reports]]\nid = \"{}\"\ntitle = \"Báo cáo {}\"\n", id, id);
  std::vector<std::vector<std::string>> selectors = {{}, {"all"}, {"kind:so"}, {"kind:huyen", "kind:xa"},
                                                     {"all", "!kind:xa"}, {"tag:t1"}, {"id:u0"}};
  if (b.units > 2) selectors.push_back({"id:u0", "id:u2"});
  if (const auto& sel = g.pick(selectors); !sel.empty()) t += "units = " + quoted_list(sel) + "\n";

  const int rule = g.between(0, 5);  // year, half-year, quarter, month, once date, once at
  const bool periodic = rule <= 3;
  std::optional<minutes> deadline_time;
  const std::vector<std::string> times = {"10:00", "12:00", "16:00", "23:30"};
  const unsigned month = static_cast<unsigned>(g.between(1, 12));
  // A day that exists in `month` of a common year (02-29 is an error in a rule).
  const unsigned mday = static_cast<unsigned>(g.between(1, static_cast<int>(static_cast<unsigned>(
                                                               date::year_month_day{clamped(2023, month, 31)}.day()))));
  std::vector<date::sys_days> nominals_2026;  // for overrides
  auto time_and_before = [&](std::string& d) {
    if (g.chance(0.4)) d += ", before = true";
    if (g.chance(0.3)) {
      const auto& tm = g.pick(times);
      d += ", time = \"" + tm + "\"";
      deadline_time = minutes{std::stoi(tm.substr(0, 2)) * 60 + std::stoi(tm.substr(3))};
    }
  };
  std::string d;
  if (rule == 0 || rule == 1) {
    d = fmt::format("every = \"{}\", date = \"{:02}-{:02}\"", rule == 0 ? "year" : "half-year", month, mday);
    time_and_before(d);
    t += "deadline = { " + d + " }\nfirst = " + fmt::format("2024-{:02}-{:02}", month, mday) + "\n";
    nominals_2026.push_back(clamped(2026, month, mday));
  } else if (rule == 2) {
    const unsigned qm = static_cast<unsigned>(g.between(1, 3));
    const unsigned qd = static_cast<unsigned>(g.between(1, 31));
    d = fmt::format("every = \"quarter\", month = {}, day = {}", qm, qd);
    time_and_before(d);
    t += "deadline = { " + d + " }\nfirst = " + iso(clamped(2024, qm, qd)) + "\n";
    nominals_2026.push_back(clamped(2026, qm + 3, qd));
  } else if (rule == 3) {
    const unsigned md = static_cast<unsigned>(g.between(1, 31));
    d = fmt::format("every = \"month\", day = {}", md);
    time_and_before(d);
    t += "deadline = { " + d + " }\nfirst = " + iso(clamped(2025, 1, md)) + "\n";
    nominals_2026.push_back(clamped(2026, static_cast<unsigned>(g.between(1, 12)), md));
  } else if (rule == 4) {
    d = "date = " + iso(random_day(g, 2025, 2027));
    time_and_before(d);
    t += "deadline = { " + d + " }\n";
  } else {
    const auto day = random_day(g, 2025, 2027);
    const int hh = g.pick(std::vector<int>{10, 17, 23});
    deadline_time = minutes{hh * 60};
    if (g.chance(0.3))  // the same instant written in UTC
      t += fmt::format("deadline = {{ at = {}T{:02}:00:00Z }}\n", iso(day), hh - 7);
    else
      t += fmt::format("deadline = {{ at = {}T{:02}:00:00+07:00 }}\n", iso(day), hh);
  }
  if (periodic && g.chance(0.2)) t += "last = 2027-06-30\n";
  if (rule != 5 && g.chance(0.7))
    t += "on_day_off = \"" + g.pick(std::vector<std::string>{"keep", "previous_working_day", "next_working_day"}) + "\"\n";
  if (g.chance(0.3)) t += "coordinators = [\"coord\"]\n";

  auto steps = [&](bool reminder) {
    const std::vector<std::string> pool =
        reminder ? std::vector<std::string>{"10wd", "5wd", "3wd", "1wd", "0wd", "7d", "2d", "0d", "26h", "2h", "90m",
                                            "30m", "45s"}
                 : std::vector<std::string>{"1wd", "3wd", "5wd", "1d", "4d", "1h", "6h", "30m", "1s"};
    std::string out = reminder ? "reminders = [\n" : "escalation = [\n";
    for (const auto& off : g.some(pool, 1, 3)) {
      const bool day_based = off.back() == 'd';
      const bool grouped = g.chance(0.25);
      std::vector<std::string> to;
      if (grouped) to = g.some(std::vector<std::string>{"@coordinator", "@leader"}, 1, 2);
      else to = g.some(std::vector<std::string>{"focal", "head", "deputy"}, 1, 3);
      auto channels = g.some(std::vector<std::string>{"email", "sms"}, 1, 2);
      out += fmt::format("  {{ {} = \"{}\", to = {}, channels = {}", reminder ? "before" : "after", off,
                         quoted_list(to), quoted_list(channels));
      const bool same_day = off == "0wd" || off == "0d";
      if (day_based && g.chance(0.25) && !(reminder && same_day && deadline_time))
        out += ", at = \"" + g.pick(std::vector<std::string>{"09:00", "14:00", "15:30"}) + "\"";
      if (!grouped && g.chance(0.3))
        out += fmt::format(", repeat = {{ every = \"{}\", max = {} }}",
                           g.pick(std::vector<std::string>{"4h", "2h", "30m", "1d", "1wd"}), g.between(1, 2));
      if (g.chance(0.2)) out += ", urgent = true";
      out += " },\n";
    }
    return out + "]\n";
  };
  t += steps(true);
  if (g.chance(0.85)) t += steps(false);

  if (periodic && g.chance(0.35)) {
    const auto nominal = nominals_2026.front();
    t += fmt::format("\n[[reports.overrides]]\noccurrence = \"{}@{}\"\ndate = {}\n", id, iso(nominal),
                     iso(nominal + days{g.chance(0.3) ? g.between(-70, 90) : g.between(-10, 12)}));
    if (g.chance(0.5)) t += "units = [\"kind:so\"]\n";
  }
  return t;
}

// --- planning helpers ----------------------------------------------------------------

struct loaded {
  config::load_result result;
  std::unique_ptr<scheduler::working_calendar> cal;
  std::unique_ptr<scheduler::planner> planner;
};

loaded load(const std::string& text) {
  loaded l;
  l.result = config::load_text(text, "/nonexistent/plan-property/dondoc.toml");
  if (l.result.ok()) {
    l.cal = std::make_unique<scheduler::working_calendar>(l.result.cfg->calendar);
    l.planner = std::make_unique<scheduler::planner>(*l.result.cfg, *l.cal);
  }
  return l;
}

std::string diagnostics(const config::load_result& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += config::format(d) + "\n";
  return out;
}

const auto range_from = date::sys_days{date::year{2025} / 1 / 1};
const auto range_to = date::sys_days{date::year{2027} / 12 / 31};

// One send as text that does not depend on indices (for comparing rosters).
std::string send_line(const scheduler::planner& p, const scheduler::plan_send& s,
                      const std::vector<scheduler::occurrence>& occs) {
  const auto& cfg = p.cfg();
  const auto zone = cfg.service.zone;
  const auto& o = occs[static_cast<std::size_t>(s.occurrence)];
  std::string who;
  if (s.unit >= 0) who = cfg.units[static_cast<std::size_t>(s.unit)].id;
  else
    for (auto u : o.units) who += "*" + cfg.units[static_cast<std::size_t>(u)].id;
  std::string line = fmt::format("{} {} {} {} {} {} {} {}", scheduler::rfc3339(s.at, zone), scheduler::rfc3339(s.due, zone),
                                 scheduler::to_string(s.kind), cfg.reports[static_cast<std::size_t>(s.report)].id, o.id,
                                 who, s.step, s.repeat);
  for (const auto* c : s.to) line += " to:" + c->id;
  line += fmt::format(" ch:{}{}", s.channels[0] ? "e" : "", s.channels[1] ? "s" : "");
  for (const auto& k : s.keys) line += " " + k.str();
  return line;
}

std::vector<std::string> streamed(const scheduler::planner& p, const scheduler::plan_filter& filter = {}) {
  std::vector<std::string> out;
  const auto from = p.local_to_sys(range_from, minutes{0});
  const auto to = p.local_to_sys(range_to + days{1}, minutes{0});
  scheduler::for_each_send(p, from, to, filter,
                           [&](const scheduler::plan_send& s, const std::vector<scheduler::occurrence>& occs,
                               const std::vector<scheduler::row>& rows) {
                             CHECK(rows.size() == s.keys.size());
                             CHECK(s.at >= from);
                             CHECK(s.at < to);
                             out.push_back(send_line(p, s, occs));
                           });
  return out;
}

std::vector<std::string> materialised(const scheduler::planner& p, const scheduler::plan_filter& filter = {}) {
  const auto from = p.local_to_sys(range_from, minutes{0});
  const auto to = p.local_to_sys(range_to + days{1}, minutes{0});
  const auto rp = scheduler::plan_range(p, from, to, filter);
  std::vector<std::string> out;
  for (const auto& s : scheduler::gather_sends(p, rp)) {
    if (filter.unit && s.unit < 0) {  // `dondoc plan --unit` keeps grouped sends listing the unit
      const auto& units = rp.occurrences[static_cast<std::size_t>(s.occurrence)].units;
      if (std::find(units.begin(), units.end(), *filter.unit) == units.end()) continue;
    }
    out.push_back(send_line(p, s, rp.occurrences));
  }
  return out;
}

// Office hours and quiet hours worked out from the configuration alone (not through the
// planner's helpers): the season whose start is the latest on or before the day.
bool office_oracle(const scheduler::planner& p, scheduler::sys_seconds t) {
  const auto& cfg = p.cfg();
  const auto local = cfg.service.zone->to_local(t);
  const auto day = date::floor<days>(local);
  const date::sys_days sday{day.time_since_epoch()};
  if (!p.calendar().is_working(sday)) return false;
  const date::year_month_day ymd{sday};
  const auto md = static_cast<unsigned>(ymd.month()) * 100 + static_cast<unsigned>(ymd.day());
  const config::office_season* season = &cfg.sending.office_hours.back();
  for (const auto& s : cfg.sending.office_hours)
    if (s.from_month * 100 + s.from_day <= md) season = &s;
  const auto tod = std::chrono::duration_cast<minutes>(local - day);
  for (const auto& w : season->hours)
    if (w.start <= tod && tod < w.end) return true;
  return false;
}

bool quiet_oracle(const scheduler::planner& p, scheduler::sys_seconds t) {
  const auto& q = p.cfg().sending.sms_quiet_hours;
  const auto local = p.cfg().service.zone->to_local(t);
  const auto tod = std::chrono::duration_cast<minutes>(local - date::floor<days>(local));
  return q.start <= q.end ? (q.start <= tod && tod < q.end) : (tod >= q.start || tod < q.end);
}

// Every send whose `at` is in [from, to), worked out from every occurrence of 2023-2029
// (a range so wide that no margin is involved): what a short window must list.
std::vector<std::string> ground_truth(const scheduler::planner& p, scheduler::sys_seconds from, scheduler::sys_seconds to) {
  const auto& cfg = p.cfg();
  std::vector<std::string> out;
  std::vector<scheduler::occurrence> occs;
  for (std::size_t ri = 0; ri < cfg.reports.size(); ++ri)
    for (auto& o : p.occurrences_between(static_cast<std::int32_t>(ri), date::sys_days{date::year{2023} / 1 / 1},
                                         date::sys_days{date::year{2029} / 12 / 31}))
      occs.push_back(std::move(o));
  scheduler::range_plan rp;
  rp.occurrences = occs;
  for (std::size_t oi = 0; oi < occs.size(); ++oi) {
    const auto& o = occs[oi];
    const auto sends = p.schedule(cfg.reports[static_cast<std::size_t>(o.report)], o.last_day, o.deadline);
    std::vector<scheduler::row> rows;
    for (auto u : o.units) p.unit_rows(o, static_cast<std::int32_t>(oi), u, sends, rows);
    p.group_rows(o, static_cast<std::int32_t>(oi), sends, o.units, rows);
    for (const auto& rw : rows)
      if (rw.skipped == scheduler::skip_reason::none && rw.at >= from && rw.at < to) rp.rows.push_back(rw);
  }
  for (const auto& s : scheduler::gather_sends(p, rp)) out.push_back(send_line(p, s, rp.occurrences));
  return out;
}

struct counters {
  std::int64_t rosters = 0, occurrences = 0, sends = 0, rows = 0, day_based = 0, sms = 0, quiet_moved = 0,
               quiet_dropped = 0, urgent_quiet = 0, repeats = 0, moved_l = 0, windows = 0, window_sends = 0;
};

// Every per-roster property, on the full rows of every occurrence near the range.
void check_roster(const scheduler::planner& p, counters& n) {
  const auto& cfg = p.cfg();
  const auto& cal = p.calendar();
  const auto from = p.local_to_sys(range_from, minutes{0});
  const auto to = p.local_to_sys(range_to + days{1}, minutes{0});
  std::set<scheduler::row_key> keys;
  for (std::size_t ri = 0; ri < cfg.reports.size(); ++ri) {
    const auto& r = cfg.reports[ri];
    const auto occs = p.occurrences_for(static_cast<std::int32_t>(ri), from, to);
    for (std::size_t oi = 0; oi < occs.size(); ++oi) {
      const auto& o = occs[oi];
      INFO("occurrence ", o.id);
      ++n.occurrences;
      // L and T (DESIGN.md, "Deadlines and occurrences").
      const config::override_rule* ov = nullptr;
      for (const auto& x : r.overrides)
        if (x.nominal == o.nominal) ov = &x;
      if (r.deadline.every == config::deadline_rule::every_t::once_at && !(ov && ov->date)) {
        CHECK(o.deadline == *r.deadline.at);
      } else {
        const auto base = (ov && ov->date ? *ov->date : o.nominal) - days{r.deadline.before ? 1 : 0};
        switch (r.day_off_policy) {
          case config::on_day_off::keep: CHECK(o.last_day == base); break;
          case config::on_day_off::previous_working_day:
            CHECK(cal.is_working(o.last_day));
            CHECK(o.last_day <= base);
            for (auto d = o.last_day + days{1}; d <= base; d += days{1}) CHECK_FALSE(cal.is_working(d));
            break;
          case config::on_day_off::next_working_day:
            CHECK(cal.is_working(o.last_day));
            CHECK(o.last_day >= base);
            for (auto d = base; d < o.last_day; d += days{1}) CHECK_FALSE(cal.is_working(d));
            break;
        }
        n.moved_l += o.last_day != base;
        if (r.deadline.time && !(ov && ov->time)) CHECK(o.deadline == p.local_to_sys(o.last_day, *r.deadline.time));
        if (!r.deadline.time && !(ov && ov->time)) CHECK(o.deadline == p.local_to_sys(o.last_day + days{1}, minutes{0}));
      }
      // Units: selected, narrowed by an override, valid on L; in roster order.
      for (std::size_t ui = 0; ui < cfg.units.size(); ++ui) {
        const auto& u = cfg.units[ui];
        const bool want = config::selected(r.units, u) && u.valid_on(o.last_day) &&
                          !(ov && !ov->units.empty() && !config::selected(ov->units, u));
        CHECK(want == (std::find(o.units.begin(), o.units.end(), static_cast<std::int32_t>(ui)) != o.units.end()));
      }
      CHECK(std::is_sorted(o.units.begin(), o.units.end()));

      const auto sends = p.schedule(r, o.last_day, o.deadline);
      std::map<std::pair<int, int>, scheduler::sys_seconds> previous;  // (kind, step) -> last due
      std::map<std::pair<int, int>, scheduler::sys_seconds> previous_sms;  // (kind, step) -> last SMS time
      for (const auto& st : sends) {
        const auto& s = st.kind == scheduler::step_kind::reminder ? r.reminders[st.step] : r.escalation[st.step];
        INFO("step ", s.key_name, " repeat ", st.repeat);
        if (s.off.day_based()) {
          ++n.day_based;
          const auto [day, tod] = p.sys_to_local(st.due);
          CHECK(cal.is_working(day));
          CHECK((office_oracle(p, st.due) || (s.at && tod == *s.at)));
          CHECK(office_oracle(p, st.due) == p.in_office_hours(st.due));
        }
        if (st.kind == scheduler::step_kind::reminder) CHECK(st.due < o.deadline);
        else CHECK(st.due > o.deadline);
        for (std::size_t ci = 0; ci < 2; ++ci) {
          CHECK(st.uses[ci] == (std::find(s.channels.begin(), s.channels.end(), static_cast<config::channel>(ci)) !=
                                s.channels.end()));
          if (!st.uses[ci]) continue;
          if (!st.at[ci]) {
            CHECK(st.kind == scheduler::step_kind::reminder);  // only a reminder loses its SMS
            CHECK(ci == static_cast<std::size_t>(config::channel::sms));
            ++n.quiet_dropped;
            continue;
          }
          const auto at = *st.at[ci];
          if (st.kind == scheduler::step_kind::reminder) CHECK(at < o.deadline);
          else CHECK(at > o.deadline);
          if (ci == static_cast<std::size_t>(config::channel::sms)) {
            // A repeat goes `every` after the previous SMS of its step, which quiet hours
            // may have held back (DESIGN.md: "resends a step every after the previous send").
            const auto k = std::make_pair(static_cast<int>(st.kind), static_cast<int>(st.step));
            auto base = st.due;
            if (st.repeat > 0 && previous_sms.count(k) && !s.repeat->every.day_based()) {
              base = std::max(base, previous_sms[k] + s.repeat->every.duration());
              if (s.off.day_based()) base = p.next_office_start(base);
            }
            if (s.urgent) {
              CHECK(at == base);
              n.urgent_quiet += quiet_oracle(p, at);
            } else {
              CHECK_FALSE(quiet_oracle(p, at));
              CHECK(at == p.end_of_quiet_hours(base));
              // It waits no longer than needed: a minute earlier is still quiet (or due).
              if (at != base) CHECK(quiet_oracle(p, at - minutes{1}));
              n.quiet_moved += at != st.due;
            }
            previous_sms[k] = at;
          } else {
            CHECK(at == st.due);
          }
        }
        // Repeats follow each other, at most max of them.
        const auto k = std::make_pair(static_cast<int>(st.kind), static_cast<int>(st.step));
        if (st.repeat > 0) {
          ++n.repeats;
          REQUIRE(previous.count(k));
          CHECK(st.due > previous[k]);
          CHECK(s.repeat);
          CHECK(st.repeat <= s.repeat->max);
        } else {
          CHECK_FALSE(previous.count(k));
        }
        previous[k] = st.due;
      }

      std::vector<scheduler::row> rows;
      for (auto u : o.units) p.unit_rows(o, static_cast<std::int32_t>(oi), u, sends, rows);
      p.group_rows(o, static_cast<std::int32_t>(oi), sends, o.units, rows);
      for (const auto& rw : rows) {
        ++n.rows;
        const auto& s = rw.kind == scheduler::step_kind::reminder ? r.reminders[rw.step] : r.escalation[rw.step];
        CHECK(keys.insert(rw.key).second);
        CHECK(rw.key == scheduler::make_key(p.key_text(o, rw)));
        if (rw.skipped != scheduler::skip_reason::none) continue;
        if (rw.chan == config::channel::sms) {
          ++n.sms;
          CHECK((!quiet_oracle(p, rw.at) || s.urgent));
          CHECK_FALSE(rw.contact->phone.empty());
        } else {
          CHECK_FALSE(rw.contact->email.empty());
        }
        if (rw.kind == scheduler::step_kind::reminder) CHECK(rw.at < o.deadline);
        else CHECK(rw.at > o.deadline);
      }
    }
  }
}

}  // namespace

TEST_CASE("randomised rosters: step times, windows, keys, L and T follow the rules") {
  counters n;
  int loaded_ok = 0;
  for (int i = 0; i < roster_count; ++i) {
    const std::uint64_t seed = 20260101u + static_cast<std::uint64_t>(i);
    gen g(seed);
    const auto base = make_base(g);
    std::string text = base.text;
    for (int r = g.between(1, 4); r > 0; --r) text += make_report(g, fmt::format("r{}", r), base);
    INFO("seed ", seed, "\n", text);
    const auto l = load(text);
    INFO(diagnostics(l.result));
    REQUIRE(l.result.ok());
    ++loaded_ok;
    ++n.rosters;
    check_roster(*l.planner, n);

    // Determinism: the same text loaded again plans the same; planning twice too.
    const auto s1 = streamed(*l.planner);
    n.sends += static_cast<std::int64_t>(s1.size());
    CHECK(s1 == streamed(*l.planner));
    const auto again = load(text);
    REQUIRE(again.result.ok());
    CHECK(s1 == streamed(*again.planner));
    // The streaming plan is the materialised one, also filtered.
    CHECK(s1 == materialised(*l.planner));
    const auto& cfg = *l.result.cfg;
    const auto u = static_cast<std::int32_t>(seed % cfg.units.size());
    const auto r = static_cast<std::int32_t>(seed % cfg.reports.size());
    CHECK(streamed(*l.planner, {std::nullopt, u}) == materialised(*l.planner, {std::nullopt, u}));
    CHECK(streamed(*l.planner, {r, std::nullopt}) == materialised(*l.planner, {r, std::nullopt}));
    CHECK(streamed(*l.planner, {r, u}) == materialised(*l.planner, {r, u}));

    // A short window lists exactly the sends of the whole plan that fall in it: the
    // occurrence search margins (offsets, repeats, on_day_off, overrides) are wide enough.
    for (int w = 0; w < 5; ++w) {
      const auto first = random_day(g, 2025, 2027);
      const auto from = l.planner->local_to_sys(first, minutes{0});
      const auto to = l.planner->local_to_sys(first + days{g.between(1, 45)}, minutes{0});
      std::vector<std::string> window;
      scheduler::for_each_send(*l.planner, from, to, {},
                               [&](const scheduler::plan_send& s, const std::vector<scheduler::occurrence>& occs,
                                   const std::vector<scheduler::row>&) { window.push_back(send_line(*l.planner, s, occs)); });
      INFO("window from ", iso(first));
      CHECK(window == ground_truth(*l.planner, from, to));
      n.windows += 1;
      n.window_sends += static_cast<std::int64_t>(window.size());
    }
  }
  MESSAGE(fmt::format("{} rosters, {} occurrences, {} sends, {} rows ({} SMS), {} day-based step sends, {} repeats, "
                      "{} L moved by on_day_off, SMS moved out of quiet hours {}, dropped {}, urgent inside {}; "
                      "{} short windows with {} sends",
                      n.rosters, n.occurrences, n.sends, n.rows, n.sms, n.day_based, n.repeats, n.moved_l, n.quiet_moved,
                      n.quiet_dropped, n.urgent_quiet, n.windows, n.window_sends));
  CHECK(loaded_ok == roster_count);
  // The generator must reach the cases the rules are about.
  CHECK(n.quiet_moved > 0);
  CHECK(n.quiet_dropped > 0);
  CHECK(n.urgent_quiet > 0);
  CHECK(n.repeats > 0);
  CHECK(n.moved_l > 0);
  CHECK(n.window_sends > 0);
}

TEST_CASE("randomised rosters with disjoint reports: plan(A ∪ B) = plan(A) ∪ plan(B)") {
  std::int64_t sends = 0;
  for (int i = 0; i < union_count; ++i) {
    const std::uint64_t seed = 20270101u + static_cast<std::uint64_t>(i);
    gen g(seed);
    const auto base = make_base(g);
    std::string a, b;
    for (int r = g.between(1, 3); r > 0; --r) a += make_report(g, fmt::format("a{}", r), base);
    for (int r = g.between(1, 3); r > 0; --r) b += make_report(g, fmt::format("b{}", r), base);
    INFO("seed ", seed, "\n", base.text, a, b);
    // A ∪ B in both orders of the report lists: the plan does not depend on it.
    const auto la = load(base.text + a), lb = load(base.text + b), lab = load(base.text + a + b),
               lba = load(base.text + b + a);
    REQUIRE(la.result.ok());
    REQUIRE(lb.result.ok());
    REQUIRE(lab.result.ok());
    REQUIRE(lba.result.ok());
    const auto pa = streamed(*la.planner), pb = streamed(*lb.planner), pab = streamed(*lab.planner);
    std::vector<std::string> both = pa;
    both.insert(both.end(), pb.begin(), pb.end());
    std::sort(both.begin(), both.end());
    auto sorted_ab = pab;
    std::sort(sorted_ab.begin(), sorted_ab.end());
    CHECK(sorted_ab == both);
    CHECK(pab == streamed(*lba.planner));  // same order too, whatever the order of the reports
    sends += static_cast<std::int64_t>(pab.size());
  }
  MESSAGE(fmt::format("{} pairs, {} sends in the unions", union_count, sends));
}

TEST_CASE("an SMS repeat goes `every` after the previous SMS, when quiet hours held that one back") {
  // 14 h before 13:00 is 23:00 the evening before: the email goes then, the SMS at 07:00;
  // its repeats 2 h after each SMS (09:00, 11:00), not 2 h after 23:00 (all at 07:00).
  const auto l = load(R"(
[service]
timezone = "Asia/Ho_Chi_Minh"
state_dir = "/nonexistent"
[sending]
office_hours = ["07:30-11:30", "13:30-17:00"]
sms_quiet_hours = "22:00-07:00"
[calendar]
holidays = "none"
[[units]]
id = "a"
name = "Đơn vị A"
kind = "so"
[[units.contacts]]
id = "a-focal"
name = "Cán bộ A"
roles = ["focal"]
email = "a@a.example"
phone = "0900 000 001"
[[reports]]
id = "r"
title = "Báo cáo thử"
units = ["all"]
deadline = { date = 2026-12-10, time = "13:00" }
reminders = [
  { before = "14h", to = ["focal"], channels = ["email", "sms"], repeat = { every = "2h", max = 2 } },
]
)");
  REQUIRE_MESSAGE(l.result.ok(), diagnostics(l.result));
  const auto& p = *l.planner;
  const auto vn = [&](int d, int h) { return p.local_to_sys(date::sys_days{date::year{2026} / 12 / d}, std::chrono::hours{h}); };
  const auto sends = p.schedule(l.result.cfg->reports[0], date::sys_days{date::year{2026} / 12 / 10}, vn(10, 13));
  REQUIRE(sends.size() == 3);
  const auto email = static_cast<std::size_t>(config::channel::email), sms = static_cast<std::size_t>(config::channel::sms);
  for (std::size_t k = 0; k < 3; ++k) {
    CHECK(sends[k].at[email] == vn(9, 23) + std::chrono::hours{2 * static_cast<int>(k)});
    CHECK(sends[k].at[sms] == vn(10, 7 + 2 * static_cast<int>(k)));
  }
}
