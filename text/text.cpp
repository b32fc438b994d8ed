// ICU-backed implementations. ICU objects are expensive to create and not thread-safe
// to share mutably, so each thread builds its own once.
#include "text/text.hpp"

#include <unicode/coll.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/bytestream.h>
#include <unicode/unistr.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace dondoc::text {
namespace {

const icu::Normalizer2& nfc_normalizer() {
  UErrorCode ec = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(ec);
  if (U_FAILURE(ec) || n == nullptr) throw std::runtime_error("ICU NFC normalizer unavailable");
  return *n;
}

icu::Transliterator& latin_ascii() {
  thread_local std::unique_ptr<icu::Transliterator> t = [] {
    UErrorCode ec = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> p(
        icu::Transliterator::createInstance("Latin-ASCII", UTRANS_FORWARD, ec));
    if (U_FAILURE(ec) || !p) throw std::runtime_error("ICU Latin-ASCII transliterator unavailable");
    return p;
  }();
  return *t;
}

icu::Collator& vi_collator() {
  thread_local std::unique_ptr<icu::Collator> c = [] {
    UErrorCode ec = U_ZERO_ERROR;
    std::unique_ptr<icu::Collator> p(icu::Collator::createInstance(icu::Locale("vi"), ec));
    if (U_FAILURE(ec) || !p) throw std::runtime_error("ICU vi collator unavailable");
    return p;
  }();
  return *c;
}

bool all_ascii(std::string_view s) {
  for (unsigned char ch : s)
    if (ch >= 0x80) return false;
  return true;
}

icu::UnicodeString from_utf8(std::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

std::string to_utf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  std::size_t len = 0;
  char32_t cp = 0;
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

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence_length(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char ch : s)
    if ((ch & 0xC0u) != 0x80u) ++n;
  return n;
}

std::string nfc(std::string_view s) {
  if (all_ascii(s) || !valid_utf8(s)) return std::string(s);
  const auto& norm = nfc_normalizer();
  const icu::StringPiece piece(s.data(), static_cast<int32_t>(s.size()));
  UErrorCode ec = U_ZERO_ERROR;
  if (norm.isNormalizedUTF8(piece, ec) && U_SUCCESS(ec)) return std::string(s);
  ec = U_ZERO_ERROR;
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  norm.normalizeUTF8(0, piece, sink, nullptr, ec);
  if (U_FAILURE(ec)) return std::string(s);
  return out;
}

namespace {

// ICU's transliterator costs hundreds of thousands of instructions per call; a roster of
// 50,000 units folds every name. Vietnamese needs only precomposed Latin letters, whose
// folding does not depend on context, so each is folded once through ICU into a table;
// strings with anything else (combining marks, other scripts) take the full ICU path.
constexpr char32_t table_lo = 0x00A0, table_hi = 0x024F;   // Latin-1 Supplement .. Latin Extended-B
constexpr char32_t extra_lo = 0x1E00, extra_hi = 0x1EFF;   // Latin Extended Additional (Vietnamese)

std::string fold_with_icu(std::string_view s);

struct fold_table {
  std::vector<std::string> basic, extra;
  fold_table() : basic(table_hi - table_lo + 1), extra(extra_hi - extra_lo + 1) {
    auto utf8 = [](char32_t cp) {
      std::string out;
      if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      } else {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      }
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      return out;
    };
    for (char32_t cp = table_lo; cp <= table_hi; ++cp) basic[cp - table_lo] = fold_with_icu(utf8(cp));
    for (char32_t cp = extra_lo; cp <= extra_hi; ++cp) extra[cp - extra_lo] = fold_with_icu(utf8(cp));
  }
};

const fold_table& table() {
  static const fold_table t;
  return t;
}

}  // namespace

std::string fold_ascii(std::string_view s) {
  if (!all_ascii(s) && valid_utf8(s)) {
    const auto& t = table();
    std::string out;
    out.reserve(s.size());
    bool fast = true;
    for (std::size_t i = 0; i < s.size() && fast;) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x80) {
        if (c == '\t' || c == '\n' || c == '\r') out.push_back(' ');
        else if (c >= 0x20 && c < 0x7F) out.push_back(static_cast<char>(c));
        ++i;
        continue;
      }
      char32_t cp = 0;
      std::size_t len = 0;
      if (c < 0xE0) {
        cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
        len = 2;
      } else if (c < 0xF0) {
        cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
             (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
        len = 3;
      } else {
        fast = false;
        break;
      }
      if (cp >= table_lo && cp <= table_hi) out += t.basic[cp - table_lo];
      else if (cp >= extra_lo && cp <= extra_hi) out += t.extra[cp - extra_lo];
      else fast = false;
      i += len;
    }
    if (fast) return out;
  }
  return fold_with_icu(s);
}

namespace {

std::string fold_with_icu(std::string_view s) {
  std::string folded;
  if (all_ascii(s)) {
    folded.assign(s);
  } else {
    icu::UnicodeString u = from_utf8(valid_utf8(s) ? s : std::string_view{});
    UErrorCode ec = U_ZERO_ERROR;
    u = nfc_normalizer().normalize(u, ec);
    latin_ascii().transliterate(u);
    folded = to_utf8(u);
  }
  std::string out;
  out.reserve(folded.size());
  for (unsigned char ch : folded) {
    if (ch == '\t' || ch == '\n' || ch == '\r') out.push_back(' ');
    else if (ch >= 0x20 && ch < 0x7F) out.push_back(static_cast<char>(ch));
    // anything else (controls, leftovers the transliterator could not map) is dropped
  }
  return out;
}

}  // namespace

std::string match_key(std::string_view s) {
  std::string out;
  for (char ch : fold_ascii(s)) {
    if (ch >= 'a' && ch <= 'z') out.push_back(static_cast<char>(ch - 'a' + 'A'));
    else if ((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) out.push_back(ch);
  }
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

int compare_vi(std::string_view a, std::string_view b) {
  UErrorCode ec = U_ZERO_ERROR;
  const UCollationResult r = vi_collator().compareUTF8(
      icu::StringPiece(a.data(), static_cast<int32_t>(a.size())),
      icu::StringPiece(b.data(), static_cast<int32_t>(b.size())), ec);
  if (U_FAILURE(ec)) return a.compare(b);
  return r == UCOL_LESS ? -1 : (r == UCOL_GREATER ? 1 : 0);
}

std::string sort_key_vi(std::string_view s) {
  const icu::UnicodeString u = from_utf8(s);
  auto& coll = vi_collator();
  std::string key(64, '\0');
  for (;;) {
    const int32_t need = coll.getSortKey(u, reinterpret_cast<uint8_t*>(key.data()),
                                         static_cast<int32_t>(key.size()));
    if (need <= static_cast<int32_t>(key.size())) {
      key.resize(need > 0 ? static_cast<std::size_t>(need - 1) : 0);  // drop trailing NUL
      return key;
    }
    key.resize(static_cast<std::size_t>(need));
  }
}

bool gsm_safe(std::string_view s) {
  for (unsigned char ch : s) {
    if (ch == '\n' || ch == '\r') continue;
    if (ch < 0x20 || ch >= 0x7F) return false;
    // In GSM 03.38 these need the escape table (count double) or do not exist.
    if (ch == '[' || ch == ']' || ch == '{' || ch == '}' || ch == '\\' || ch == '^' ||
        ch == '~' || ch == '|' || ch == '`')
      return false;
  }
  return true;
}

}  // namespace dondoc::text
