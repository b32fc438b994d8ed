// Email replies through GMime. GMime parses the structure, decodes the transfer
// encodings and RFC 2047 headers, and converts each text part from its charset (iconv:
// Windows-1258, ISO-8859-x, …) to UTF-8; everything after that is ours: the choice of
// the body (the plain alternative, else the HTML as text), NFC (a Windows-1258
// conversion leaves Vietnamese decomposed: base letters plus combining tones), the cut
// before the quoted history, and the signs that a machine wrote the message.
//
// Why auto-replies and bounces are recognised here and not left to the keyword reader:
// an out-of-office often quotes our message ("… hạn nộp …", "Đã nhận …"), so its text
// could read as an answer. It must change nothing, and it must never be answered (two
// robots answering each other is a mail loop). A bounce is the only news that a
// reminder never arrived; it marks that outbox row `failed`.
#include "replies/email_reply.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>

#include "notifiers/mime.hpp"
#include "text/text.hpp"

namespace dondoc::replies {
namespace {

struct gobject_unref {
  void operator()(gpointer p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
template <typename T>
using gptr = std::unique_ptr<T, gobject_unref>;

struct gfree {
  void operator()(void* p) const { g_free(p); }
};
using gstr = std::unique_ptr<char, gfree>;

constexpr std::size_t max_part_text = 1u << 20;  // the text we keep of one part
constexpr std::size_t max_scan_text = 256u << 10;  // bounce text scanned for the original's ids

char lower_c(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower_c(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower_c(a[i]) != lower_c(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    const auto nl = s.find('\n', pos);
    std::string_view line = s.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Well-formed UTF-8 (malformed bytes become U+FFFD), "\r\n" and "\r" as "\n", no NULs;
// `header`: every control character becomes a space. Then NFC.
std::string clean_text(std::string_view s, bool header) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = text::utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (n == 1) {
      const char c = s[i];
      const auto uc = static_cast<unsigned char>(c);
      if (header && (uc < 0x20 || uc == 0x7F)) {
        out.push_back(' ');
      } else if (c == '\r') {
        if (i + 1 >= s.size() || s[i + 1] != '\n') out.push_back('\n');
      } else if (c == '\0') {
        out.push_back(' ');
      } else {
        out.push_back(c);
      }
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return text::nfc(out);
}

// --- addresses -------------------------------------------------------------------------

void collect_mailboxes(InternetAddressList* list, std::vector<std::pair<std::string, std::string>>& out, int depth = 0) {
  if (list == nullptr || depth > 4) return;
  const int n = internet_address_list_length(list);
  for (int i = 0; i < n && out.size() < 512; ++i) {
    InternetAddress* ia = internet_address_list_get_address(list, i);
    if (ia == nullptr) continue;
    if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
      const char* name = internet_address_get_name(ia);
      out.emplace_back(addr ? lower(trim(addr)) : std::string(), name ? std::string(name) : std::string());
    } else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
      collect_mailboxes(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out, depth + 1);
    }
  }
}

std::vector<std::pair<std::string, std::string>> parse_addresses(const char* value) {
  std::vector<std::pair<std::string, std::string>> out;
  if (value == nullptr) return out;
  gptr<InternetAddressList> list(internet_address_list_parse(nullptr, value));
  collect_mailboxes(list.get(), out);
  return out;
}

std::vector<std::string> parse_ids(const char* value) {
  std::vector<std::string> out;
  if (value == nullptr) return out;
  GMimeReferences* refs = g_mime_references_parse(nullptr, value);
  if (refs == nullptr) return out;
  const int n = g_mime_references_length(refs);
  for (int i = 0; i < n && i < 256; ++i)
    if (const char* id = g_mime_references_get_message_id(refs, i)) out.emplace_back(id);
  g_mime_references_free(refs);
  return out;
}

// --- the MIME tree ---------------------------------------------------------------------

std::string part_bytes(GMimePart* part, std::size_t limit) {
  GMimeDataWrapper* w = g_mime_part_get_content(part);
  if (w == nullptr) return {};
  gptr<GMimeStream> mem(g_mime_stream_mem_new());
  if (g_mime_data_wrapper_write_to_stream(w, mem.get()) < 0) return {};
  GByteArray* arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  if (arr == nullptr || arr->data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(arr->data), std::min<std::size_t>(arr->len, limit));
}

std::string part_text(GMimeObject* obj) {
  if (!GMIME_IS_TEXT_PART(obj)) return part_bytes(GMIME_PART(obj), max_part_text);
  gstr t(g_mime_text_part_get_text(GMIME_TEXT_PART(obj)));
  if (!t) return {};
  std::string s(t.get());
  if (s.size() > max_part_text) s.resize(max_part_text);
  return s;
}

struct walk_state {
  std::string plain, html;
  bool have_plain = false, have_html = false;
  std::vector<std::string> ids;      // of attached messages (the bounced original)
  std::vector<std::string> actions;  // DSN Action: values
  bool delivery_status = false;      // a message/delivery-status part was seen
  std::string scan;                  // text to search for the original's ids
  std::size_t parts = 0;
};

void add_id(std::vector<std::string>& ids, std::string id) {
  id = std::string(trim(id));
  if (id.size() > 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  if (id.empty() || id.size() > 512) return;
  if (std::find(ids.begin(), ids.end(), id) == ids.end() && ids.size() < 64) ids.push_back(std::move(id));
}

// "Message-ID: <…>" and "X-Dondoc-Key: …" lines of a bounce's text or quoted headers.
void scan_ids(std::string_view text, std::vector<std::string>& ids) {
  for (auto line : split_lines(text)) {
    line = trim(line);
    for (std::string_view field : {std::string_view("message-id:"), std::string_view("x-dondoc-key:")}) {
      if (!istarts_with(line, field)) continue;
      std::string_view v = trim(line.substr(field.size()));
      const auto lt = v.find('<');
      const auto gt = v.find('>', lt == std::string_view::npos ? 0 : lt);
      if (lt != std::string_view::npos && gt != std::string_view::npos) v = v.substr(lt + 1, gt - lt - 1);
      add_id(ids, std::string(v));
    }
  }
}

void add_message_ids(GMimeMessage* m, std::vector<std::string>& ids) {
  if (const char* id = g_mime_message_get_message_id(m)) add_id(ids, id);
  if (const char* k = g_mime_object_get_header(GMIME_OBJECT(m), "X-Dondoc-Key")) add_id(ids, k);
}

void walk(GMimeObject* obj, walk_state& st, bool attached, int depth) {
  if (obj == nullptr || depth > 24 || ++st.parts > 500) return;
  if (GMIME_IS_MULTIPART(obj)) {
    GMimeMultipart* mp = GMIME_MULTIPART(obj);
    const int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; ++i) walk(g_mime_multipart_get_part(mp, i), st, attached, depth + 1);
    return;
  }
  if (GMIME_IS_MESSAGE_PART(obj)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    if (inner == nullptr) return;
    add_message_ids(inner, st.ids);
    walk(g_mime_message_get_mime_part(inner), st, true, depth + 1);
    return;
  }
  if (!GMIME_IS_PART(obj)) return;
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  if (ct == nullptr) return;
  if (g_mime_content_type_is_type(ct, "message", "delivery-status") ||
      g_mime_content_type_is_type(ct, "message", "global-delivery-status")) {
    st.delivery_status = true;
    const std::string body = part_bytes(GMIME_PART(obj), 64u << 10);
    for (auto line : split_lines(body)) {
      line = trim(line);
      if (istarts_with(line, "action:")) st.actions.push_back(lower(trim(line.substr(7))));
    }
    return;
  }
  if (g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
      g_mime_content_type_is_type(ct, "message", "rfc822-headers") ||
      g_mime_content_type_is_type(ct, "message", "global-headers")) {
    scan_ids(part_bytes(GMIME_PART(obj), 64u << 10), st.ids);
    return;
  }
  if (!g_mime_content_type_is_type(ct, "text", "*")) return;
  GMimeContentDisposition* disp = g_mime_object_get_content_disposition(obj);
  const bool attachment = disp != nullptr && g_mime_content_disposition_is_attachment(disp);
  const bool plain = g_mime_content_type_is_type(ct, "text", "plain");
  const bool html = g_mime_content_type_is_type(ct, "text", "html");
  if (!plain && !html) return;
  std::string t = part_text(obj);
  if (st.scan.size() < max_scan_text) st.scan.append(t.substr(0, max_scan_text - st.scan.size())).push_back('\n');
  if (attachment || attached) return;
  if (plain && !st.have_plain && !trim(t).empty()) {
    st.plain = std::move(t);
    st.have_plain = true;
  } else if (html && !st.have_html) {
    st.html = std::move(t);
    st.have_html = true;
  }
}

// --- machine-written messages --------------------------------------------------------

bool bounce_subject(std::string_view subject) {
  const std::string key = text::match_key(subject);
  static constexpr std::array<std::string_view, 8> keys{
      "UNDELIVEREDMAILRETURNEDTOSENDER", "DELIVERYSTATUSNOTIFICATION", "UNDELIVERABLE", "MAILDELIVERYFAILED",
      "RETURNEDMAIL",                    "DELIVERYFAILURE",            "FAILURENOTICE", "KHONGTHEGUI"};
  return std::any_of(keys.begin(), keys.end(), [&](std::string_view k) { return key.find(k) != std::string::npos; });
}

// --- HTML ------------------------------------------------------------------------------

struct entity {
  std::string_view name;
  char32_t cp;
};
constexpr std::array<entity, 64> entities{{
    {"nbsp", 0x20},   {"amp", '&'},     {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
    {"ndash", 0x2013}, {"mdash", 0x2014}, {"hellip", 0x2026}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},
    {"rdquo", 0x201D}, {"laquo", 0xAB},   {"raquo", 0xBB},   {"copy", 0xA9},    {"bull", 0x2022},  {"middot", 0xB7},
    {"Agrave", 0xC0}, {"Aacute", 0xC1},  {"Acirc", 0xC2},   {"Atilde", 0xC3},  {"Egrave", 0xC8},  {"Eacute", 0xC9},
    {"Ecirc", 0xCA},  {"Igrave", 0xCC},  {"Iacute", 0xCD},  {"Ograve", 0xD2},  {"Oacute", 0xD3},  {"Ocirc", 0xD4},
    {"Otilde", 0xD5}, {"Ugrave", 0xD9},  {"Uacute", 0xDA},  {"Yacute", 0xDD},  {"agrave", 0xE0},  {"aacute", 0xE1},
    {"acirc", 0xE2},  {"atilde", 0xE3},  {"egrave", 0xE8},  {"eacute", 0xE9},  {"ecirc", 0xEA},   {"igrave", 0xEC},
    {"iacute", 0xED}, {"ograve", 0xF2},  {"oacute", 0xF3},  {"ocirc", 0xF4},   {"otilde", 0xF5},  {"ugrave", 0xF9},
    {"uacute", 0xFA}, {"yacute", 0xFD},  {"Dstrok", 0x110}, {"dstrok", 0x111}, {"Abreve", 0x102}, {"abreve", 0x103},
    {"Utilde", 0x168}, {"utilde", 0x169}, {"Itilde", 0x128}, {"itilde", 0x129}, {"shy", 0xAD},     {"zwnj", 0x200C},
    {"zwj", 0x200D},  {"lrm", 0x200E},   {"rlm", 0x200F},   {"ensp", 0x20},
}};

// Decodes the entity at h[i] == '&'; appends it and returns the bytes consumed (0: a
// literal '&').
std::size_t decode_entity(std::string_view h, std::size_t i, std::string& out) {
  const auto semi = h.find(';', i + 1);
  if (semi == std::string_view::npos || semi - i > 12) return 0;
  const std::string_view body = h.substr(i + 1, semi - i - 1);
  if (body.empty()) return 0;
  if (body.front() == '#') {
    const bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
    const std::string_view digits = body.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    std::uint32_t v = 0;
    for (char c : digits) {
      std::uint32_t d = 0;
      if (c >= '0' && c <= '9') d = static_cast<std::uint32_t>(c - '0');
      else if (hex && c >= 'a' && c <= 'f') d = static_cast<std::uint32_t>(c - 'a' + 10);
      else if (hex && c >= 'A' && c <= 'F') d = static_cast<std::uint32_t>(c - 'A' + 10);
      else return 0;
      v = v * (hex ? 16u : 10u) + d;
      if (v > 0x10FFFF) v = 0xFFFD;
    }
    if (v == 0xA0) v = ' ';
    append_utf8(out, static_cast<char32_t>(v));
    return semi - i + 1;
  }
  for (const auto& e : entities)
    if (e.name == body) {
      append_utf8(out, e.cp);
      return semi - i + 1;
    }
  return 0;
}

bool is_block(std::string_view name) {
  static constexpr std::array<std::string_view, 24> blocks{
      "p",  "div", "tr", "li", "ul", "ol",    "table",   "h1",      "h2",     "h3",     "h4",     "h5",
      "h6", "dl",  "dt", "dd", "pre", "center", "address", "section", "article", "header", "footer", "form"};
  return std::find(blocks.begin(), blocks.end(), name) != blocks.end();
}

// Position just after the end tag `</name …>` from `from`, or npos.
std::size_t after_end_tag(std::string_view h, std::size_t from, std::string_view name) {
  std::size_t p = from;
  while ((p = h.find("</", p)) != std::string_view::npos) {
    if (istarts_with(h.substr(p + 2), name)) {
      const auto gt = h.find('>', p);
      return gt == std::string_view::npos ? h.size() : gt + 1;
    }
    p += 2;
  }
  return std::string_view::npos;
}

std::vector<std::string> upper_words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text::fold_ascii(s)) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) cur.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    else if (!cur.empty()) out.push_back(std::move(cur)), cur.clear();
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// "Re: ", "TL: ", "Trả lời: ", "Fwd: "… (repeated), on the folded subject.
std::string strip_reply_prefixes(std::string_view subject) {
  std::string s = text::fold_ascii(subject);
  static constexpr std::array<std::string_view, 14> prefixes{"re:", "re :", "fw:", "fwd:", "tl:", "tra loi:", "aw:",
                                                            "sv:", "vs:", "antw:", "r:", "rif:", "tr:", "wg:"};
  for (bool again = true; again;) {
    again = false;
    const std::string_view t = trim(s);
    for (auto p : prefixes)
      if (istarts_with(t, p)) {
        s = std::string(t.substr(p.size()));
        again = true;
        break;
      }
    if (!again) s = std::string(t);
  }
  return s;
}

bool keyword_leads(std::string_view folded) {
  static constexpr std::array<std::string_view, 7> keys{"DANHAN", "DANOP", "DAGUI", "NHAN", "XONG", "NOP", "OK"};
  const auto words = upper_words(folded);
  if (words.empty()) return false;
  auto known = [&](const std::string& k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };
  return known(words[0]) || (words.size() >= 2 && known(words[0] + words[1]));
}

bool auto_subject(std::string_view subject, std::string& why) {
  const std::string key = text::match_key(subject);
  static constexpr std::array<std::string_view, 9> anywhere{
      "TUDONGTRALOI", "TRALOITUDONG", "OUTOFOFFICE", "OUTOFTHEOFFICE", "AUTOMATICREPLY",
      "AUTOREPLY",    "AUTORESPONSE", "ABWESENHEIT", "PHANHOITUDONG"};
  bool hit = std::any_of(anywhere.begin(), anywhere.end(),
                         [&](std::string_view k) { return key.find(k) != std::string::npos; });
  // "Vắng mặt: …", "Nghỉ phép: …", "Auto: …" only at the start: elsewhere they can be
  // ordinary words of a real answer.
  const std::string start = strip_reply_prefixes(subject);
  const std::string skey = text::match_key(start);
  hit = hit || skey.rfind("VANGMAT", 0) == 0 || skey.rfind("NGHIPHEP", 0) == 0 || istarts_with(start, "auto:");
  if (hit) why = "subject: " + std::string(subject.substr(0, 80));
  return hit;
}

}  // namespace

std::string_view to_string(email_kind k) {
  switch (k) {
    case email_kind::reply: return "reply";
    case email_kind::auto_reply: return "auto_reply";
    case email_kind::bounce: return "bounce";
  }
  return "reply";
}

std::string html_to_text(std::string_view h) {
  // Markers for <blockquote> depth, turned into "> " prefixes afterwards.
  constexpr char quote_open = '\x01', quote_close = '\x02';
  std::string out;
  out.reserve(h.size() / 2);
  bool space = false;
  auto newline = [&] {
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
    space = false;
  };
  std::size_t i = 0;
  while (i < h.size()) {
    const char c = h[i];
    if (c == '<') {
      if (h.compare(i, 4, "<!--") == 0) {
        const auto e = h.find("-->", i + 4);
        i = e == std::string_view::npos ? h.size() : e + 3;
        continue;
      }
      const auto e = h.find('>', i);
      if (e == std::string_view::npos) break;  // an unterminated tag ends the text
      std::string_view tag = h.substr(i + 1, e - i - 1);
      i = e + 1;
      const bool closing = !tag.empty() && tag.front() == '/';
      if (closing) tag.remove_prefix(1);
      std::size_t n = 0;
      while (n < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[n])) != 0 || tag[n] == ':')) ++n;
      const std::string name = lower(tag.substr(0, n));
      if (!closing && (name == "style" || name == "script" || name == "head" || name == "title" || name == "xml")) {
        const auto end = after_end_tag(h, i, name);
        if (end != std::string_view::npos) i = end;
        continue;
      }
      if (name == "br") {
        while (!out.empty() && out.back() == ' ') out.pop_back();
        out.push_back('\n');
        space = false;
      } else if (name == "hr") {
        newline();
        out += "-----\n";
      } else if (name == "blockquote") {
        newline();
        out.push_back(closing ? quote_close : quote_open);
        out.push_back('\n');
      } else if (name == "td" || name == "th") {
        space = true;
      } else if (is_block(name)) {
        newline();
      }
      continue;
    }
    if (c == '&') {
      std::string ent;
      const std::size_t used = decode_entity(h, i, ent);
      if (used > 0) {
        if (ent == " ") {
          space = true;
        } else {
          if (space && !out.empty() && out.back() != '\n') out.push_back(' ');
          space = false;
          out += ent;
        }
        i += used;
        continue;
      }
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      space = true;
      ++i;
      continue;
    }
    // U+00A0 written as UTF-8 is a space too.
    if (static_cast<unsigned char>(c) == 0xC2 && i + 1 < h.size() && static_cast<unsigned char>(h[i + 1]) == 0xA0) {
      space = true;
      i += 2;
      continue;
    }
    if (space && !out.empty() && out.back() != '\n') out.push_back(' ');
    space = false;
    out.push_back(c);
    ++i;
  }
  // Quote prefixes, trimmed lines, at most one blank line in a row.
  std::string text;
  text.reserve(out.size());
  int depth = 0;
  bool blank = true;
  for (auto line : split_lines(out)) {
    if (line.size() == 1 && line.front() == quote_open) {
      ++depth;
      continue;
    }
    if (line.size() == 1 && line.front() == quote_close) {
      depth = std::max(0, depth - 1);
      continue;
    }
    line = trim(line);
    if (line.empty()) {
      if (!blank) text.push_back('\n');
      blank = true;
      continue;
    }
    for (int d = 0; d < depth; ++d) text += "> ";
    text.append(line);
    text.push_back('\n');
    blank = false;
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string reply_head(std::string_view body, std::size_t max_lines) {
  const auto lines = split_lines(body);
  auto label = [](std::string_view line) -> std::string {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 24) return {};
    return text::match_key(line.substr(0, colon));
  };
  auto attribution_end = [](std::string_view line) {
    const std::string f = text::fold_ascii(line);
    return iends_with(f, "wrote:") || iends_with(f, "da viet:") || iends_with(f, "viet:") ||
           iends_with(f, "a ecrit :") || iends_with(f, "schrieb:") || iends_with(f, "escribio:");
  };
  auto attribution_start = [](std::string_view line) {
    const std::string f = text::fold_ascii(line);
    return istarts_with(f, "on ") || istarts_with(f, "vao ") || istarts_with(f, "luc ") || istarts_with(f, "le ") ||
           istarts_with(f, "am ");
  };
  std::size_t cut = lines.size();
  for (std::size_t k = 0; k < lines.size() && cut == lines.size(); ++k) {
    const std::string_view t = trim(lines[k]);
    if (t.empty()) continue;
    if (t.front() == '>' || t.rfind("_____", 0) == 0) {
      cut = k;
    } else if (attribution_end(t)) {
      cut = k;
      // A long attribution wrapped over two lines: "On … <" / "addr> wrote:".
      if (k > 0 && !trim(lines[k - 1]).empty() && attribution_start(trim(lines[k - 1])) && !attribution_start(t))
        cut = k - 1;
    } else {
      const std::string l = label(t);
      if (l == "FROM" || l == "TU" || l == "DE" || l == "VON" || l == "NGUOIGUI") {
        for (std::size_t j = k + 1; j < lines.size() && j <= k + 3; ++j) {
          const std::string next = label(trim(lines[j]));
          if (next == "SENT" || next == "DATE" || next == "DAGUI" || next == "NGAY" || next == "GUI" || next == "TO" ||
              next == "DEN" || next == "GUILUC" || next == "THOIGIAN" || next == "NGAYGUI" || next == "ENVOYE") {
            cut = k;
            break;
          }
        }
      }
    }
  }
  std::string kept;
  for (std::size_t k = 0; k < cut; ++k) {
    kept.append(lines[k]);
    kept.push_back('\n');
  }
  return unquoted_head(kept, max_lines);
}

