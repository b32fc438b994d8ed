// The MIME builder, checked by reading its output back with GMime's parser: subjects,
// names and bodies must come back byte for byte, and every encoded word must be at
// most 75 characters holding whole UTF-8 characters.
#include "notifiers/mime.hpp"

#include <doctest/doctest.h>
#include <gmime/gmime.h>

#include <regex>
#include <string>

#include "text/text.hpp"

using namespace dondoc::notifiers;

namespace {

// All 134 accented Vietnamese letters: 12 vowels × tones and marks, both cases, and Đ/đ.
const std::string all_letters =
    "àáảãạăằắẳẵặâầấẩẫậÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬèéẻẽẹêềếểễệÈÉẺẼẸÊỀẾỂỄỆìíỉĩịÌÍỈĨỊ"
    "òóỏõọôồốổỗộơờớởỡợÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢùúủũụưừứửữựÙÚỦŨỤƯỪỨỬỮỰỳýỷỹỵỲÝỶỸỴđĐ";

struct parsed {
  std::string subject, from_name, from_addr, to_name, to_addr, reply_to_addr, text, html;
  std::string message_id, in_reply_to, references, auto_submitted, key, content_type;
};

std::string strip_cr(std::string s) {
  std::string out;
  for (char c : s)
    if (c != '\r') out.push_back(c);
  return out;
}

std::string header(GMimeObject* o, const char* name) {
  const char* v = g_mime_object_get_header(o, name);
  return v != nullptr ? v : "";
}

parsed parse(const std::string& raw) {
  gmime_init_once();
  parsed p;
  GMimeStream* s = g_mime_stream_mem_new_with_buffer(raw.data(), raw.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(s);
  GMimeMessage* m = g_mime_parser_construct_message(parser, nullptr);
  REQUIRE(m != nullptr);
  if (const char* subj = g_mime_message_get_subject(m)) p.subject = subj;
  auto first = [](InternetAddressList* l, std::string& name, std::string& addr) {
    if (l == nullptr || internet_address_list_length(l) < 1) return;
    InternetAddress* a = internet_address_list_get_address(l, 0);
    if (const char* n = internet_address_get_name(a)) name = n;
    if (INTERNET_ADDRESS_IS_MAILBOX(a)) addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
  };
  first(g_mime_message_get_from(m), p.from_name, p.from_addr);
  first(g_mime_message_get_to(m), p.to_name, p.to_addr);
  std::string ignored;
  first(g_mime_message_get_reply_to(m), ignored, p.reply_to_addr);
  if (const char* id = g_mime_message_get_message_id(m)) p.message_id = id;
  GMimeObject* obj = GMIME_OBJECT(m);
  p.in_reply_to = header(obj, "In-Reply-To");
  p.references = header(obj, "References");
  p.auto_submitted = header(obj, "Auto-Submitted");
  p.key = header(obj, "X-Dondoc-Key");
  GMimeObject* body = g_mime_message_get_mime_part(m);
  char* ct = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(body));
  p.content_type = ct;
  g_free(ct);
  auto read_text = [&](GMimeObject* part) {
    if (!GMIME_IS_TEXT_PART(part)) return;
    char* t = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
    const std::string v = strip_cr(t != nullptr ? t : "");
    g_free(t);
    if (g_mime_content_type_is_type(g_mime_object_get_content_type(part), "text", "html")) p.html = v;
    else p.text = v;
  };
  if (GMIME_IS_MULTIPART(body)) {
    for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(body)); ++i)
      read_text(g_mime_multipart_get_part(GMIME_MULTIPART(body), i));
  } else {
    read_text(body);
  }
  g_object_unref(m);
  g_object_unref(parser);
  g_object_unref(s);
  return p;
}

std::string headers_of(const std::string& raw) { return raw.substr(0, raw.find("\r\n\r\n")); }

std::string b64decode(const std::string& in) {
  static const std::string tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const auto pos = tbl.find(c);
    if (pos == std::string::npos) continue;
    v = (v << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((v >> bits) & 0xFF));
    }
  }
  return out;
}

