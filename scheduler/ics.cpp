// iCalendar output. Deterministic: DTSTAMP is derived from the deadline, not the clock,
// so the same roster always gives the same file.
#include "scheduler/ics.hpp"

#include <algorithm>
#include <set>

#include <date/date.h>
#include <fmt/format.h>

namespace dondoc::scheduler {
namespace {

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == ';' || c == ',') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c != '\r') {
      out.push_back(c);
    }
  }
  return out;
}

// Folds a content line at 75 octets without splitting a UTF-8 sequence.
void line(std::string& out, std::string_view l) {
  std::size_t pos = 0, width = 75;
  while (l.size() - pos > width) {
    std::size_t cut = pos + width;
    while (cut > pos && (static_cast<unsigned char>(l[cut]) & 0xC0u) == 0x80u) --cut;
    out.append(l.substr(pos, cut - pos));
    out += "\r\n ";
    pos = cut;
    width = 74;  // the leading space counts
  }
  out.append(l.substr(pos));
  out += "\r\n";
}

std::string utc(sys_seconds t) { return date::format("%Y%m%dT%H%M%SZ", t); }
std::string day(sys_days d) { return date::format("%Y%m%d", d); }

}  // namespace

std::string write_ics(const planner& p, const std::vector<ics_event>& events, const std::string& calendar_name) {
  const auto& cfg = p.cfg();
  std::string out;
  line(out, "BEGIN:VCALENDAR");
  line(out, "VERSION:2.0");
  line(out, "PRODID:-//dondoc//dondoc//VI");
  line(out, "CALSCALE:GREGORIAN");
  line(out, "METHOD:PUBLISH");
  line(out, "X-WR-CALNAME:" + escape(calendar_name));
  line(out, "X-WR-TIMEZONE:" + cfg.service.timezone);
  for (const auto& ev : events) {
    const occurrence& o = *ev.occ;
    const auto& r = cfg.reports[static_cast<std::size_t>(o.report)];
    const config::unit* u = ev.unit >= 0 ? &cfg.units[static_cast<std::size_t>(ev.unit)] : nullptr;
    line(out, "BEGIN:VEVENT");
    line(out, fmt::format("UID:{}/{}@dondoc", o.id, u ? u->id : "all"));
    line(out, "DTSTAMP:" + utc(o.deadline));
    line(out, "DTSTART;VALUE=DATE:" + day(o.last_day));
    line(out, "DTEND;VALUE=DATE:" + day(o.last_day + date::days{1}));
    line(out, "SUMMARY:" + escape(fmt::format("Hạn nộp: {}{}", r.title, u ? " — " + u->name : "")));
    std::string desc = r.title;
    if (!r.basis.empty()) desc += "\nCăn cứ: " + r.basis;
    if (!r.submit_to.empty()) desc += "\nNơi nhận: " + r.submit_to;
    desc += "\nHạn chót: " + rfc3339(o.deadline, cfg.service.zone);
    line(out, "DESCRIPTION:" + escape(desc));
    line(out, "TRANSP:TRANSPARENT");
    for (sys_seconds a : ev.alarms) {
      line(out, "BEGIN:VALARM");
      line(out, "ACTION:DISPLAY");
      line(out, "TRIGGER;VALUE=DATE-TIME:" + utc(a));
      line(out, "DESCRIPTION:" + escape("Nhắc hạn nộp: " + r.title));
      line(out, "END:VALARM");
    }
    line(out, "END:VEVENT");
  }
  line(out, "END:VCALENDAR");
  return out;
}

std::string plan_ics(const planner& p, sys_days from, sys_days to, std::optional<std::int32_t> report,
                     std::optional<std::int32_t> unit) {
  const auto& cfg = p.cfg();
  std::vector<occurrence> occs;
  for (std::size_t ri = 0; ri < cfg.reports.size(); ++ri) {
    if (report && *report != static_cast<std::int32_t>(ri)) continue;
    const auto& r = cfg.reports[ri];
    // L can differ from the nominal date by a holiday week; widen, then filter on L. An
    // override can move L further: those occurrences are looked at one by one.
    auto near = p.occurrences_between(static_cast<std::int32_t>(ri), from - date::days{40}, to + date::days{40});
    for (const auto& ov : r.overrides) {
      if (std::any_of(near.begin(), near.end(), [&](const occurrence& o) { return o.nominal == ov.nominal; })) continue;
      if ((r.first && ov.nominal < *r.first) || (r.last && ov.nominal > *r.last)) continue;
      near.push_back(p.make_occurrence(static_cast<std::int32_t>(ri), ov.nominal));
    }
    for (auto& o : near)
      if (o.last_day >= from && o.last_day <= to) occs.push_back(std::move(o));
  }
  std::sort(occs.begin(), occs.end(), [](const occurrence& a, const occurrence& b) {
    return std::tie(a.last_day, a.id) < std::tie(b.last_day, b.id);
  });
  std::vector<ics_event> events;
  std::vector<row> rows;
  for (const auto& o : occs) {
    const auto& r = cfg.reports[static_cast<std::size_t>(o.report)];
    const auto sends = p.schedule(r, o.last_day, o.deadline);
    for (std::int32_t u : o.units) {
      if (unit && *unit != u) continue;
      // An alarm for each of this unit's reminders that sends something (not one whose
      // recipients all lack a contact or an address, or whose only SMS quiet hours drop).
      std::set<sys_seconds> alarms;
      for (const auto& st : sends) {
        if (st.kind != step_kind::reminder) continue;
        rows.clear();
        p.unit_send_rows(o, 0, u, st, rows);
        if (std::any_of(rows.begin(), rows.end(), [](const row& rw) { return rw.skipped == skip_reason::none; }))
          alarms.insert(st.due);
      }
      events.push_back({&o, u, std::vector<sys_seconds>(alarms.begin(), alarms.end())});
    }
  }
  return write_ics(p, events, "dondoc — hạn nộp báo cáo");
}

}  // namespace dondoc::scheduler
