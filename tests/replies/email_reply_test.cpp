// The email reader over a corpus of real-looking replies (tests/replies/mail/): what
// each client writes, in the charsets and encodings it uses, and what a person reading
// it would take from it. The corpus uses placeholders shaped like the real values:
// "ttt…" (26) for a Reply-To token, "kkk…" (26) for one of our keys, "CCCCCC" and
// "DDDDDD" for reply codes; email_route_test.cpp substitutes real ones.
#include "replies/email_reply.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/support/fixtures.hpp"
#include "text/text.hpp"

using namespace dondoc;
using replies::email_kind;
using replies::intent;
using test_support::mail_corpus;

namespace {

const std::string token(26, 't');
const std::string key(26, 'k');

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

struct reading {
  const char* file;
  const char* why;
  email_kind kind;
  const char* from;
  intent what;          // read_intent
  const char* code;     // "" for none
  const char* head_has;  // a piece of the first lines ("" for none)
  const char* head_lacks;  // a piece of the quoted history that must not be in them
  bool tagged;          // the +token tag is among the recipients
  bool threaded;        // our key is in In-Reply-To/References
};

const reading readings[] = {
    {"outlook-html-only.eml", "Outlook HTML only: tags stripped, cut at the <hr> before the From/Sent block",
     email_kind::reply, "binh.tv@stc.example", intent::acknowledge, "", "Đã nhận ạ. Đơn vị sẽ gửi", "nộp", true, true},
    {"gmail-alternative-quoted.eml", "Gmail: the plain part, cut at the attribution wrapped over two lines",
     email_kind::reply, "an.nv@syt.example", intent::submit, "", "Sở Y tế đã nộp báo cáo", "đã viết", false, true},
    {"thunderbird-on-wrote.eml", "Thunderbird: \"On … wrote:\" and \"> DA NOP\" are history", email_kind::reply,
     "binh.tv@stc.example", intent::acknowledge, "", "OK, đã nhận.", "DA NOP", true, true},
    {"windows-1258-qp.eml", "Windows-1258 and quoted-printable, NFC after conversion", email_kind::reply,
     "cuc.lt@stc.example", intent::acknowledge, "", "Đã nhận được công văn nhắc hạn", "Original Message", false, true},
    {"base64-utf8.eml", "base64 UTF-8; the keyword and code lead the subject; upper-case address lowered",
     email_kind::reply, "binh.tv@stc.example", intent::submit, "CCCCCC", "Sở Tài chính đã nộp báo cáo", "", false,
     false},
    {"decomposed-vietnamese.eml", "decomposed (NFD) text from Apple Mail reads as composed", email_kind::reply,
     "an.nv@syt.example", intent::acknowledge, "", "Đã nhận.", "", false, false},
    {"auto-reply-outlook.eml", "Auto-Submitted: auto-replied, although its text says \"Đã nhận\"",
     email_kind::auto_reply, "binh.tv@stc.example", intent::acknowledge, "", "", "", true, true},
    {"vang-mat.eml", "\"Vắng mặt:\" subject without any header", email_kind::auto_reply, "an.nv@syt.example",
     intent::acknowledge, "", "OK.", "", true, true},
    {"out-of-office-xautoreply.eml", "X-Autoreply and Precedence: bulk", email_kind::auto_reply,
     "cuc.lt@stc.example", intent::none, "", "", "", true, true},
    {"dsn-bounce.eml", "a Postfix DSN (Action: failed) naming our key", email_kind::bounce,
     "mailer-daemon@mail.snv.example", intent::none, "", "", "", false, false},
    {"dsn-delayed.eml", "a delay notice is a bounce report but not a failure", email_kind::bounce,
     "mailer-daemon@mail.snv.example", intent::none, "", "", "", false, false},
    {"non-roster-valid-token.eml", "a colleague's personal address answering the tagged Reply-To",
     email_kind::reply, "vanthu.stc@gmail.example", intent::acknowledge, "", "đã nhận", "Kính gửi", true, false},
    {"forged-token.eml", "a made-up tag: read as written (the router refuses it)", email_kind::reply,
     "someone@evil.example", intent::submit, "", "DA NOP", "", false, false},
    {"negated.eml", "\"chưa nhận được\" is not an acknowledgement", email_kind::reply, "binh.tv@stc.example",
     intent::none, "", "chưa nhận được", "", true, true},
    {"coordinator-code-in-thread.eml", "the coordinator names another unit's code", email_kind::reply,
     "lan.nt@snv.example", intent::submit, "DDDDDD", "Đã nộp DDDDDD", "", true, true},
};

}  // namespace

