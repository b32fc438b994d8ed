// The reply parser: what recipients type into an SMS or the first line of a reply.
#include "replies/parse.hpp"

#include <doctest/doctest.h>

using dondoc::replies::intent;
using dondoc::replies::parse_reply;

TEST_CASE("keywords in any case, with or without diacritics or spaces, and codes however typed") {
  struct c {
    const char* text;
    const char* keyword;  // mo_keyword
    intent what;
    const char* code;
    const char* why;
  };
  const c cases[] = {
      {"DA NHAN K7Q2AB", "", intent::acknowledge, "K7Q2AB", "the SMS as the reminder asks"},
      {"ĐÃ NHẬN k7q2ab", "", intent::acknowledge, "K7Q2AB", "diacritics, a lower-case code"},
      {"danhan K7Q 2AB", "", intent::acknowledge, "K7Q2AB", "joined keyword, code typed in two parts"},
      {"SNV DA NOP K7Q2AB", "SNV", intent::submit, "K7Q2AB", "the MO keyword is stripped"},
      {"snv xong", "SNV", intent::submit, "", "XONG without a code"},
      {"Đã gửi", "", intent::submit, "", "DA GUI"},
      {"ok", "", intent::acknowledge, "", "OK"},
      {"K7Q2AB da nhan", "", intent::acknowledge, "K7Q2AB", "the code first"},
      {"Nhận", "", intent::acknowledge, "", "NHAN alone"},
      {"Đa\xCC\x83 nhâ\xCC\xA3n", "", intent::acknowledge, "", "decomposed input is NFC-normalised"},
      {"OK, đã nhận", "", intent::acknowledge, "", "a second keyword is not a code (DANHAN)"},
      {"Đã nhận văn bản", "", intent::acknowledge, "", "ordinary words joining into 6 letters are not a code"},
      {"Chưa nhận được", "", intent::none, "", "a negated keyword"},
      {"khong nop", "", intent::none, "", "không nộp"},
      {"k nhan dc", "", intent::none, "", "SMS shorthand for không"},
      {"Cho hỏi hạn nộp", "", intent::none, "", "NOP inside a sentence is not an answer"},
      {"Sở sẽ nộp đúng hạn", "", intent::none, "", "\"sẽ nộp\" (will submit) is not a submission"},
      {"Đề nghị xác nhận", "", intent::none, "", "\"xác nhận\" is not NHAN"},
      {"Sở Y tế đã nộp báo cáo", "", intent::submit, "", "a two-word keyword inside a sentence"},
      {"K7Q 2AB nop", "", intent::submit, "K7Q2AB", "a one-word keyword after the code"},
      {"Nop roi", "", intent::submit, "", "a one-word keyword leading"},
      {"xin chào", "", intent::none, "", "nothing"},
      {"Chúng tôi chưa nhận được file mẫu mà Sở đã gửi.", "", intent::none, "", "a negation earlier in the sentence"},
      {"Đơn vị chưa nộp, đã gửi công văn xin gia hạn", "", intent::none, "", "not submitted, a request sent"},
      {"Không phải đã nộp", "", intent::none, "", "\"it is not that we submitted\""},
      {"Đã nhận nhưng chưa nộp", "", intent::acknowledge, "", "a leading keyword stands; the rest is a remark"},
      {"Nhân viên phụ trách đang đi công tác", "", intent::none, "", "\"Nhân\" is not \"Nhận\""},
      {"Nhấn vào liên kết không được", "", intent::none, "", "\"Nhấn\" is not \"Nhận\""},
      {"NHẬN K7Q2AB", "", intent::acknowledge, "K7Q2AB", "capitals with diacritics"},
      {"SNV Nộp", "SNV", intent::submit, "", "after the MO keyword"},
      {"", "", intent::none, "", "empty"},
  };
  // A text longer than is read, cut inside a letter: the part read is still text.
  std::string long_text = "Đã nhận K7Q2AB. x";
  for (int i = 0; i < 800; ++i) long_text += "ạ";  // 3 bytes each: the cut at 2,000 falls inside one
  const auto cut = parse_reply(long_text, "");
  CHECK(cut.what == intent::acknowledge);
  CHECK(cut.code.value_or("") == "K7Q2AB");
  for (const auto& x : cases) {
    const std::string why = x.why;
    CAPTURE(why);
    const auto p = parse_reply(x.text, x.keyword);
    CHECK(dondoc::replies::to_string(p.what) == dondoc::replies::to_string(x.what));
    CHECK(p.code.value_or("") == std::string(x.code));
  }
}
