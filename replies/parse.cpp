// Keyword and code reading. Everything is matched on folded keys (text::match_key):
// "ĐÃ NHẬN", "Da nhan", "DANHAN" are one keyword; a code may be typed with spaces.
#include "replies/parse.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "text/text.hpp"

namespace dondoc::replies {
namespace {

struct keyword {
  std::string_view key;
  intent what;
};
// Longest first, so "DANOP" wins over "NOP" and "DANHAN" over "NHAN".
constexpr std::array<keyword, 7> keywords{{
    {"DANHAN", intent::acknowledge},
    {"DANOP", intent::submit},
    {"DAGUI", intent::submit},
    {"NHAN", intent::acknowledge},
    {"XONG", intent::submit},
    {"NOP", intent::submit},
    {"OK", intent::acknowledge},
}};

// A keyword of one short word, also an ordinary word inside a sentence.
bool weak(std::string_view key) { return key == "NHAN" || key == "NOP" || key == "OK" || key == "XONG"; }

bool negation(const std::string& w) {
  return w == "CHUA" || w == "KHONG" || w == "CHANG" || w == "KO" || w == "KHG" || w == "K" || w == "NOT";
}

// The first word as written, after the MO keyword: a one-word keyword leading the text
// must be spelt as that word — "Nhận"/"nhan" is NHAN, "Nhân viên", "Nhấn vào" are not
// (they fold to the same letters). Unaccented text is taken as typed without diacritics.
bool leading_word_is(std::string_view nfc_text, const std::string& mo_key, std::string_view key) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> spelt{{
      {"NHAN", "nhận"}, {"NHAN", "Nhận"}, {"NHAN", "NHẬN"}, {"NOP", "nộp"}, {"NOP", "Nộp"}, {"NOP", "NỘP"},
  }};
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '.' ||
                                      c == ':' || c == ';' || c == '!' || c == '-'; };
  std::size_t pos = 0;
  std::string_view word;
  for (int n = 0; n < 2; ++n) {
    while (pos < nfc_text.size() && is_space(nfc_text[pos])) ++pos;
    const std::size_t start = pos;
    while (pos < nfc_text.size() && !is_space(nfc_text[pos])) ++pos;
    word = nfc_text.substr(start, pos - start);
    if (n == 0 && !mo_key.empty() && text::match_key(word) == mo_key) continue;
    break;
  }
  const bool ascii = std::all_of(word.begin(), word.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return true;
  return std::any_of(spelt.begin(), spelt.end(), [&](const auto& sp) { return sp.first == key && sp.second == word; });
}

std::vector<std::string> words_of(std::string_view folded) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : folded) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) cur.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    else if (!cur.empty()) out.push_back(std::move(cur)), cur.clear();
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

std::string_view to_string(intent i) {
  switch (i) {
    case intent::none: return "none";
    case intent::acknowledge: return "ack";
    case intent::submit: return "submit";
  }
  return "none";
}

bool valid_code(std::string_view code) {
  return code.size() == 6 &&
         std::all_of(code.begin(), code.end(), [](char c) { return code_alphabet.find(c) != std::string_view::npos; });
}

