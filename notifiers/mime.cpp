// MIME messages for the email channel. GMime builds the structure (multipart/alternative,
// transfer encodings, boundaries, CRLF output); the text-bearing headers are encoded
// here and handed to GMime as raw values. Why not let GMime encode them: GMime 3.2.13
// writes one encoded word per run of non-ASCII words, so a long Vietnamese run gives
// words of 100+ characters, past RFC 2047's 75 (checked in tests/notifiers/mime_test.cpp).
// Our encoder uses "B" words in UTF-8 only, cut between code points, each word fitted
// to its line so that no header line exceeds 76 characters, and (whenever a character
// boundary allows) holding a multiple of 3 bytes so that only the last word is padded.
#include "notifiers/mime.hpp"

#include <gmime/gmime.h>

#include <array>
#include <memory>
#include <mutex>

#include "text/text.hpp"

namespace dondoc::notifiers {
namespace {

struct gobject_unref {
  void operator()(gpointer p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
template <typename T>
using gptr = std::unique_ptr<T, gobject_unref>;

constexpr std::size_t max_encoded_word = 75;
constexpr std::size_t max_line = 76;

using text::utf8_sequence_length;

// Well-formed UTF-8: malformed bytes become U+FFFD. `header` also turns controls
// (CR, LF, TAB…) into spaces, so no value can inject a header line.
std::string sanitize(std::string_view s, bool header) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (n == 1) {
      const char c = s[i];
      if (header && (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)) out.push_back(' ');
      else if (!header && c == '\r') {
        // bodies: CRLF and lone CR become "\n"
        if (i + 1 < s.size() && s[i + 1] == '\n') {
          ++i;
          continue;
        }
        out.push_back('\n');
      } else out.push_back(c);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

// "<" + s + ">", built by appending: GCC 12 at -O3 reports a false -Wrestrict for the
// operator+ chain.
std::string angle(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('<');
  out.append(s);
  out.push_back('>');
  return out;
}

bool plain_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c >= 0x7F) return false;
  return s.find("=?") == std::string_view::npos;
}

std::string base64(std::string_view in) {
  static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto v = (static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16) |
                   (static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8) |
                   static_cast<unsigned>(static_cast<unsigned char>(in[i + 2]));
    out.push_back(tbl[(v >> 18) & 63]);
    out.push_back(tbl[(v >> 12) & 63]);
    out.push_back(tbl[(v >> 6) & 63]);
    out.push_back(tbl[v & 63]);
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8;
    out.push_back(tbl[(v >> 18) & 63]);
    out.push_back(tbl[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? tbl[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Plain ASCII folded at spaces so that lines stay within 76 characters when possible.
std::string fold_plain(std::string_view s, std::size_t used) {
  std::string out;
  std::size_t line = used;
  std::size_t i = 0;
  bool first = true;
  while (i < s.size()) {
    // a word with its leading spaces
    std::size_t j = i;
    while (j < s.size() && s[j] == ' ') ++j;
    while (j < s.size() && s[j] != ' ') ++j;
    std::string_view word = s.substr(i, j - i);
    if (!first && line + word.size() > max_line && word.front() == ' ') {
      out += "\r\n";
      line = 0;
    }
    out += word;
    line += word.size();
    first = false;
    i = j;
  }
  return out;
}

}  // namespace

void gmime_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

std::string encode_header_text(std::string_view raw, std::size_t first_line_used) {
  const std::string s = sanitize(raw, true);
  if (plain_ascii(s)) return fold_plain(s, first_line_used);
  static constexpr std::string_view prefix = "=?UTF-8?B?";
  static constexpr std::string_view suffix = "?=";
  std::string out;
  std::size_t used = first_line_used;
  std::size_t i = 0;
  while (i < s.size()) {
    // Fit the word to the line: at most 75 characters, and the line at most 76.
    std::size_t room = std::min(max_encoded_word, max_line > used + 1 ? max_line - used : 0);
    if (room < prefix.size() + suffix.size() + 4 && used > 1) {
      out += "\r\n ";
      used = 1;
      room = std::min(max_encoded_word, max_line - used);
    }
    const std::size_t max_bytes = (room - prefix.size() - suffix.size()) / 4 * 3;
    // Cut at a character boundary; prefer a chunk of a multiple of 3 bytes, whose
    // base64 has no "=" padding: GMime's decoder joins adjacent words of one charset
    // before decoding and stops at padding inside the joined text.
    std::size_t j = i;
    std::size_t j3 = i;
    while (j < s.size()) {
      const std::size_t n = utf8_sequence_length(s, j);  // sanitized: never 0
      if (j + n - i > max_bytes) break;
      j += n;
      if ((j - i) % 3 == 0) j3 = j;
    }
    if (j < s.size() && j3 > i) j = j3;
    if (j == i) j += utf8_sequence_length(s, i);  // cannot happen with max_bytes >= 3; stay safe
    std::string word;
    word += prefix;
    word += base64(s.substr(i, j - i));
    word += suffix;
    out += word;
    used += word.size();
    i = j;
    if (i < s.size()) {
      out += "\r\n ";
      used = 1;
    }
  }
  return out;
}

std::string encode_mailbox(const mailbox& m, std::size_t first_line_used) {
  const std::string addr = angle(sanitize(m.address, true));
  const std::string name = sanitize(m.name, true);
  if (name.empty()) return addr;
  std::string phrase;
  if (plain_ascii(name)) {
    static constexpr std::string_view specials = "()<>[]:;@\\,.\"";
    if (name.find_first_of(specials) == std::string::npos) {
      phrase = name;
    } else {
      phrase = "\"";
      for (char c : name) {
        if (c == '"' || c == '\\') phrase.push_back('\\');
        phrase.push_back(c);
      }
      phrase.push_back('"');
    }
    phrase = fold_plain(phrase, first_line_used);
  } else {
    phrase = encode_header_text(name, first_line_used);
  }
  const auto last_nl = phrase.rfind("\r\n");
  const std::size_t last_len = last_nl == std::string::npos ? first_line_used + phrase.size() : phrase.size() - last_nl - 2;
  if (last_len + 1 + addr.size() > max_line) return phrase + "\r\n " + addr;
  return phrase + " " + addr;
}

std::string build_mime(const mime_input& in) {
  gmime_init_once();
  gptr<GMimeMessage> msg(g_mime_message_new(TRUE));
  GMimeObject* obj = GMIME_OBJECT(msg.get());
  GMimeHeaderList* headers = g_mime_object_get_header_list(obj);

  // Sets a header whose value we have already encoded and folded ("\r\n " folds).
  auto set_raw = [&](const char* name, const std::string& value) {
    g_mime_object_set_header(obj, name, "x", nullptr);
    GMimeHeader* h = g_mime_header_list_get_header(headers, name);
    std::string raw = " ";
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') continue;
      raw.push_back(value[i]);
    }
    raw.push_back('\n');
    g_mime_header_set_raw_value(h, raw.c_str());
  };

  set_raw("From", encode_mailbox(in.from, 6));
  {
    std::string to;
    std::size_t used = 4;
    for (std::size_t k = 0; k < in.to.size(); ++k) {
      if (k > 0) {
        to += ",\r\n ";
        used = 1;
      }
      to += encode_mailbox(in.to[k], used);
    }
    set_raw("To", to);
  }
  if (!in.reply_to.address.empty()) set_raw("Reply-To", encode_mailbox(in.reply_to, 10));
  set_raw("Subject", encode_header_text(in.subject, 9));

  {
    GTimeZone* tz = g_time_zone_new_offset(static_cast<gint32>(in.utc_offset.count() * 60));
    GDateTime* utc = g_date_time_new_from_unix_utc(static_cast<gint64>(in.date.time_since_epoch().count()));
    GDateTime* local = g_date_time_to_timezone(utc, tz);
    g_mime_message_set_date(msg.get(), local);
    g_date_time_unref(local);
    g_date_time_unref(utc);
    g_time_zone_unref(tz);
  }
  if (!in.message_id.empty()) g_mime_message_set_message_id(msg.get(), sanitize(in.message_id, true).c_str());
  if (!in.in_reply_to.empty()) set_raw("In-Reply-To", angle(sanitize(in.in_reply_to, true)));
  if (!in.references.empty()) {
    std::string refs;
    std::size_t used = 12;
    for (std::size_t k = 0; k < in.references.size(); ++k) {
      const std::string id = angle(sanitize(in.references[k], true));
      if (k > 0) {
        if (used + 1 + id.size() > max_line) {
          refs += "\r\n ";
          used = 1;
        } else {
          refs += " ";
          ++used;
        }
      }
      refs += id;
      used += id.size();
    }
    set_raw("References", refs);
  }
  if (in.auto_submitted) g_mime_object_set_header(obj, "Auto-Submitted", "auto-generated", nullptr);
  for (const auto& [name, value] : in.extra_headers) set_raw(name.c_str(), encode_header_text(value, name.size() + 2));

  // Bodies: UTF-8 always (GMime would pick ISO-8859-1 where it can). Mostly-ASCII text
  // goes quoted-printable (readable in a raw view); Vietnamese prose goes base64, which
  // is about half the size of QP for it. Base64 content is put in canonical CRLF form.
  auto make_part = [](const char* subtype, const std::string& body_in) -> GMimeObject* {
    const std::string body = sanitize(body_in, false);
    std::size_t high = 0;
    for (unsigned char c : body)
      if (c >= 0x80) ++high;
    const bool qp = high * 8 <= body.size();  // at most 1 byte in 8 is non-ASCII
    std::string content;
    if (qp) {
      content = body;
    } else {
      content.reserve(body.size() + body.size() / 40);
      for (char c : body) {
        if (c == '\n') content += "\r\n";
        else content.push_back(c);
      }
    }
    GMimeTextPart* tp = g_mime_text_part_new_with_subtype(subtype);
    gptr<GMimeStream> mem(g_mime_stream_mem_new_with_buffer(content.data(), content.size()));
    gptr<GMimeDataWrapper> dw(g_mime_data_wrapper_new_with_stream(mem.get(), GMIME_CONTENT_ENCODING_DEFAULT));
    g_mime_part_set_content(GMIME_PART(tp), dw.get());
    g_mime_text_part_set_charset(tp, "utf-8");
    g_mime_part_set_content_encoding(GMIME_PART(tp),
                                     qp ? GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE : GMIME_CONTENT_ENCODING_BASE64);
    return GMIME_OBJECT(tp);
  };
  if (in.html.empty()) {
    gptr<GMimeObject> part(make_part("plain", in.text));
    g_mime_message_set_mime_part(msg.get(), part.get());
  } else {
    gptr<GMimeMultipart> alt(g_mime_multipart_new_with_subtype("alternative"));
    gptr<GMimeObject> plain(make_part("plain", in.text));
    gptr<GMimeObject> html(make_part("html", in.html));
    g_mime_multipart_add(alt.get(), plain.get());
    g_mime_multipart_add(alt.get(), html.get());
    g_mime_message_set_mime_part(msg.get(), GMIME_OBJECT(alt.get()));
  }

  GMimeFormatOptions* fo = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
  char* s = g_mime_object_to_string(obj, fo);
  g_mime_format_options_free(fo);
  std::string out = s != nullptr ? s : "";
  g_free(s);
  return out;
}

}  // namespace dondoc::notifiers
