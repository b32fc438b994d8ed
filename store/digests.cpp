// SQL of the digest log. A handful of rows a day, so statements are prepared per call
// rather than cached in the store (whose cache is private to it).
#include "store/digests.hpp"

#include <fmt/format.h>

namespace dondoc::store {
namespace {

constexpr std::string_view cols =
    "day, contact_id, key, state, reason, fingerprint, outstanding, attempts, next_at, last_error, created_at, sent_at";

std::int64_t secs(sys_seconds t) { return t.time_since_epoch().count(); }
sys_seconds from_secs(std::int64_t s) { return sys_seconds{std::chrono::seconds{s}}; }

digest_rec read(const statement& s) {
  digest_rec r;
  r.day = s.get_text(0);
  r.contact_id = s.get_text(1);
  r.key = s.get_text(2);
  r.state = s.get_text(3);
  r.reason = s.get_text(4);
  r.fingerprint = s.get_text(5);
  r.outstanding = s.get_int(6);
  r.attempts = s.get_int(7);
  r.next_at = from_secs(s.get_int(8));
  r.last_error = s.get_text(9);
  r.created_at = from_secs(s.get_int(10));
  if (auto t = s.get_opt_int(11)) r.sent_at = from_secs(*t);
  return r;
}

}  // namespace

std::optional<digest_rec> digest_log::get(std::string_view day, std::string_view contact) {
  auto st = db_.prepare(fmt::format("SELECT {} FROM digests WHERE day=? AND contact_id=?", cols));
  st.bind(1, day).bind(2, contact);
  if (st.step()) return read(st);
  return std::nullopt;
}

std::vector<digest_rec> digest_log::of_day(std::string_view day) {
  auto st = db_.prepare(fmt::format("SELECT {} FROM digests WHERE day=? ORDER BY contact_id", cols));
  st.bind(1, day);
  std::vector<digest_rec> out;
  while (st.step()) out.push_back(read(st));
  return out;
}

std::optional<digest_rec> digest_log::last_sent(std::string_view contact) {
  auto st = db_.prepare(fmt::format(
      "SELECT {} FROM digests WHERE contact_id=? AND state='sent' ORDER BY sent_at DESC, day DESC LIMIT 1", cols));
  st.bind(1, contact);
  if (st.step()) return read(st);
  return std::nullopt;
}

void digest_log::insert(const digest_rec& r) {
  auto st = db_.prepare(fmt::format("INSERT INTO digests({}) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", cols));
  st.bind(1, r.day)
      .bind(2, r.contact_id)
      .bind(3, r.key)
      .bind(4, r.state)
      .bind(5, r.reason)
      .bind(6, r.fingerprint)
      .bind(7, r.outstanding)
      .bind(8, r.attempts)
      .bind(9, secs(r.next_at))
      .bind(10, r.last_error)
      .bind(11, secs(r.created_at))
      .bind(12, r.sent_at ? std::optional<std::int64_t>(secs(*r.sent_at)) : std::nullopt)
      .run();
}

bool digest_log::claim(std::string_view day, std::string_view contact, sys_seconds now) {
  db_.prepare("UPDATE digests SET state='sending', attempts=attempts+1 WHERE day=? AND contact_id=? "
              "AND state='planned' AND next_at<=?")
      .bind(1, day)
      .bind(2, contact)
      .bind(3, secs(now))
      .run();
  return db_.changes() == 1;
}

void digest_log::set_content(std::string_view day, std::string_view contact, std::string_view fingerprint,
                             std::int64_t outstanding) {
  db_.prepare("UPDATE digests SET fingerprint=?, outstanding=? WHERE day=? AND contact_id=?")
      .bind(1, fingerprint)
      .bind(2, outstanding)
      .bind(3, day)
      .bind(4, contact)
      .run();
}

void digest_log::mark_sent(std::string_view day, std::string_view contact, sys_seconds now) {
  db_.prepare("UPDATE digests SET state='sent', sent_at=?, last_error='' WHERE day=? AND contact_id=? "
              "AND state='sending'")
      .bind(1, secs(now))
      .bind(2, day)
      .bind(3, contact)
      .run();
}

void digest_log::mark_retry(std::string_view day, std::string_view contact, sys_seconds next_at,
                            std::string_view error) {
  db_.prepare("UPDATE digests SET state='planned', next_at=?, last_error=? WHERE day=? AND contact_id=? "
              "AND state='sending'")
      .bind(1, secs(next_at))
      .bind(2, error)
      .bind(3, day)
      .bind(4, contact)
      .run();
}

void digest_log::mark_failed(std::string_view day, std::string_view contact, std::string_view reason,
                             std::string_view error) {
  db_.prepare("UPDATE digests SET state='failed', reason=?, last_error=? WHERE day=? AND contact_id=? "
              "AND state IN ('planned','sending')")
      .bind(1, reason)
      .bind(2, error)
      .bind(3, day)
      .bind(4, contact)
      .run();
}

std::int64_t digest_log::reset_sending(sys_seconds now) {
  db_.prepare("UPDATE digests SET state='planned', next_at=? WHERE state='sending'").bind(1, secs(now)).run();
  return db_.changes();
}

std::int64_t digest_log::expire_before(std::string_view day) {
  db_.prepare("UPDATE digests SET state='failed', reason='expired' WHERE day<? AND state IN ('planned','sending')")
      .bind(1, day)
      .run();
  return db_.changes();
}

std::optional<sys_seconds> digest_log::next_retry(std::string_view day) {
  auto st = db_.prepare("SELECT MIN(next_at) FROM digests WHERE day=? AND state='planned'");
  st.bind(1, day);
  if (st.step() && !st.is_null(0)) return from_secs(st.get_int(0));
  return std::nullopt;
}

std::map<std::string, std::int64_t> digest_log::counts_by_state() {
  auto st = db_.prepare("SELECT state, COUNT(*) FROM digests GROUP BY state");
  std::map<std::string, std::int64_t> out;
  while (st.step()) out[st.get_text(0)] = st.get_int(1);
  return out;
}

std::optional<sys_seconds> digest_log::last_sent_at() {
  auto st = db_.prepare("SELECT MAX(sent_at) FROM digests WHERE state='sent'");
  if (st.step() && !st.is_null(0)) return from_secs(st.get_int(0));
  return std::nullopt;
}

}  // namespace dondoc::store
