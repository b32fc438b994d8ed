// Fuzz-style robustness of the reply readers: random bytes, random text built from the
// words replies are made of, and the corpus messages with random bytes flipped, cut or
// inserted, fed to parse_reply, unquoted_head, read_email and html_to_text. Fixed seed,
// bounded count: the same inputs on every run. What must hold for every input: no
// crash, no exception, well-formed UTF-8 out, a code (when found) of the code alphabet,
// and the same answer twice.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "replies/email_reply.hpp"
#include "replies/imap_protocol.hpp"
#include "replies/parse.hpp"
#include "text/text.hpp"

using namespace dondoc;

namespace {

constexpr std::uint64_t seed = 20261127;

std::string random_bytes(std::mt19937_64& rng, std::size_t max_len) {
  std::uniform_int_distribution<std::size_t> len(0, max_len);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(len(rng), '\0');
  for (auto& c : s) c = static_cast<char>(byte(rng));
  return s;
}

// Text made of the pieces replies are made of, joined by random separators.
std::string random_reply(std::mt19937_64& rng) {
  static const char* pieces[] = {"DA",  "NHAN", "Đã", "nhận", "nộp", "NOP",   "xong", "OK", "chưa", "K7Q",
                                 "2AB", "K7Q2AB", "SNV", "ĐÃ", "NỘP", "gửi", "\xCC\x81", "\xE1\xBA", "\xFF", "0",
                                 "ma", "\n",  ">",  "-- ", "Vào", "đã viết:", "wrote:", "\t", "  ", ""};
  std::uniform_int_distribution<std::size_t> n(0, 12), pick(0, std::size(pieces) - 1), sep(0, 3);
  std::string s;
  const std::size_t count = n(rng);
  for (std::size_t i = 0; i < count; ++i) {
    s += pieces[pick(rng)];
    s += " ,.\n"[sep(rng)];
  }
  return s;
}

std::vector<std::string> corpus() {
  std::vector<std::string> out;
  const auto dir = std::filesystem::path(DONDOC_SOURCE_DIR) / "tests" / "replies" / "mail";
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  std::sort(out.begin(), out.end());  // directory order varies; the run must not
  return out;
}

std::string mutate(std::mt19937_64& rng, std::string s) {
  std::uniform_int_distribution<int> op(0, 3), byte(0, 255), count(1, 8);
  const int n = count(rng);
  for (int i = 0; i < n && !s.empty(); ++i) {
    std::uniform_int_distribution<std::size_t> at(0, s.size() - 1);
    switch (op(rng)) {
      case 0: s[at(rng)] = static_cast<char>(byte(rng)); break;                       // flip
      case 1: s.erase(at(rng), std::min<std::size_t>(s.size(), 64)); break;           // cut
      case 2: s.insert(at(rng), random_bytes(rng, 32)); break;                          // insert
      case 3: s.resize(at(rng)); break;                                                 // truncate
    }
  }
  return s;
}

void check_parse(const std::string& input) {
  const auto a = replies::parse_reply(input, "SNV");
  const auto b = replies::parse_reply(input, "SNV");
  CHECK(a.what == b.what);
  CHECK(a.code == b.code);
  if (a.code) CHECK(replies::valid_code(*a.code));
  if (a.what == replies::intent::none) CHECK_FALSE(a.code);
  const auto head = replies::unquoted_head(input);
  CHECK(head.size() <= input.size() + 8);
  (void)replies::reply_head(input);
}

void check_email(const std::string& raw) {
  const auto m = replies::read_email(raw);
  CHECK(text::valid_utf8(m.text));
  CHECK(text::valid_utf8(m.subject));
  CHECK(text::valid_utf8(m.head));
  const auto p = replies::read_intent(m);
  if (p.code) CHECK(replies::valid_code(*p.code));
  for (const auto& id : m.in_reply_to) (void)replies::key_of_message_id(id);
  (void)replies::reply_tags(m, "dondoc-replies@snv.example");
  const auto again = replies::read_email(raw);
  CHECK(again.text == m.text);
  CHECK(again.kind == m.kind);
}

}  // namespace

TEST_CASE("random bytes and random replies never break the reply parser") {
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 20000; ++i) {
    check_parse(random_bytes(rng, 300));
    check_parse(random_reply(rng));
  }
}

TEST_CASE("random bytes never break the email reader or the HTML reader") {
  std::mt19937_64 rng(seed + 1);
  for (int i = 0; i < 3000; ++i) {
    const std::string junk = random_bytes(rng, 2000);
    check_email(junk);
    check_email("Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n" + junk);
    if (text::valid_utf8(junk)) CHECK(text::valid_utf8(replies::html_to_text(junk)));  // valid in, valid out
    (void)replies::html_to_text(junk);
    (void)replies::parse_status(junk);
    (void)replies::parse_search(junk);
    (void)replies::parse_imap_url(junk);
  }
}

TEST_CASE("corpus messages with bytes flipped, cut and inserted never break the email reader") {
  std::mt19937_64 rng(seed + 2);
  const auto messages = corpus();
  REQUIRE(messages.size() >= 10);
  for (int i = 0; i < 4000; ++i) check_email(mutate(rng, messages[static_cast<std::size_t>(i) % messages.size()]));
}
