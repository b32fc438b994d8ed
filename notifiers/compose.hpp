// Message composition: the Vietnamese text of every email and SMS dondoc sends, from
// one compose_input the daemon fills from the configuration, the occurrence and the
// store. Email carries diacritics and everything a recipient needs to act (report,
// basis, period, deadline, days left, reply code and how to answer, link, whom to
// contact); SMS comes only from registered templates (sms_text.hpp).
//
// Extension point: the coordinators' daily digest is another composer beside these
// (compose_digest(const digest_input&) -> composed_email), rendered through the same
// block renderer in compose.cpp and sent with make_email's MIME path (email_envelope).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "notifiers/mime.hpp"
#include "notifiers/notifier.hpp"
#include "scheduler/plan.hpp"

namespace dondoc::notifiers {

// One outstanding unit of a grouped message (status as the store has it:
// pending | acknowledged | overdue | untracked | submitted | submitted_late | exempted).
struct unit_line {
  std::string id;
  std::string name;
  std::string status;
  std::optional<config::sys_seconds> acknowledged_at;
};

struct compose_input {
  const config::config* cfg = nullptr;
  const config::report* report = nullptr;
  std::string occurrence;            // REPORT@YYYY-MM-DD
  config::sys_days nominal{};
  config::sys_days last_day{};       // L (after extensions for this unit)
  config::sys_seconds deadline{};    // T
  const config::unit* unit = nullptr;          // null: a grouped message to roster-wide roles
  std::string unit_status;                     // unit messages: status now (optional)
  std::optional<config::sys_seconds> acknowledged_at;  // unit messages: when the unit acknowledged
  std::vector<unit_line> outstanding;          // grouped: units still outstanding
  std::int64_t total_units = 0;                // units of the occurrence
  const config::contact* recipient = nullptr;
  const config::step* step = nullptr;
  std::int64_t step_index = 0;
  scheduler::step_kind kind = scheduler::step_kind::reminder;
  std::int64_t repeat = 0;
  std::string reply_code;        // 6 characters; unit messages
  std::string link;              // public page of this (occurrence, unit); empty: none
  std::string reply_to;          // tagged Reply-To address (dondoc-replies+TOKEN@…); empty: none
  config::sys_seconds now{};     // for days left / overdue
  config::sys_seconds due{};     // when the row was due (message_meta.at)
  bool catch_up = false;         // sent late after downtime
  std::string key;               // the row's 26-character public key
  std::vector<std::string> thread_references;  // earlier Message-IDs of this thread, oldest first
};

struct composed_email {
  std::string subject;
  std::string text;
  std::string html;
  std::string template_id;  // "reminder" | "escalation" | "grouped" | a report template id
  bool from_report_template = false;
};

// Subject, plain text and HTML; report.email_templates[id] replaces the built-in
// subject and/or body (id: the step's email_template, else the kind's name).
composed_email compose_email(const compose_input& in);

// The placeholders a report email template may use ({unit}, {report}, {deadline}, …),
// for `dondoc check` and documentation.
std::span<const std::string_view> email_placeholders();

// Domain of the sender address (for Message-IDs): from channels.email.from, else the
// host of service.public_url, else "dondoc.invalid".
std::string message_id_domain(const config::config& cfg);
// The Message-ID (without angle brackets) every message of one thread refers to:
// one per (occurrence, unit), or per (occurrence, recipient) for grouped messages.
std::string thread_root_id(const compose_input& in);

// The full email: MIME (Message-ID KEY@domain, In-Reply-To/References to the thread,
// Reply-To, Auto-Submitted, X-Dondoc-Key) and envelope.
outgoing_email make_email(const compose_input& in, const composed_email& body);

struct composed_sms {
  bool ok = false;
  std::string text;
  std::int64_t segments = 0;
  std::string template_id;
  std::string error;  // refused: template unknown or too long for its parts
};
// The SMS from the step's sms_template, else the built-in id of the kind
// (reminder / escalation / grouped), replaced by a roster template of that id.
composed_sms compose_sms(const compose_input& in);
// outgoing_sms for a composed SMS (recipient phone, meta from make_meta).
outgoing_sms make_sms(const compose_input& in, const composed_sms& sms);

// message_meta from the input (key, due time, kind, report, occurrence, unit(s), step,
// repeat, contact).
message_meta make_meta(const compose_input& in);

// "+84905000001" -> "0905 000 001" (display only).
std::string phone_local_display(std::string_view e164);

}  // namespace dondoc::notifiers
