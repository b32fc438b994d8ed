// SMS templates: the built-in texts, their replacement by roster templates, and
// rendering with bounded, folded values. The texts printed by `dondoc templates` and
// the texts sent come from the same sms_template_spec, so what is registered with the
// operators is exactly what goes out.
#include "notifiers/sms_text.hpp"

#include <algorithm>
#include <array>

#include "config/config.hpp"
#include "text/text.hpp"

namespace dondoc::notifiers {
namespace {

constexpr std::array<sms_placeholder, 10> placeholders_table{{
    {"unit", 20, "tên viết tắt của đơn vị (short_name)"},
    {"report", 20, "tên viết tắt của báo cáo (short_name)"},
    {"deadline", 16, "thời hạn T: dd/mm/yyyy, hoặc HH:MM dd/mm/yyyy khi hạn có giờ"},
    {"last_day", 10, "ngày cuối cùng được nộp L: dd/mm/yyyy"},
    {"code", 6, "mã trả lời 6 ký tự"},
    {"reply_number", 12, "số nhận tin nhắn trả lời"},
    {"count", 5, "số đơn vị chưa nộp"},
    {"total", 5, "tổng số đơn vị phải nộp"},
    {"days", 4, "số ngày còn lại (nhắc hạn) hoặc số ngày quá hạn"},
    {"occurrence", 40, "mã kỳ báo cáo REPORT@YYYY-MM-DD"},
}};

const sms_placeholder* placeholder(std::string_view name) {
  for (const auto& p : placeholders_table)
    if (p.name == name) return &p;
  return nullptr;
}

// The built-in texts. `KW ` stands for the MO keyword the gateway routes replies by
// (mo_keyword), inserted with its space when one is configured. At their maxima they
// are 138 / 131 / 112 characters (156 / 140 / 112 with a 9-character keyword).
struct builtin {
  std::string_view id;
  std::string_view text;
};
constexpr std::array<builtin, 3> builtins{{
    {"reminder",
     "Nhac han: {unit} nop {report} truoc {deadline}. Tra loi KW DA NHAN {code} hoac KW DA NOP {code} gui "
     "{reply_number}"},
    {"escalation",
     "Qua han {days} ngay: {unit} chua nop {report} (han {last_day}). Da nop: soan KW DA NOP {code} gui "
     "{reply_number}"},
    {"grouped",
     "Tong hop {report}: {count}/{total} don vi chua nop, han {last_day}. Danh sach chi tiet da gui qua email."},
}};

// Splits a template into literal runs and placeholders; literal runs are cleaned.
sms_template_spec make_spec(std::string id, std::string_view raw, std::int64_t parts,
                            const std::map<std::string, std::int64_t>& max, std::string origin, bool is_builtin) {
  sms_template_spec spec;
  spec.id = std::move(id);
  spec.origin = std::move(origin);
  spec.builtin = is_builtin;
  spec.parts = parts;
  std::string literal;
  std::int64_t length = 0;
  auto flush = [&] {
    const std::string clean = sms_clean(literal);
    spec.text += clean;
    length += static_cast<std::int64_t>(clean.size());
    literal.clear();
  };
  for (std::size_t i = 0; i < raw.size();) {
    if (raw[i] == '{') {
      const auto close = raw.find('}', i);
      if (close != std::string_view::npos) {
        const std::string name(raw.substr(i + 1, close - i - 1));
        if (const auto* p = placeholder(name)) {
          flush();
          spec.text += "{" + name + "}";
          const auto it = max.find(name);
          const std::int64_t m = it != max.end() ? it->second : p->default_max;
          length += m;
          if (std::find(spec.placeholders.begin(), spec.placeholders.end(), name) == spec.placeholders.end())
            spec.placeholders.push_back(name);
          spec.max[name] = m;
          i = close + 1;
          continue;
        }
      }
    }
    literal.push_back(raw[i]);
    ++i;
  }
  flush();
  spec.max_length = length;
  return spec;
}

// Without a reply number (no SMS gateway: the messages go to the file outbox) the texts
// end at the codes instead of "… gui " and nothing.
std::string builtin_text(std::string_view text, const std::string& keyword, bool reply_number) {
  static constexpr std::string_view to_number = " gui {reply_number}";
  std::string cut;
  if (!reply_number) {
    for (auto at = text.find(to_number); at != std::string_view::npos; at = text.find(to_number)) {
      cut = std::string(text.substr(0, at)) + std::string(text.substr(at + to_number.size()));
      text = cut;
    }
  }
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.substr(i, 3) == "KW ") {
      if (!keyword.empty()) out += keyword + " ";
      i += 3;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

std::string origin_of(const config::config& cfg, const config::sms_template& t) {
  const std::string file = t.where.file < cfg.files.size() ? cfg.files[t.where.file] : std::string("roster");
  return t.where.line > 0 ? file + ":" + std::to_string(t.where.line) : file;
}

}  // namespace

std::span<const sms_placeholder> sms_placeholders() { return placeholders_table; }

std::string sms_clean(std::string_view s) {
  const std::string folded = text::fold_ascii(s);
  std::string out;
  out.reserve(folded.size());
  for (char c : folded) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    const char one[1] = {c};
    if (text::gsm_safe(std::string_view(one, 1))) out.push_back(c);
  }
  return out;
}

std::int64_t sms_segments(std::size_t length) {
  if (length <= 160) return 1;
  return static_cast<std::int64_t>((length + 152) / 153);
}

std::vector<sms_template_spec> sms_templates(const config::config* cfg) {
  std::string keyword;
  if (cfg != nullptr && cfg->channels.sms) keyword = sms_clean(cfg->channels.sms->mo_keyword);
  // Without a configuration (`dondoc templates` alone) the texts are shown whole.
  const bool reply_number = cfg == nullptr || (cfg->channels.sms && !cfg->channels.sms->reply_number.empty());
  std::vector<sms_template_spec> out;
  for (const auto& b : builtins) {
    const config::sms_template* roster = cfg != nullptr ? cfg->find_sms_template(b.id) : nullptr;
    if (roster != nullptr)
      out.push_back(make_spec(roster->id, roster->text, roster->parts, roster->max, origin_of(*cfg, *roster), false));
    else
      out.push_back(make_spec(std::string(b.id), builtin_text(b.text, keyword, reply_number), 1, {}, "built-in", true));
  }
  if (cfg != nullptr)
    for (const auto& t : cfg->sms_templates) {
      const bool is_builtin_id = std::any_of(builtins.begin(), builtins.end(), [&](const builtin& b) { return b.id == t.id; });
      if (!is_builtin_id) out.push_back(make_spec(t.id, t.text, t.parts, t.max, origin_of(*cfg, t), false));
    }
  return out;
}

std::optional<sms_template_spec> find_sms_template(const config::config* cfg, std::string_view id) {
  for (auto& t : sms_templates(cfg))
    if (t.id == id) return std::move(t);
  return std::nullopt;
}

sms_rendered render_sms(const sms_template_spec& t, const std::map<std::string, std::string, std::less<>>& values) {
  sms_rendered r;
  const std::string& s = t.text;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '{') {
      const auto close = s.find('}', i);
      const std::string name = s.substr(i + 1, close - i - 1);
      std::string v;
      if (const auto it = values.find(name); it != values.end()) v = sms_clean(it->second);
      const auto mx = t.max.find(name);
      const std::size_t limit = mx != t.max.end() ? static_cast<std::size_t>(mx->second) : v.size();
      if (v.size() > limit) v.resize(limit);
      while (!v.empty() && v.back() == ' ') v.pop_back();
      r.text += v;
      i = close + 1;
    } else {
      r.text.push_back(s[i++]);
    }
  }
  if (r.text.find("http://") != std::string::npos || r.text.find("https://") != std::string::npos ||
      r.text.find("www.") != std::string::npos) {
    r.error = "SMS template \"" + t.id + "\" would carry a link; links go by email only";
    return r;
  }
  r.segments = sms_segments(r.text.size());
  if (r.segments > t.parts) {
    r.error = "SMS template \"" + t.id + "\" renders " + std::to_string(r.text.size()) + " characters (" +
              std::to_string(r.segments) + " parts); it allows " + std::to_string(t.parts);
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace dondoc::notifiers