// Every encoded word: at most 75 characters, and its payload whole UTF-8 on its own.
void check_encoded_words(const std::string& raw) {
  const std::string head = headers_of(raw);
  static const std::regex word(R"(=\?([^?]+)\?([bBqQ])\?([^?]*)\?=)");
  int n = 0;
  for (auto it = std::sregex_iterator(head.begin(), head.end(), word); it != std::sregex_iterator(); ++it) {
    ++n;
    CHECK(it->length(0) <= 75);
    CHECK((*it)[1].str() == "UTF-8");
    const std::string payload = b64decode((*it)[3].str());
    CHECK(dondoc::text::valid_utf8(payload));
  }
  std::size_t start = 0;
  while (start < head.size()) {
    auto end = head.find("\r\n", start);
    if (end == std::string::npos) end = head.size();
    CHECK(end - start <= 78);
    start = end + 2;
  }
  (void)n;
}

mime_input sample() {
  mime_input in;
  in.from = {"Sở Nội vụ tỉnh Quảng Ngãi", "dondoc@snv.example"};
  in.to = {{"Trần Văn Bình", "binh.tv@stc.example"}};
  in.reply_to = {"Sở Nội vụ tỉnh Quảng Ngãi", "dondoc-replies+tok123@snv.example"};
  in.subject = "[Nhắc hạn] Sở Tài chính — Báo cáo 6 tháng — hạn thứ Sáu, 14/06/2019";
  in.text = "Kính gửi: Trần Văn Bình.\n\nHạn nộp: thứ Sáu, 14/06/2019\n";
  in.html = "<p>Kính gửi: Trần Văn Bình.</p>\n";
  in.message_id = "abcdefghijklmnopqrstuvwxyz@snv.example";
  in.in_reply_to = "t-root@snv.example";
  in.references = {"t-root@snv.example"};
  in.date = std::chrono::sys_seconds{std::chrono::seconds{1560470400}};  // 2019-06-14 00:00 UTC
  in.extra_headers = {{"X-Dondoc-Key", "abcdefghijklmnopqrstuvwxyz"}};
  return in;
}

}  // namespace

TEST_CASE("a reminder message round-trips through GMime's parser exactly") {
  const mime_input in = sample();
  const std::string raw = build_mime(in);
  const parsed p = parse(raw);
  CHECK(p.subject == in.subject);
  CHECK(p.from_name == in.from.name);
  CHECK(p.from_addr == in.from.address);
  CHECK(p.to_name == in.to[0].name);
  CHECK(p.to_addr == in.to[0].address);
  CHECK(p.reply_to_addr == in.reply_to.address);
  CHECK(p.message_id == in.message_id);
  CHECK(p.in_reply_to == "<t-root@snv.example>");
  CHECK(p.references == "<t-root@snv.example>");
  CHECK(p.auto_submitted == "auto-generated");
  CHECK(p.key == "abcdefghijklmnopqrstuvwxyz");
  CHECK(p.content_type == "multipart/alternative");
  CHECK(p.text == in.text);
  CHECK(p.html == in.html);
  CHECK(raw.find("Date: Fri, 14 Jun 2019 07:00:00 +0700") != std::string::npos);
  check_encoded_words(raw);
}

TEST_CASE("every line ends with CRLF and the bodies are declared UTF-8") {
  const std::string raw = build_mime(sample());
  for (std::size_t i = 0; i < raw.size(); ++i)
    if (raw[i] == '\n') REQUIRE((i > 0 && raw[i - 1] == '\r'));
  CHECK(raw.find("charset=utf-8") != std::string::npos);
  CHECK(raw.find("iso-8859-1") == std::string::npos);
}

TEST_CASE("all 134 accented Vietnamese letters survive in the subject, names and body") {
  CHECK(dondoc::text::code_points(all_letters) == 134);
  mime_input in = sample();
  in.subject = all_letters;
  in.from.name = all_letters;
  in.to[0].name = "Lê " + all_letters;
  in.text = all_letters + "\n" + all_letters + all_letters + all_letters + "\n";
  in.html = "<p>" + all_letters + "</p>";
  const std::string raw = build_mime(in);
  const parsed p = parse(raw);
  CHECK(p.subject == in.subject);
  CHECK(p.from_name == in.from.name);
  CHECK(p.to_name == in.to[0].name);
  CHECK(p.text == in.text);
  CHECK(p.html == in.html);
  check_encoded_words(raw);
}