TEST_CASE("each message of the corpus reads as a person would read it") {
  for (const auto& r : readings) {
    const std::string file = r.file, why = r.why;
    CAPTURE(file);
    CAPTURE(why);
    const auto raw = mail_corpus(r.file);
    const auto m = replies::read_email(raw);
    REQUIRE(m.parsed);
    CHECK(replies::to_string(m.kind) == replies::to_string(r.kind));
    CHECK(m.from == r.from);
    CHECK(text::valid_utf8(m.text));
    CHECK(text::nfc(m.text) == m.text);
    CHECK(text::nfc(m.subject) == m.subject);
    if (*r.head_has != '\0') CHECK_MESSAGE(m.head.find(r.head_has) != std::string::npos, "head: " << m.head);
    if (*r.head_lacks != '\0') CHECK_MESSAGE(m.head.find(r.head_lacks) == std::string::npos, "head: " << m.head);
    const auto tags = replies::reply_tags(m, "dondoc-replies@snv.example");
    CHECK(has(tags, token) == r.tagged);
    std::vector<std::string> keys;
    for (const auto& id : m.in_reply_to) keys.push_back(replies::key_of_message_id(id));
    for (const auto& id : m.references) keys.push_back(replies::key_of_message_id(id));
    CHECK(has(keys, key) == r.threaded);
    if (m.kind == email_kind::reply || r.what != intent::none) {
      const auto p = replies::read_intent(m);
      CHECK(replies::to_string(p.what) == replies::to_string(r.what));
      CHECK(p.code.value_or("") == std::string(r.code));
    }
  }
}

TEST_CASE("a bounce names the undelivered message, and only a failure is a failure") {
  const auto failed = replies::read_email(mail_corpus("dsn-bounce.eml"));
  CHECK(failed.kind == email_kind::bounce);
  CHECK(failed.bounce_failed);
  CHECK(has(failed.bounced_ids, key + "@snv.example"));
  CHECK(has(failed.bounced_ids, key));
  const auto delayed = replies::read_email(mail_corpus("dsn-delayed.eml"));
  CHECK(delayed.kind == email_kind::bounce);
  CHECK_FALSE(delayed.bounce_failed);
  CHECK(has(delayed.bounced_ids, key + "@snv.example"));
}

TEST_CASE("subjects and senders are decoded from their charsets") {
  const auto w = replies::read_email(mail_corpus("windows-1258-qp.eml"));
  CHECK(w.subject == "Trả lời: [Nhắc hạn] Sở Tài chính");
  const auto d = replies::read_email(mail_corpus("decomposed-vietnamese.eml"));
  CHECK(d.subject == "Trả lời");
  CHECK(d.from_name == "Nguyễn Văn An");
  const auto o = replies::read_email(mail_corpus("outlook-html-only.eml"));
  CHECK(o.subject.rfind("RE: [Nhắc hạn] Sở Tài chính", 0) == 0);
  CHECK(o.message_id == "SEZPR06MB6958A1B2C3D4E5F6A7B8C9D0E1F2A3B4@SEZPR06MB6958.apcprd06.prod.outlook.example");
}

TEST_CASE("HTML becomes text a person would read") {
  struct c {
    const char* html;
    const char* text;
    const char* why;
  };
  const c cases[] = {
      {"<p>Đã&nbsp;nhận</p><p>Bình</p>", "Đã nhận\nBình", "paragraphs are lines; &nbsp; a space"},
      {"<div>a<br>b</div>", "a\nb", "<br> breaks a line"},
      {"<style>p{color:red}</style><p>x</p>", "x", "styles are not text"},
      {"<head><title>T</title></head><body>ok</body>", "ok", "the head is not text"},
      {"<p>trả lời</p><blockquote><p>trích</p></blockquote>", "trả lời\n> trích", "quotes get \"> \""},
      {"x<hr>From: a", "x\n-----\nFrom: a", "a rule is a separator"},
      {"&#272;&#xE3; n&#7897;p", "Đã nộp", "numeric entities"},
      {"a &amp; b &lt;c&gt; &bogus; &", "a & b <c> &bogus; &", "unknown entities stay"},
      {"<!-- <p>hidden</p> -->shown", "shown", "comments are not text"},
      {"<p>unterminated <b", "unterminated", "a broken tag ends the text"},
      {"a\n   b\t\tc", "a b c", "source whitespace collapses"},
  };
  for (const auto& x : cases) {
    const std::string why = x.why;
    CAPTURE(why);
    CHECK(replies::html_to_text(x.html) == x.text);
  }
}

