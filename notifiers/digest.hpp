// The coordinators' daily digest: one email per recipient listing, per open occurrence,
// the units by status, the units still outstanding and those overdue, messages that
// failed permanently, and messages that could not go for want of a recipient or an
// address. The daemon fills digest_input from the store (daemon/digest.cpp); this file
// only turns it into Vietnamese text and an RFC 5322 message (the MIME path of
// make_email: build_mime, Message-ID KEY@domain, X-Dondoc-Key, Auto-Submitted).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "notifiers/compose.hpp"
#include "notifiers/notifier.hpp"

namespace dondoc::notifiers {

struct digest_unit {
  std::string id;
  std::string name;
  std::string status;  // pending | acknowledged | overdue
  std::optional<config::sys_seconds> acknowledged_at;
  std::optional<config::sys_days> extended_to;  // a per-unit extension of L
};

struct digest_failure {
  std::string unit_name;  // empty for a grouped message
  std::string recipient;  // contact name (current roster), else its id
  std::string channel;    // email | sms
  std::string reason;     // permanent | retries_exhausted | past_deadline | delivery_failed
  std::string error;      // the notifier's last answer, short
  std::optional<config::sys_seconds> at;
};

struct digest_skip {
  std::string unit_name;  // empty for a grouped message
  std::string recipient;  // contact name, or the role that has nobody ("đầu mối")
  std::string channel;
  std::string reason;     // no_recipient | no_address
  std::int64_t messages = 1;
  bool fixed_now = false;  // the current roster has the missing contact/address
};

struct digest_section {
  std::string occurrence;  // REPORT@YYYY-MM-DD
  std::string title;
  config::sys_days last_day{};
  config::sys_seconds deadline{};
  std::map<std::string, std::int64_t> counts;  // status -> units
  std::int64_t total = 0;
  std::vector<digest_unit> overdue;
  std::vector<digest_unit> outstanding;  // not yet due: pending / acknowledged
  std::vector<digest_failure> failed;
  std::vector<digest_skip> skipped;
};

struct digest_input {
  const config::config* cfg = nullptr;
  const config::contact* recipient = nullptr;
  config::sys_days day{};
  config::sys_seconds now{};
  std::string key;  // 26-character public key of this digest
  std::vector<digest_section> sections;
};

// Subject, text and HTML of the digest.
composed_email compose_digest(const digest_input& in);

// The complete message (envelope, MIME) for a composed digest.
outgoing_email make_digest_email(const digest_input& in, const composed_email& body);

// "chưa nhận", "quá hạn", … for the status ids the store uses.
std::string digest_status_vi(std::string_view status);

}  // namespace dondoc::notifiers