std::string key_of_message_id(std::string_view id) {
  id = trim(id);
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  const auto at = id.find('@');
  const std::string_view local = at == std::string_view::npos ? id : id.substr(0, at);
  if (local.size() != 26) return {};
  std::string key = lower(local);
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return {};
  return key;
}

std::vector<std::string> reply_tags(const email_message& m, std::string_view reply_address) {
  std::vector<std::string> out;
  const auto at = reply_address.rfind('@');
  const std::string local = lower(at == std::string_view::npos ? reply_address : reply_address.substr(0, at));
  for (const auto& r : m.recipients) {
    const auto rat = r.rfind('@');
    if (rat == std::string::npos) continue;
    const std::string_view rl = std::string_view(r).substr(0, rat);
    const auto plus = rl.find('+');
    if (plus == std::string_view::npos) continue;
    if (!local.empty() && !iequals(rl.substr(0, plus), local)) continue;
    std::string tag = lower(rl.substr(plus + 1));
    if (local.empty() && tag.size() != 26) continue;
    if (!tag.empty() && tag.size() <= 64 && std::find(out.begin(), out.end(), tag) == out.end())
      out.push_back(std::move(tag));
  }
  return out;
}

std::vector<std::string> code_words(std::string_view text) {
  std::vector<std::string> out;
  for (auto& w : upper_words(text))
    if (valid_code(w) && std::find(out.begin(), out.end(), w) == out.end()) out.push_back(std::move(w));
  return out;
}

