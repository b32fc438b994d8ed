// What the daemon hands a channel, and what the channel answers. Notifiers never touch
// the store: the daemon claims a row, builds the message, calls send(), and records the
// outcome. Completions run on the daemon's io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dondoc::notifiers {

// A notifier classifies its own failures (Alertmanager's rule): retry for what may pass
// (network, 4xx SMTP, 5xx/429 HTTP, no balance), permanent for what will not (5xx SMTP,
// a rejected number, a template mismatch).
enum class outcome : std::uint8_t { ok, retry, permanent };

struct send_result {
  outcome kind = outcome::ok;
  std::string reason;       // short, for logs and last_error; never a secret or a full number
  std::string provider_id;  // e.g. eSMS SMSID, SMTP queue id when known
  std::optional<std::chrono::seconds> retry_after;  // a hint from the peer (429, 103 no balance)
};

using completion = std::function<void(send_result)>;

// Where a message comes from in the plan; written into the file outbox (sms.jsonl) and
// used in logs. Strings are already final (ids, RFC 3339 times).
struct message_meta {
  std::string key;         // 26-char public key
  std::string at;          // RFC 3339, when it was due to go
  std::string kind;        // reminder | escalation | digest | reply
  std::string report;
  std::string occurrence;
  std::string unit;                 // empty for grouped messages
  std::vector<std::string> units;   // grouped messages
  std::int64_t step = 0;
  std::int64_t repeat = 0;
  std::string contact;     // contact id
};

struct outgoing_email {
  message_meta meta;
  std::string envelope_from;  // bare address for MAIL FROM
  std::string rcpt;           // bare address for RCPT TO
  std::string data;           // the complete RFC 5322 message (CRLF line ends)
};

struct outgoing_sms {
  message_meta meta;
  std::string to;    // E.164 (+84…)
  std::string text;  // final ASCII text
  std::int64_t segments = 1;
};

class email_transport {
 public:
  virtual ~email_transport() = default;
  virtual void send(outgoing_email msg, completion done) = 0;
  virtual std::string name() const = 0;  // "smtp", "outbox"
};

class sms_transport {
 public:
  virtual ~sms_transport() = default;
  virtual void send(outgoing_sms msg, completion done) = 0;
  virtual std::string name() const = 0;  // "esms", "speedsms", "http", "outbox"
};

}  // namespace dondoc::notifiers
