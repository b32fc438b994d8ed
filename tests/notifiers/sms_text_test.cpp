// SMS templates: built-ins within one part at their maxima, folding, GSM cleaning,
// segment counting, truncation, refusal, and roster templates replacing built-ins.
#include "notifiers/sms_text.hpp"

#include <doctest/doctest.h>

#include "test_support.hpp"
#include "text/text.hpp"

using namespace dondoc::notifiers;

TEST_CASE("the built-in templates fit one SMS at their bounded maxima") {
  const auto cfg = dondoc::test::load_roster();  // mo_keyword = "SNV"
  for (const auto* c : {static_cast<const dondoc::config::config*>(nullptr), cfg.get()}) {
    const auto ts = sms_templates(c);
    REQUIRE(ts.size() >= 3);
    CHECK(ts[0].id == "reminder");
    CHECK(ts[1].id == "escalation");
    CHECK(ts[2].id == "grouped");
    for (const auto& t : ts) {
      CAPTURE(t.id);
      CHECK(t.builtin);
      CHECK(t.max_length <= 160);
      CHECK(t.parts == 1);
      std::string literal;
      for (std::size_t i = 0; i < t.text.size(); ++i) {
        if (t.text[i] == '{') i = t.text.find('}', i);
        else literal.push_back(t.text[i]);
      }
      CHECK(dondoc::text::gsm_safe(literal));
      CHECK(t.text.find("http") == std::string::npos);
    }
  }
  const auto with_kw = find_sms_template(cfg.get(), "reminder");
  REQUIRE(with_kw);
  CHECK(with_kw->text.find("SNV DA NHAN {code}") != std::string::npos);
  CHECK(find_sms_template(nullptr, "reminder")->text.find("Tra loi DA NHAN {code}") != std::string::npos);
}

TEST_CASE("values are folded to ASCII, cleaned of non-GSM characters and cut to their maximum") {
  CHECK(sms_clean("Sở Tài chính Đà Nẵng") == "So Tai chinh Da Nang");
  CHECK(sms_clean("a\xC2\xA0" "b") == "a b");         // no-break space -> space
  CHECK(sms_clean("x[y]{z}~|^\\`") == "xyz");         // GSM escape characters dropped
  CHECK(sms_clean("dòng 1\ndòng 2") == "dong 1 dong 2");
  CHECK(sms_clean("报告 📄 ok") == "  ok");

  sms_template_spec t;
  t.id = "t";
  t.text = "X {unit} Y {code}";
  t.max = {{"unit", 10}, {"code", 6}};
  t.parts = 1;
  const auto r = render_sms(t, {{"unit", "UBND huyện Đức Phổ"}, {"code", "ABC234"}});
  REQUIRE(r.ok);
  CHECK(r.text == "X UBND huyen Y ABC234");  // "UBND huyen" is 10 characters; trailing space trimmed
  CHECK(r.segments == 1);
  const auto missing = render_sms(t, {});
  CHECK(missing.text == "X  Y ");
}

TEST_CASE("segments are 160 for one part, then 153 per part") {
  struct row {
    std::size_t len;
    std::int64_t parts;
  };
  const row rows[] = {{0, 1}, {1, 1}, {160, 1}, {161, 2}, {306, 2}, {307, 3}, {459, 3}, {460, 4}};
  for (const auto& r : rows) {
    CAPTURE(r.len);
    CHECK(sms_segments(r.len) == r.parts);
  }
}

TEST_CASE("a text longer than the template's parts is refused, not cut") {
  sms_template_spec t;
  t.id = "long";
  t.text = std::string(150, 'a') + "{occurrence}";
  t.max = {{"occurrence", 40}};
  t.parts = 1;
  const auto r = render_sms(t, {{"occurrence", "dan-van-6-thang@2019-06-15"}});
  CHECK_FALSE(r.ok);
  CHECK(r.segments == 2);
  CHECK(r.error.find("allows 1") != std::string::npos);
  t.parts = 2;
  CHECK(render_sms(t, {{"occurrence", "dan-van-6-thang@2019-06-15"}}).ok);
}

TEST_CASE("a roster template replaces the built-in of the same id and adds others") {
  const auto cfg = dondoc::test::load_roster(R"toml(
[[sms_templates]]
id = "reminder"
text = "SNV Quảng Ngãi: {unit} nộp {report} trước {deadline}. Xác nhận: soạn DA NHAN {code} gửi {reply_number}"
max = { unit = 15 }

[[sms_templates]]
id = "nhac-gap"
text = "Gap: {unit} nop {report} truoc {deadline}. Ma {code}"
parts = 2
)toml");
  const auto ts = sms_templates(cfg.get());
  REQUIRE(ts.size() == 4);
  CHECK(ts[0].id == "reminder");
  CHECK_FALSE(ts[0].builtin);
  CHECK(ts[0].origin.find("test.toml:") == 0);
  CHECK(ts[0].text ==
        "SNV Quang Ngai: {unit} nop {report} truoc {deadline}. Xac nhan: soan DA NHAN {code} gui {reply_number}");
  CHECK(ts[0].max.at("unit") == 15);
  CHECK(ts[0].max.at("report") == 20);
  CHECK(ts[1].builtin);
  CHECK(ts[3].id == "nhac-gap");
  CHECK(ts[3].parts == 2);
  CHECK(ts[3].limit() == 306);
  CHECK(ts[3].placeholders == std::vector<std::string>{"unit", "report", "deadline", "code"});
}

TEST_CASE("a rendered SMS never carries a link") {
  sms_template_spec t;
  t.id = "t";
  t.text = "Nop {report}";
  t.max = {{"report", 40}};
  const auto r = render_sms(t, {{"report", "xem https://dondoc.snv.example/a/x"}});
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("link") != std::string::npos);
}