parsed_reply read_intent(const email_message& m) {
  parsed_reply best;
  const auto lines = split_lines(m.head);
  std::size_t used = lines.size();
  for (std::size_t i = 0; i < lines.size() && best.what == intent::none; ++i) {
    // Sentence by sentence: a question is not an answer, but "Đã nhận. Xin hỏi hạn nộp là
    // ngày nào?" answers in its first sentence.
    const std::string_view line = lines[i];
    for (std::size_t start = 0; start < line.size();) {
      std::size_t end = line.find_first_of(".!?;", start);
      end = end == std::string_view::npos ? line.size() : end + 1;
      const std::string_view sentence = line.substr(start, end - start);
      start = end;
      if (sentence.back() == '?') continue;
      auto p = parse_reply(sentence);
      if (p.what != intent::none) {
        best = std::move(p);
        used = i;
        break;
      }
    }
  }
  const std::string subject = strip_reply_prefixes(m.subject);
  if (best.what == intent::none && keyword_leads(subject) && subject.find('?') == std::string::npos)
    best = parse_reply(subject);
  if (best.what != intent::none && !best.code) {
    for (std::size_t i = 0; i < lines.size() && !best.code; ++i) {
      if (i == used) continue;
      auto words = code_words(lines[i]);
      if (!words.empty()) best.code = words.front();
    }
    if (!best.code) {
      auto words = code_words(subject);
      if (!words.empty()) best.code = words.front();
    }
  }
  return best;
}