TEST_CASE("the head of a reply stops where the history starts") {
  struct c {
    const char* body;
    const char* head;
    const char* why;
  };
  const c cases[] = {
      {"Đã nhận\n\nVào Th 5, 26 thg 11 lúc 08:00 Sở Nội vụ <\nx@snv.example> đã viết:\n> DA NOP", "Đã nhận",
       "a Gmail attribution wrapped over two lines"},
      {"OK\nOn Thu, Nov 26, 2026 at 8:00 AM X <x@y> wrote:\n> nop", "OK", "Thunderbird/Gmail in English"},
      {"Đã nộp\n\nTừ: Sở Nội vụ\nĐã gửi: 26/11/2026\nChủ đề: nhắc nộp", "Đã nộp",
       "an Outlook header block in Vietnamese without an address"},
      {"Đã nộp\n________________________________\nFrom: x", "Đã nộp", "Outlook's underscore separator"},
      {"Xong\n-----Original Message-----\nnop", "Xong", "Outlook plain text"},
      {"Đã nhận\n-- \nBình\nSĐT 0905", "Đã nhận", "a signature"},
      {"\n\n  Đã nhận  \n", "Đã nhận", "blank lines and spaces around"},
      {"Từ hôm nay sẽ nộp đúng hạn", "Từ hôm nay sẽ nộp đúng hạn", "\"Từ\" starting a sentence is not a header"},
  };
  for (const auto& x : cases) {
    const std::string why = x.why;
    CAPTURE(why);
    CHECK(replies::reply_head(x.body) == x.head);
  }
}

TEST_CASE("keywords are read from the first lines, then from a subject that starts with one") {
  struct c {
    const char* subject;
    const char* body;
    intent what;
    const char* code;
    const char* why;
  };
  const c cases[] = {
      {"Re: [Nhắc hạn] Sở Tài chính — Báo cáo tình hình nộp thuế", "", intent::none, "",
       "a keyword inside our own subject is not an answer"},
      {"Re: [Nhắc hạn] 3/12 đơn vị chưa nộp", "Cảm ơn", intent::none, "", "\"chưa nộp\" in a grouped subject"},
      {"TL: Đã nộp", "", intent::submit, "", "a subject that leads with the keyword"},
      {"Re: Nhắc hạn", "Kính gửi Sở Nội vụ,\nSở Tài chính đã nhận được.", intent::acknowledge, "",
       "the keyword on the second line"},
      {"Re: x", "Chưa nộp, nhưng đã nhận", intent::acknowledge, "", "a negated keyword is skipped, the next one counts"},
      {"Re: x", "Đã nhận. Xin hỏi hạn nộp là ngày nào?", intent::acknowledge, "",
       "an answer, then a question on the same line"},
      {"Re: x", "Hạn nộp là ngày nào? Đã nộp chưa?", intent::none, "", "questions only"},
      {"Re: x", "Đã nộp\nMã: K7Q2AB", intent::submit, "K7Q2AB", "the code on another line"},
      {"Ma K7Q2AB", "Đã nhận", intent::acknowledge, "K7Q2AB", "the code in the subject"},
      {"Re: x", "không nhận được thư", intent::none, "", "\"không nhận\" is not an acknowledgement"},
      {"Re: x", "Đã nộp chưa ạ?\nCảm ơn", intent::none, "", "a question is not an answer"},
  };
  for (const auto& x : cases) {
    const std::string why = x.why;
    CAPTURE(why);
    replies::email_message m;
    m.parsed = true;
    m.subject = x.subject;
    m.text = x.body;
    m.head = replies::reply_head(x.body);
    const auto p = replies::read_intent(m);
    CHECK(replies::to_string(p.what) == replies::to_string(x.what));
    CHECK(p.code.value_or("") == std::string(x.code));
  }
}

TEST_CASE("only our 26-character keys are keys, and only our tagged address carries a tag") {
  CHECK(replies::key_of_message_id("<" + key + "@snv.example>") == key);
  CHECK(replies::key_of_message_id(key) == key);
  CHECK(replies::key_of_message_id("KKKKKKKKKKKKKKKKKKKKKKKKKK@x") == key);
  CHECK(replies::key_of_message_id("t-abcdefghijklmnopqrstuvwxyz@snv.example").empty());
  CHECK(replies::key_of_message_id("0123456789012345678901234a@x").empty());
  CHECK(replies::key_of_message_id("").empty());
  replies::email_message m;
  m.recipients = {"dondoc-replies+" + token + "@snv.example", "other+zzz@snv.example", "dondoc-replies@snv.example",
                  "DONDOC-REPLIES+ABC@mail.internal"};
  const auto tags = replies::reply_tags(m, "dondoc-replies@snv.example");
  REQUIRE(tags.size() == 2);
  CHECK(tags[0] == token);
  CHECK(tags[1] == "abc");
}

TEST_CASE("something that is not a message is read without harm") {
  for (const std::string& raw : {std::string(), std::string("\r\n\r\n"), std::string("garbage without headers"),
                                std::string("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x--"),
                                std::string(1000, '\0')}) {
    const auto m = replies::read_email(raw);
    CHECK(text::valid_utf8(m.text));
    CHECK(replies::read_intent(m).what == intent::none);
  }
}
