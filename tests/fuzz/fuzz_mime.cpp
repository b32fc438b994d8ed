// The MIME encoder, read back by GMime's decoder. Input: a control byte, then the
// subject, the sender's and the recipient's display names, the text body and the HTML
// body, separated by 0x1F. Properties: encode_header_text's encoded words are at most
// 75 characters and its lines (when encoded) at most 76; every header decodes back to
// its input (malformed UTF-8 replaced by U+FFFD, controls by spaces, runs of white space
// compared as one); build_mime's message parses, and its subject, names and bodies come
// back the same (bodies: line ends as "\n"; a single-part body may gain a final one).
#include <gmime/gmime.h>

#include <cstddef>
#include <cstdint>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "notifiers/mime.hpp"

using namespace dondoc;

namespace {

// Deliberately not text::utf8_sequence_length: the oracle shares no code with the encoder it checks.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  char32_t cp = 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1Fu; }
  else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0Fu; }
  else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07u; }
  else return 0;
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0u) != 0x80u) return 0;
    cp = (cp << 6) | (cc & 0x3Fu);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

// What the encoder promises to carry: well-formed UTF-8; in headers controls as spaces,
// in bodies CR and CRLF as "\n".
std::string expected(std::string_view s, bool header) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_len(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    const char c = s[i];
    if (n == 1 && header && (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)) {
      out.push_back(' ');
    } else if (n == 1 && !header && c == '\r') {
      if (!(i + 1 < s.size() && s[i + 1] == '\n')) out.push_back('\n');
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

// White space runs as one space, none at the ends (decoders differ on both).
std::string squash(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string unfold(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      ++i;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string strip_cr(std::string s) {
  std::string out;
  for (char c : s)
    if (c != '\r') out.push_back(c);
  return out;
}

std::string gmime_decode(const std::string& text) {
  char* d = g_mime_utils_header_decode_text(nullptr, text.c_str());
  std::string out = d != nullptr ? d : "";
  g_free(d);
  return out;
}

bool encoded_word(std::string_view w) {
  return w.size() >= 8 && w.substr(0, 2) == "=?" && w.substr(w.size() - 2) == "?=";
}

// RFC 2047 (5): each encoded word stands alone and holds whole characters. GMime 3.2
// joins adjacent words of one charset before decoding and stops at the base64 padding of
// the first (found by this target, corpus/mime/crash-0b36b9eda1f2). The encoder avoids
// padding where a cut allows it (a chunk of a multiple of 3 bytes), which is not always
// possible (one ASCII letter before a run of 3-byte letters); so the oracle decodes each
// word on its own with GMime, and drops the white space between two encoded words.
std::string decode_header(const std::string& encoded) {
  const std::string text = unfold(encoded);
  std::string out;
  bool prev_encoded = false;
  std::string pending;  // white space after the previous token
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) out.push_back(text[i++]);
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t') ++j;
    const std::string token = text.substr(i, j - i);
    const bool enc = encoded_word(token);
    if (!(enc && prev_encoded)) out += pending;
    out += enc ? gmime_decode(token) : token;
    prev_encoded = enc;
    std::size_t k = j;
    while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
    pending = text.substr(j, k - j);
    i = k;
  }
  return out + pending;
}

void check_header_encoding(std::string_view text, std::size_t used) {
  const std::string enc = notifiers::encode_header_text(text, used);
  const bool encoded = enc.find("=?UTF-8?B?") != std::string::npos;
  std::size_t start = 0, line_no = 0;
  while (start <= enc.size()) {
    auto end = enc.find("\r\n", start);
    if (end == std::string::npos) end = enc.size();
    const std::size_t len = (line_no == 0 ? used : 0) + (end - start);
    if (encoded) FUZZ_CHECK(len <= 76 || (line_no == 0 && used > 60), "an encoded header line is at most 76");
    ++line_no;
    start = end + 2;
  }
  static const std::regex word(R"(=\?[^?]+\?[bB]\?[^?]*\?=)");
  for (auto it = std::sregex_iterator(enc.begin(), enc.end(), word); it != std::sregex_iterator(); ++it)
    FUZZ_CHECK(it->length(0) <= 75, "an encoded word is at most 75 characters");
  if (text.find('\0') == std::string_view::npos)
    FUZZ_CHECK(squash(decode_header(enc)) == squash(expected(text, true)), "a header decodes to its text");
}

// The value of the first header FIELD of a message, folds included.
std::string raw_header(const std::string& raw, std::string_view field) {
  const std::string head = std::string(field) + ": ";
  std::size_t at = raw.compare(0, head.size(), head) == 0 ? 0 : raw.find("\r\n" + head);
  if (at == std::string::npos) return {};
  if (at != 0) at += 2;
  std::size_t end = at + head.size();
  for (;;) {
    end = raw.find("\r\n", end);
    if (end == std::string::npos || end + 2 >= raw.size() || (raw[end + 2] != ' ' && raw[end + 2] != '\t')) break;
    end += 2;
  }
  return raw.substr(at + head.size(), end == std::string::npos ? std::string::npos : end - at - head.size());
}

std::string body_text(GMimeObject* part) {
  char* t = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
  std::string v = strip_cr(t != nullptr ? t : "");
  g_free(t);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  notifiers::gmime_init_once();  // the header decoder below runs before build_mime would
  const std::size_t used = data[0] % 64;
  std::vector<std::string_view> f;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (std::size_t p = 0;;) {
    const auto q = rest.find('\x1f', p);
    f.push_back(rest.substr(p, q == std::string_view::npos ? std::string_view::npos : q - p));
    if (q == std::string_view::npos) break;
    p = q + 1;
  }
  f.resize(5);
  check_header_encoding(f[0], used);

  notifiers::mime_input in;
  in.from = {std::string(f[1]), "dondoc@snv.example"};
  in.to = {{std::string(f[2]), "binh.tv@stc.example"}};
  in.reply_to = {"", "dondoc-replies+tok@snv.example"};
  in.subject = std::string(f[0]);
  in.text = std::string(f[3]);
  in.html = std::string(f[4]);
  in.message_id = "fuzz@snv.example";
  in.date = std::chrono::sys_seconds{std::chrono::seconds{1560000000}};
  in.extra_headers = {{"X-Dondoc-Key", "abcdefghijklmnopqrstuvwxyz"}};
  const std::string raw = notifiers::build_mime(in);

  GMimeStream* s = g_mime_stream_mem_new_with_buffer(raw.data(), raw.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(s);
  GMimeMessage* m = g_mime_parser_construct_message(parser, nullptr);
  FUZZ_CHECK(m != nullptr, "the message parses");
  FUZZ_CHECK(g_mime_message_get_subject(m) != nullptr || f[0].empty(), "the message has its subject");
  if (f[0].find('\0') == std::string_view::npos)
    FUZZ_CHECK(squash(decode_header(raw_header(raw, "Subject"))) == squash(expected(f[0], true)),
               "the subject comes back");
  auto addr_of = [](InternetAddressList* l) {
    if (l == nullptr || internet_address_list_length(l) < 1) return std::string();
    InternetAddress* a = internet_address_list_get_address(l, 0);
    return INTERNET_ADDRESS_IS_MAILBOX(a) ? std::string(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)))
                                          : std::string();
  };
  FUZZ_CHECK(addr_of(g_mime_message_get_from(m)) == "dondoc@snv.example", "the sender's address comes back");
  FUZZ_CHECK(addr_of(g_mime_message_get_to(m)) == "binh.tv@stc.example", "the recipient's address comes back");
  // Display names: read from the header's own text (a quoted string unquoted, encoded
  // words as decode_header does): GMime 3.2's address parser also drops a comma decoded
  // from an encoded word of a name, which is RFC 2047-correct and read by other readers.
  auto name_in = [&](std::string_view field) {
    std::string v = unfold(raw_header(raw, field));
    const auto lt = v.rfind('<');
    std::string phrase = v.substr(0, lt == std::string::npos ? 0 : lt);
    while (!phrase.empty() && phrase.back() == ' ') phrase.pop_back();
    if (phrase.size() >= 2 && phrase.front() == '"' && phrase.back() == '"') {
      std::string out;
      for (std::size_t i = 1; i + 1 < phrase.size(); ++i) {
        if (phrase[i] == '\\' && i + 2 < phrase.size()) ++i;
        out.push_back(phrase[i]);
      }
      return out;
    }
    return decode_header(phrase);
  };
  if (f[1].find('\0') == std::string_view::npos)
    FUZZ_CHECK(squash(name_in("From")) == squash(expected(f[1], true)), "the sender's name");
  if (f[2].find('\0') == std::string_view::npos)
    FUZZ_CHECK(squash(name_in("To")) == squash(expected(f[2], true)), "the recipient's name");
  const char* key = g_mime_object_get_header(GMIME_OBJECT(m), "X-Dondoc-Key");
  FUZZ_CHECK(key != nullptr && std::string(key) == "abcdefghijklmnopqrstuvwxyz", "the key header comes back");

  GMimeObject* body = g_mime_message_get_mime_part(m);
  std::string text, html;
  if (GMIME_IS_MULTIPART(body)) {
    FUZZ_CHECK(g_mime_multipart_get_count(GMIME_MULTIPART(body)) == 2, "two alternatives");
    text = body_text(g_mime_multipart_get_part(GMIME_MULTIPART(body), 0));
    html = body_text(g_mime_multipart_get_part(GMIME_MULTIPART(body), 1));
  } else {
    FUZZ_CHECK(GMIME_IS_TEXT_PART(body) && in.html.empty(), "one text part when there is no HTML");
    text = body_text(body);
  }
  if (f[3].find('\0') == std::string_view::npos) {
    // A single-part message ends its body with a line break (the message must end with
    // one); in a multipart one the break before the boundary belongs to the boundary.
    std::string want = expected(f[3], false);
    if (!GMIME_IS_MULTIPART(body) && (want.empty() || want.back() != '\n') && text == want + "\n") want = text;
    FUZZ_CHECK(text == want, "the text body comes back");
  }
  if (f[4].find('\0') == std::string_view::npos) FUZZ_CHECK(html == expected(f[4], false), "the HTML body comes back");
  g_object_unref(m);
  g_object_unref(parser);
  g_object_unref(s);
  return 0;
}
