// Deterministic serialisations of config parts, hashed with SHA-256. Every field that can
// change a row's key, time or existence must be here; addresses must not (they are
// resolved at claim time), so that fixing an email never re-plans anything.
#include "daemon/fingerprint.hpp"

#include "scheduler/plan.hpp"

#include <openssl/sha.h>

#include <date/date.h>

namespace dondoc::daemon {
namespace {

class writer {
 public:
  writer& operator<<(std::string_view s) {
    out_ += std::to_string(s.size());
    out_ += ':';
    out_ += s;
    out_ += ';';
    return *this;
  }
  writer& operator<<(std::int64_t v) {
    out_ += std::to_string(v);
    out_ += ';';
    return *this;
  }
  writer& operator<<(const config::sys_days& d) { return *this << static_cast<std::int64_t>(d.time_since_epoch().count()); }
  writer& operator<<(const config::offset& o) { return *this << o.text; }
  writer& operator<<(const config::clock_window& w) { return *this << w.start.count() << w.end.count(); }
  template <typename T>
  writer& operator<<(const std::optional<T>& v) {
    if (!v) return *this << std::string_view("-");
    return *this << std::string_view("+") << *v;
  }
  template <typename T>
  writer& operator<<(const std::vector<T>& v) {
    *this << static_cast<std::int64_t>(v.size());
    for (const auto& x : v) *this << x;
    return *this;
  }
  std::string digest() const {
    unsigned char d[SHA256_DIGEST_LENGTH];
    scheduler::sha256(out_, d);
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex(32, '0');
    for (std::size_t i = 0; i < 16; ++i) {
      hex[2 * i] = digits[d[i] >> 4];
      hex[2 * i + 1] = digits[d[i] & 0xF];
    }
    return hex;
  }

 private:
  std::string out_;
};

writer& operator<<(writer& w, const config::selector& s) {
  return w << static_cast<std::int64_t>(s.kind) << static_cast<std::int64_t>(s.negated) << s.value;
}

writer& operator<<(writer& w, const config::step& s) {
  w << s.id << s.key_name << s.off << s.to << static_cast<std::int64_t>(s.grouped);
  w << static_cast<std::int64_t>(s.channels.size());
  for (auto c : s.channels) w << static_cast<std::int64_t>(c);
  w << static_cast<std::int64_t>(s.repeat.has_value());
  if (s.repeat) w << s.repeat->every << s.repeat->max;
  w << static_cast<std::int64_t>(s.at ? s.at->count() : -1) << static_cast<std::int64_t>(s.urgent);
  return w;
}

writer& operator<<(writer& w, const config::override_rule& o) {
  return w << o.occurrence << o.nominal << o.date << static_cast<std::int64_t>(o.time ? o.time->count() : -1) << o.units;
}

}  // namespace

std::string global_fingerprint(const config::config& cfg) {
  writer w;
  w << cfg.service.timezone << cfg.service.horizon_days;
  for (const auto& s : cfg.sending.office_hours)
    w << static_cast<std::int64_t>(s.from_month) << static_cast<std::int64_t>(s.from_day) << s.hours;
  w << cfg.sending.sms_quiet_hours;
  const auto& c = cfg.calendar;
  for (bool b : c.weekend) w << static_cast<std::int64_t>(b);
  w << static_cast<std::int64_t>(c.vn_holidays) << c.days_off << c.working_days;
  for (const auto& [year, ys] : c.schedules) {
    w << static_cast<std::int64_t>(year);
    for (const auto& h : ys.holidays) {
      w << h.id;
      for (const auto& d : h.days) w << d.date << static_cast<std::int64_t>(d.kind);
    }
  }
  return w.digest();
}

std::string report_fingerprint(const config::report& r) {
  writer w;
  const auto& d = r.deadline;
  w << r.id << static_cast<std::int64_t>(d.every) << static_cast<std::int64_t>(d.month) << static_cast<std::int64_t>(d.day)
    << d.date << static_cast<std::int64_t>(d.at ? d.at->time_since_epoch().count() : -1)
    << static_cast<std::int64_t>(d.before) << static_cast<std::int64_t>(d.time ? d.time->count() : -1);
  w << r.units << r.first << r.last << static_cast<std::int64_t>(r.day_off_policy) << r.coordinators;
  w << r.reminders << r.escalation << r.overrides;
  return w.digest();
}

std::string unit_fingerprint(const config::unit& u) {
  writer w;
  w << u.id << u.kind << u.tags << u.valid_from << u.valid_to;
  w << static_cast<std::int64_t>(u.contacts.size());
  for (const auto& c : u.contacts) w << c.id << c.roles;
  return w.digest();
}

std::string group_fingerprint(const config::config& cfg) {
  writer w;
  w << static_cast<std::int64_t>(cfg.contacts.size());
  for (const auto& c : cfg.contacts) w << c.id << c.roles;
  return w.digest();
}

std::string combine(const std::string& a, const std::string& b, const std::string& c) {
  writer w;
  w << a << b << c;
  return w.digest();
}

}  // namespace dondoc::daemon