TEST_CASE("long subjects and mixed scripts split only between characters") {
  const char* subjects[] = {
      // long Vietnamese: several encoded words
      "[Quá hạn] 12/34 đơn vị chưa nộp — Báo cáo 6 tháng kết quả thực hiện Kết luận số 43-KL/TW của Ban Bí thư "
      "về tăng cường và đổi mới sự lãnh đạo của Đảng đối với công tác dân vận trong tình hình mới — hạn thứ Sáu, "
      "14/06/2019",
      // a run of one letter: GMime alone makes one 100+ character word of it
      "ờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờờ",
      // mixed scripts: Vietnamese, Chinese, Cyrillic, emoji (4-byte), combining marks
      "Báo cáo 报告 отчёт 📄✅ — Đà Nẵng 北京 Москва 🇻🇳 e\xCC\x81 tiếng Việt",
      // plain ASCII, long: folded, not encoded
      "Reminder: report for unit so-tai-chinh is due on 14/06/2019, please acknowledge with the reply code ABC234",
      // ASCII that looks like an encoded word must be encoded to survive
      "=?UTF-8?B?abc?= is literal text",
      // leading, trailing and double spaces are kept
      "  hai  khoảng trắng  ",
  };
  for (const char* s : subjects) {
    CAPTURE(s);
    mime_input in = sample();
    in.subject = s;
    const std::string raw = build_mime(in);
    const parsed p = parse(raw);
    if (std::string(s).find("  hai") == 0) {
      // RFC 5322 unfolding may not keep leading whitespace; the words themselves must survive
      CHECK(p.subject.find("hai  khoảng trắng") != std::string::npos);
    } else {
      CHECK(p.subject == s);
    }
    check_encoded_words(raw);
  }
}

TEST_CASE("a header value cannot inject another header") {
  mime_input in = sample();
  in.subject = "Nhắc hạn\r\nBcc: victim@evil.test";
  in.to[0].name = "Bình\nX-Injected: yes";
  const std::string raw = build_mime(in);
  const std::string head = headers_of(raw);
  CHECK(head.find("\r\nBcc:") == std::string::npos);
  CHECK(head.find("\r\nX-Injected:") == std::string::npos);
  CHECK(parse(raw).subject == "Nhắc hạn  Bcc: victim@evil.test");
}

TEST_CASE("ASCII display names with specials are quoted") {
  mime_input in = sample();
  in.to[0].name = "Binh, Tran Van (STC)";
  const parsed p = parse(build_mime(in));
  CHECK(p.to_name == "Binh, Tran Van (STC)");
  CHECK(p.to_addr == "binh.tv@stc.example");
}

TEST_CASE("a message without HTML is a single text/plain part") {
  mime_input in = sample();
  in.html.clear();
  const parsed p = parse(build_mime(in));
  CHECK(p.content_type == "text/plain");
  CHECK(p.text == in.text);
}

TEST_CASE("many references fold and all come back") {
  mime_input in = sample();
  in.references.clear();
  for (int i = 0; i < 12; ++i) in.references.push_back("ref" + std::to_string(i) + "abcdefghijklmnop@snv.example");
  const std::string raw = build_mime(in);
  const parsed p = parse(raw);
  for (const auto& r : in.references) CHECK(p.references.find("<" + r + ">") != std::string::npos);
  check_encoded_words(raw);
}

TEST_CASE("the encoder alone: ASCII stays plain, Vietnamese becomes B words") {
  CHECK(encode_header_text("Hello", 9) == "Hello");
  const std::string e = encode_header_text("Xin chào", 9);
  CHECK(e.rfind("=?UTF-8?B?", 0) == 0);
  CHECK(e.find("\r\n") == std::string::npos);
}