parsed_reply parse_reply(std::string_view text, std::string_view mo_keyword) {
  parsed_reply out;
  if (text.size() > 2000) {
    // An SMS or a first line, not a novel: cut at a character's start (a cut inside one
    // would make the whole text invalid UTF-8, folded to nothing).
    std::size_t cut = 2000;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
  }
  const std::string written = text::nfc(text);
  auto words = words_of(text::fold_ascii(written));
  const std::string kw = text::match_key(mo_keyword);
  if (!kw.empty() && !words.empty() && words.front() == kw) words.erase(words.begin());
  if (words.empty()) return out;
  // The keyword: the longest one made of the first one or two words (DA NHAN / DANHAN).
  std::size_t used = 0;
  for (std::size_t n = std::min<std::size_t>(2, words.size()); n >= 1 && out.what == intent::none; --n) {
    std::string joined;
    for (std::size_t i = 0; i < n; ++i) joined += words[i];
    for (const auto& k : keywords)
      if (joined == k.key) {
        if (n == 1 && !leading_word_is(written, kw, k.key)) break;
        out.what = k.what;
        used = n;
        break;
      }
  }
  // Also accept the code first ("K7Q2AB DA NHAN", "K7Q 2AB nop") and a two-word keyword
  // inside a sentence ("Sở Y tế đã nộp báo cáo"). A one-word keyword inside a sentence is
  // not an answer: "hạn nộp", "sẽ nộp", "xác nhận", "cho hỏi … nộp?" are common in the
  // free text of an email.
  std::vector<std::string> rest(words.begin() + static_cast<std::ptrdiff_t>(used), words.end());
  // Inside a sentence, a submission (terminal: it cancels every later step) is not read
  // when a negation is anywhere in it: "chưa nhận được file Sở đã gửi", "đơn vị chưa nộp,
  // đã gửi công văn xin gia hạn", "không phải đã nộp". An acknowledgement only needs its
  // own keyword not negated ("chưa nộp, nhưng đã nhận").
  const bool negated = std::any_of(words.begin(), words.end(), negation);
  if (out.what == intent::none && words.size() >= 2) {
    for (std::size_t start = 1; start < words.size() && out.what == intent::none; ++start) {
      // "Chưa nhận được", "không nộp": a negated keyword is not an answer.
      if (negation(words[start - 1])) continue;
      for (std::size_t n = std::min<std::size_t>(2, words.size() - start); n >= 1; --n) {
        std::string joined;
        for (std::size_t i = 0; i < n; ++i) joined += words[start + i];
        auto k = std::find_if(keywords.begin(), keywords.end(), [&](const keyword& x) { return x.key == joined; });
        if (k != keywords.end() && n == 1 && weak(k->key)) {
          std::string before;
          for (std::size_t i = 0; i < start; ++i) before += words[i];
          if (!valid_code(before)) continue;  // only after the code
        }
        if (k != keywords.end() && k->what == intent::submit && negated) continue;
        if (k != keywords.end()) {
          out.what = k->what;
          rest.assign(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(start));
          rest.insert(rest.end(), words.begin() + static_cast<std::ptrdiff_t>(start + n), words.end());
          break;
        }
      }
    }
  }
  if (out.what == intent::none) return out;
  // A second keyword is not part of the code: "OK, đã nhận" must not read as code DANHAN.
  for (std::size_t i = 0; i < rest.size();) {
    const bool pair = i + 1 < rest.size() && std::any_of(keywords.begin(), keywords.end(), [&](const keyword& k) {
                        return k.key == rest[i] + rest[i + 1];
                      });
    const bool one =
        std::any_of(keywords.begin(), keywords.end(), [&](const keyword& k) { return k.key == rest[i]; });
    if (pair) rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i), rest.begin() + static_cast<std::ptrdiff_t>(i + 2));
    else if (one) rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
    else ++i;
  }
  // The code: one word of 6, or two or three words that together make 6 with a digit
  // among them ("K7Q 2AB"); ordinary words that happen to join into 6 letters ("văn bản"
  // -> VANBAN) are not a code.
  for (const auto& w : rest)
    if (valid_code(w)) {
      out.code = w;
      return out;
    }
  std::string joined;
  for (const auto& w : rest) joined += w;
  const bool digit = std::any_of(joined.begin(), joined.end(), [](char c) { return c >= '2' && c <= '9'; });
  if (rest.size() >= 2 && rest.size() <= 3 && digit && valid_code(joined)) out.code = joined;
  return out;
}

std::string unquoted_head(std::string_view body, std::size_t max_lines) {
  std::string out;
  std::size_t taken = 0;
  std::size_t pos = 0;
  while (pos <= body.size() && taken < max_lines) {
    const auto nl = body.find('\n', pos);
    std::string_view line = body.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? body.size() + 1 : nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    std::size_t lead = 0;
    while (lead < line.size() && (line[lead] == ' ' || line[lead] == '\t')) ++lead;
    line.remove_prefix(lead);
    if (line.empty()) continue;
    if (line.front() == '>') break;  // quoted text starts: what follows is theirs, not the reply
    const std::string key = text::match_key(line);
    if (line.rfind("-----", 0) == 0 || line == "--" || line.rfind("-- ", 0) == 0) break;
    if (key.rfind("VAO", 0) == 0 && key.size() > 3 && key.find("DAVIET") != std::string::npos) break;
    if (key.rfind("ON", 0) == 0 && key.size() > 5 && key.substr(key.size() - 5) == "WROTE") break;
    if (key.rfind("FROM", 0) == 0 || key.rfind("TU", 0) == 0) {
      if (line.find(':') != std::string_view::npos && line.find('@') != std::string_view::npos) break;
    }
    if (!out.empty()) out += '\n';
    out += line;
    ++taken;
  }
  return out;
}

std::string help_text(std::string_view reply_number, std::string_view mo_keyword) {
  std::string kw = mo_keyword.empty() ? std::string() : std::string(mo_keyword) + " ";
  std::string to = reply_number.empty() ? std::string() : " gui " + std::string(reply_number);
  return text::fold_ascii("Khong hieu tin nhan. Soan " + kw + "DA NHAN <ma> de xac nhan hoac " + kw +
                          "DA NOP <ma> khi da nop bao cao" + to + ". Ma 6 ky tu co trong tin nhac.");
}

}  // namespace dondoc::replies