email_message read_email(std::string_view raw, std::size_t max_bytes) {
  email_message out;
  if (raw.size() > max_bytes) raw = raw.substr(0, max_bytes);
  notifiers::gmime_init_once();
  gptr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  if (!stream) return out;
  gptr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  if (!parser) return out;
  gptr<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!msg) return out;
  out.parsed = true;
  GMimeObject* top = GMIME_OBJECT(msg.get());

  // Sender, subject, ids.
  {
    std::vector<std::pair<std::string, std::string>> from;
    collect_mailboxes(g_mime_message_get_from(msg.get()), from);
    if (!from.empty()) {
      out.from = from.front().first;
      out.from_name = clean_text(from.front().second, true);
    }
  }
  if (const char* s = g_mime_message_get_subject(msg.get())) out.subject = std::string(trim(clean_text(s, true)));
  if (const char* id = g_mime_message_get_message_id(msg.get())) out.message_id = clean_text(id, true);

  // Every header once: recipients, threading, the signs of a machine.
  bool null_sender = false;
  std::string auto_why;
  auto add_recipients = [&](const char* value) {
    for (auto& [addr, name] : parse_addresses(value)) {
      (void)name;
      if (!addr.empty() && std::find(out.recipients.begin(), out.recipients.end(), addr) == out.recipients.end() &&
          out.recipients.size() < 256)
        out.recipients.push_back(addr);
    }
  };
  GMimeHeaderList* headers = g_mime_object_get_header_list(top);
  const int count = headers != nullptr ? g_mime_header_list_get_count(headers) : 0;
  for (int i = 0; i < count && i < 2000; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(headers, i);
    const char* name_c = h != nullptr ? g_mime_header_get_name(h) : nullptr;
    const char* value_c = h != nullptr ? g_mime_header_get_value(h) : nullptr;
    if (name_c == nullptr) continue;
    const std::string_view name(name_c);
    const std::string value = value_c != nullptr ? std::string(trim(value_c)) : std::string();
    if (iequals(name, "To") || iequals(name, "Cc") || iequals(name, "Delivered-To") || iequals(name, "X-Original-To") ||
        iequals(name, "Envelope-To") || iequals(name, "X-Envelope-To") || iequals(name, "X-Delivered-To")) {
      add_recipients(value_c);
    } else if (iequals(name, "In-Reply-To")) {
      for (auto& id : parse_ids(value_c)) out.in_reply_to.push_back(std::move(id));
    } else if (iequals(name, "References")) {
      for (auto& id : parse_ids(value_c)) out.references.push_back(std::move(id));
    } else if (iequals(name, "Auto-Submitted")) {
      const std::string v = lower(trim(value.substr(0, value.find(';'))));
      if (!v.empty() && v != "no" && auto_why.empty()) auto_why = "Auto-Submitted: " + v;
    } else if (iequals(name, "X-Autoreply") || iequals(name, "X-Autorespond") || iequals(name, "X-Autoresponder") ||
               iequals(name, "X-Autogenerated") || iequals(name, "X-Auto-Reply")) {
      const std::string v = lower(value);
      if (v != "no" && v != "false" && auto_why.empty()) auto_why = std::string(name) + ": " + value.substr(0, 40);
    } else if (iequals(name, "Precedence") || iequals(name, "X-Precedence")) {
      const std::string v = lower(value);
      if ((v == "bulk" || v == "junk" || v == "list" || v == "auto_reply" || v == "auto-reply") && auto_why.empty())
        auto_why = std::string(name) + ": " + v;
    } else if (iequals(name, "List-Id") || iequals(name, "List-Unsubscribe")) {
      if (auto_why.empty()) auto_why = "mailing list (" + std::string(name) + ")";
    } else if (iequals(name, "Return-Path")) {
      const std::string v(trim(value));
      if (v == "<>" || v.empty()) null_sender = true;
    }
  }

  // The body.
  walk_state st;
  walk(g_mime_message_get_mime_part(msg.get()), st, false, 0);
  std::string body = st.have_plain ? st.plain : st.have_html ? html_to_text(st.html) : std::string();
  out.text = clean_text(body, false);
  out.head = reply_head(out.text);

  // A bounce: a delivery report, or a message from the mail system about a message.
  GMimeContentType* ct = g_mime_object_get_content_type(g_mime_message_get_mime_part(msg.get()));
  const char* report_type = ct != nullptr ? g_mime_content_type_get_parameter(ct, "report-type") : nullptr;
  const bool is_report = ct != nullptr && g_mime_content_type_is_type(ct, "multipart", "report");
  const std::string from_local = lower(out.from.substr(0, out.from.find('@')));
  const bool system_sender = from_local == "mailer-daemon" || from_local == "postmaster" || from_local == "mail-daemon";
  const bool dsn = (is_report && report_type != nullptr && iequals(report_type, "delivery-status")) || st.delivery_status;
  if (dsn || system_sender || (null_sender && bounce_subject(out.subject))) {
    out.kind = email_kind::bounce;
    out.auto_reason = dsn ? "delivery status notification" : system_sender ? "from " + out.from : "subject: " + out.subject.substr(0, 80);
    out.bounced_ids = st.ids;
    scan_ids(st.scan, out.bounced_ids);
    // A report whose every action is "delayed", "delivered", "relayed" or "expanded" is
    // news, not a failure.
    out.bounce_failed = st.actions.empty() ||
                        std::any_of(st.actions.begin(), st.actions.end(), [](const std::string& a) { return a == "failed"; });
    return out;
  }
  if (is_report && report_type != nullptr && iequals(report_type, "disposition-notification") && auto_why.empty())
    auto_why = "read receipt";
  if (auto_why.empty()) auto_subject(out.subject, auto_why);
  if (auto_why.empty() && null_sender) auto_why = "Return-Path: <>";
  if (!auto_why.empty()) {
    out.kind = email_kind::auto_reply;
    out.auto_reason = auto_why;
  }
  return out;
}

}  // namespace dondoc::replies
