// SMS templates and their rendering. Operators deliver only texts that match a
// registered template, so every SMS comes from one: the built-ins `reminder`,
// `escalation` and `grouped`, replaced by roster [[sms_templates]] of the same id, plus
// any others a step names. Values are folded to ASCII (không dấu), cut to their bounded
// maximum and stripped of anything outside the GSM basic set, so a text stays in the
// 160-character (153 per part) GSM encoding and never switches to UCS-2.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dondoc::config {
struct config;
}

namespace dondoc::notifiers {

// The placeholders an SMS template may use (config/loader.cpp validates the same set
// with the same default maxima; keep the two tables equal).
struct sms_placeholder {
  std::string_view name;
  std::int64_t default_max;
  std::string_view meaning;  // Vietnamese, printed by `dondoc templates`
};
std::span<const sms_placeholder> sms_placeholders();

struct sms_template_spec {
  std::string id;
  std::string text;      // as registered: literal parts folded to GSM-safe ASCII
  std::string origin;    // "built-in" or "FILE:LINE"
  bool builtin = true;
  std::int64_t parts = 1;
  std::vector<std::string> placeholders;     // in order of first use
  std::map<std::string, std::int64_t> max;   // effective maximum of each used placeholder
  std::int64_t max_length = 0;               // literal + every placeholder at its maximum
  std::int64_t limit() const { return parts == 1 ? 160 : 153 * parts; }
};

// Every template a configuration can send, built-ins first (replaced by roster ones of
// the same id), then the other roster templates in roster order. `cfg` may be null
// (built-ins only, no MO keyword).
std::vector<sms_template_spec> sms_templates(const config::config* cfg);
std::optional<sms_template_spec> find_sms_template(const config::config* cfg, std::string_view id);

// Folds to ASCII and keeps only GSM-safe printable characters (a no-break space becomes
// a space; newlines become spaces; []{}\^~|` are dropped).
std::string sms_clean(std::string_view s);

// GSM 7-bit segments for a GSM-safe text: 1 up to 160 characters, then 153 per part.
std::int64_t sms_segments(std::size_t length);

struct sms_rendered {
  bool ok = false;
  std::string text;
  std::int64_t segments = 0;
  std::string error;  // why it was refused (more parts than the template allows)
};

// Fills the template: each value cleaned, cut to its maximum (trailing spaces trimmed);
// a missing value renders empty.
sms_rendered render_sms(const sms_template_spec& t, const std::map<std::string, std::string, std::less<>>& values);

}  // namespace dondoc::notifiers
