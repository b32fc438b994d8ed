// Message composition: the Vietnamese email text (subject, facts, how to answer, whom
// to contact), grouped escalations, report templates, SMS values, and threading.
#include "notifiers/compose.hpp"

#include <doctest/doctest.h>
#include <gmime/gmime.h>

#include "notifiers/sms_text.hpp"
#include "test_support.hpp"
#include "text/text.hpp"

using namespace dondoc;
using namespace dondoc::notifiers;
using namespace std::chrono;
using date::operator""_y;

namespace {

// A local time in Vietnam (UTC+7) as an instant.
config::sys_seconds vn(date::year_month_day d, int h = 0, int m = 0) {
  return config::sys_seconds{date::sys_days{d}} + hours{h} + minutes{m} - hours{7};
}

struct fixture {
  std::shared_ptr<const config::config> cfg = test::load_roster();
  const config::report* report = cfg->find_report("dan-van-6-thang");
  const config::unit* stc = cfg->find_unit("so-tai-chinh");

  compose_input reminder() const { return test::reminder_input(*cfg); }
  compose_input escalation() const {
    compose_input in = reminder();
    in.step = &report->escalation[0];
    in.kind = scheduler::step_kind::escalation;
    in.recipient = cfg->find_contact("stc-cuc");
    in.now = in.due = vn(2019_y / 6 / 18, 7, 30);
    in.key = "bbbbbbbbbbbbbbbbbbbbbbbbbb";
    return in;
  }
  compose_input grouped() const {
    compose_input in = escalation();
    in.unit = nullptr;
    in.step = &report->escalation[1];
    in.step_index = 1;
    in.recipient = cfg->find_contact("snv-lan");
    in.reply_code.clear();
    in.link = "https://dondoc.snv.example/";
    in.outstanding = {{"so-tai-chinh", "Sở Tài chính", "acknowledged", vn(2019_y / 6 / 12, 9, 15)},
                      {"ubnd-duc-pho", "UBND huyện Đức Phổ", "overdue", std::nullopt}};
    in.now = in.due = vn(2019_y / 6 / 20, 7, 30);
    in.key = "cccccccccccccccccccccccccc";
    return in;
  }
};

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("a reminder email says what, by when, how to answer and whom to ask") {
  fixture f;
  const auto e = compose_email(f.reminder());
  CHECK(e.template_id == "reminder");
  CHECK_FALSE(e.from_report_template);
  CHECK(e.subject ==
        "[Nhắc hạn] Sở Tài chính — Báo cáo 6 tháng kết quả thực hiện Kết luận số 43-KL/TW — hạn thứ Sáu, 14/06/2019");
  const std::string& t = e.text;
  CAPTURE(t);
  CHECK(contains(t, "Kính gửi: Trần Văn Bình – Chánh Văn phòng, Sở Tài chính."));
  CHECK(contains(t, "Căn cứ:"));
  CHECK(contains(t, "Công văn số 1639/UBND-NC ngày 08/4/2019 của UBND tỉnh Quảng Ngãi"));
  CHECK(contains(t, "Kỳ số liệu:"));
  CHECK(contains(t, "15/12 – 14/6"));
  CHECK(contains(t, "UBND tỉnh (qua Sở Nội vụ)"));
  CHECK(contains(t, "Hạn nộp:"));
  CHECK(contains(t, "thứ Sáu, 14/06/2019"));
  CHECK(contains(t, "còn 3 ngày"));
  CHECK(contains(t, "ABC234"));
  CHECK(contains(t, "Trả lời email này với nội dung ĐÃ NHẬN hoặc ĐÃ NỘP"));
  CHECK(contains(t, "SNV DA NHAN ABC234"));
  CHECK(contains(t, "gửi 8077"));
  CHECK(contains(t, "https://dondoc.snv.example/a/tok123"));
  CHECK(contains(t, "Nguyễn Thị Lan, Chuyên viên Phòng Xây dựng chính quyền, Sở Nội vụ"));
  CHECK(contains(t, "lan.nt@snv.example"));
  CHECK(contains(t, "0905 000 001"));
  CHECK(text::nfc(t) == t);
  CHECK(contains(e.html, "<a href=\"https://dondoc.snv.example/a/tok123\">"));
  CHECK(contains(e.html, "thứ Sáu, 14/06/2019"));
}

TEST_CASE("on the last day the reminder says so") {
  fixture f;
  auto in = f.reminder();
  in.now = vn(2019_y / 6 / 14, 7, 30);
  CHECK(contains(compose_email(in).text, "hôm nay là ngày cuối cùng"));
}

TEST_CASE("an escalation counts the days overdue") {
  fixture f;
  const auto e = compose_email(f.escalation());
  CHECK(e.template_id == "escalation");
  CHECK(e.subject.rfind("[Quá hạn] Sở Tài chính — ", 0) == 0);
  CHECK(contains(e.text, "đã quá hạn 4 ngày"));
  CHECK(contains(e.text, "Kính gửi: Lê Thị Cúc – Giám đốc, Sở Tài chính."));
}

TEST_CASE("a grouped escalation lists every outstanding unit in a table") {
  fixture f;
  const auto e = compose_email(f.grouped());
  CHECK(e.template_id == "grouped");
  CHECK(e.subject ==
        "[Quá hạn] 2/2 đơn vị chưa nộp — Báo cáo 6 tháng kết quả thực hiện Kết luận số 43-KL/TW — hạn thứ Sáu, "
        "14/06/2019");
  CAPTURE(e.text);
  CHECK(contains(e.text, "STT"));
  CHECK(contains(e.text, "Sở Tài chính"));
  CHECK(contains(e.text, "đã nhận thông báo, chưa nộp"));
  CHECK(contains(e.text, "12/06/2019 09:15"));
  CHECK(contains(e.text, "UBND huyện Đức Phổ"));
  CHECK(contains(e.text, "quá hạn, chưa nộp"));
  CHECK_FALSE(contains(e.text, "Mã trả lời"));
  CHECK(contains(e.html, "<td>UBND huyện Đức Phổ</td>"));
}

TEST_CASE("catch-up and repeat messages say so") {
  fixture f;
  auto in = f.reminder();
  in.catch_up = true;
  in.repeat = 1;
  const auto e = compose_email(in);
  CHECK(contains(e.text, "gửi bù"));
  CHECK(contains(e.text, "Nhắc lại lần 1"));
}

TEST_CASE("a deadline with a time of day shows the exact instant") {
  fixture f;
  auto in = f.reminder();
  in.report = f.cfg->find_report("khan");
  in.step = &in.report->reminders[0];
  in.occurrence = "khan@2019-09-03";
  in.nominal = in.last_day = date::sys_days{2019_y / 9 / 3};
  in.deadline = vn(2019_y / 9 / 3, 17, 0);
  in.now = vn(2019_y / 9 / 3, 15, 0);
  const auto e = compose_email(in);
  CHECK(contains(e.text, "thứ Ba, 03/09/2019, trước 17:00"));
  const auto s = compose_sms(in);
  REQUIRE(s.ok);
  CHECK(s.text == "Nhac han: So Tai chinh nop BC bao so 5 truoc 17:00 03/09/2019. Tra loi SNV DA NHAN ABC234 hoac "
                  "SNV DA NOP ABC234 gui 8077");
}

TEST_CASE("without an SMS gateway (no reply number) the built-in SMS texts end at the codes") {
  auto copy = std::make_shared<config::config>(*test::load_roster());
  copy->channels.sms.reset();  // the messages go to the file outbox
  auto in = test::reminder_input(*copy);
  const auto r = compose_sms(in);
  REQUIRE(r.ok);
  CHECK(r.text == "Nhac han: So Tai chinh nop BC 6 thang KL43 truoc 15/06/2019. Tra loi DA NHAN ABC234 hoac DA NOP "
                  "ABC234");
  in.step = &in.report->escalation[0];
  in.kind = scheduler::step_kind::escalation;
  in.now = in.due = vn(2019_y / 6 / 18, 7, 30);
  const auto e = compose_sms(in);
  REQUIRE(e.ok);
  CHECK(e.text == "Qua han 4 ngay: So Tai chinh chua nop BC 6 thang KL43 (han 14/06/2019). Da nop: soan DA NOP ABC234");
  // Nor does the email promise a number to text.
  CHECK_FALSE(contains(compose_email(test::reminder_input(*copy)).text, "nhắn tin"));
}

TEST_CASE("a report's email template replaces the built-in text") {
  fixture f;
  auto in = f.reminder();
  in.report = f.cfg->find_report("co-mau");
  in.step = &in.report->reminders[0];
  in.occurrence = "co-mau@2019-06-15";
  in.nominal = in.last_day = date::sys_days{2019_y / 6 / 15};
  in.deadline = vn(2019_y / 6 / 16);
  in.now = vn(2019_y / 6 / 12, 7, 30);
  const auto e = compose_email(in);
  CHECK(e.from_report_template);
  CHECK(e.subject == "Nhắc Sở Tài chính: BC CCHC quy, hạn thứ Bảy, 15/06/2019");
  CHECK(e.text ==
        "Kính gửi Trần Văn Bình – Chánh Văn phòng, Sở Tài chính,\n"
        "Đề nghị Sở Tài chính gửi Báo cáo công tác cải cách hành chính quý trước thứ Bảy, 15/06/2019 (còn 3 ngày).\n"
        "Mã trả lời: ABC234. https://dondoc.snv.example/a/tok123");
  CHECK(contains(e.html, "<a href=\"https://dondoc.snv.example/a/tok123\">"));
}

TEST_CASE("SMS texts come from the templates, folded, within one part, without a link") {
  fixture f;
  const auto r = compose_sms(f.reminder());
  REQUIRE(r.ok);
  CHECK(r.template_id == "reminder");
  CHECK(r.text ==
        "Nhac han: So Tai chinh nop BC 6 thang KL43 truoc 15/06/2019. Tra loi SNV DA NHAN ABC234 hoac SNV DA NOP "
        "ABC234 gui 8077");
  CHECK(r.segments == 1);
  const auto e = compose_sms(f.escalation());
  REQUIRE(e.ok);
  CHECK(e.text == "Qua han 4 ngay: So Tai chinh chua nop BC 6 thang KL43 (han 14/06/2019). Da nop: soan SNV DA NOP "
                  "ABC234 gui 8077");
  const auto g = compose_sms(f.grouped());
  REQUIRE(g.ok);
  CHECK(g.text == "Tong hop BC 6 thang KL43: 2/2 don vi chua nop, han 14/06/2019. Danh sach chi tiet da gui qua email.");
  for (const auto* s : {&r, &e, &g}) {
    CHECK(text::gsm_safe(s->text));
    CHECK(s->text.size() <= 160);
    CHECK_FALSE(contains(s->text, "http"));
  }
}

TEST_CASE("a step's sms_template picks a roster template") {
  auto cfg = test::load_roster(R"toml(
[[sms_templates]]
id = "ngan"
text = "{unit}: nop {report} truoc {deadline}, ma {code}"
)toml");
  fixture f;
  f.cfg = cfg;
  f.report = cfg->find_report("dan-van-6-thang");
  f.stc = cfg->find_unit("so-tai-chinh");
  auto in = f.reminder();
  config::step s = *in.step;
  s.sms_template = "ngan";
  in.step = &s;
  const auto r = compose_sms(in);
  REQUIRE(r.ok);
  CHECK(r.text == "So Tai chinh: nop BC 6 thang KL43 truoc 15/06/2019, ma ABC234");
  s.sms_template = "khong-co";
  CHECK_FALSE(compose_sms(in).ok);
}

TEST_CASE("all messages about one unit and occurrence form one thread") {
  fixture f;
  const auto a = f.reminder();
  const auto b = f.escalation();
  auto other = f.reminder();
  other.unit = f.cfg->find_unit("ubnd-duc-pho");
  CHECK(thread_root_id(a) == thread_root_id(b));
  CHECK(thread_root_id(a) != thread_root_id(other));
  CHECK(thread_root_id(a).find("@snv.example") != std::string::npos);

  auto in = f.escalation();
  in.thread_references = {"aaaaaaaaaaaaaaaaaaaaaaaaaa@snv.example"};
  const auto mail = make_email(in, compose_email(in));
  CHECK(mail.envelope_from == "dondoc@snv.example");
  CHECK(mail.rcpt == "cuc.lt@stc.example");
  const std::string head = mail.data.substr(0, mail.data.find("\r\n\r\n"));
  CAPTURE(head);
  const bool has_id = contains(head, "Message-Id: <bbbbbbbbbbbbbbbbbbbbbbbbbb@snv.example>") ||
                      contains(head, "Message-ID: <bbbbbbbbbbbbbbbbbbbbbbbbbb@snv.example>");
  CHECK(has_id);
  CHECK(contains(head, "In-Reply-To: <aaaaaaaaaaaaaaaaaaaaaaaaaa@snv.example>"));
  CHECK(contains(head, "<" + thread_root_id(in) + ">"));
  CHECK(contains(head, "Reply-To: "));
  CHECK(contains(head, "<dondoc-replies+tok123@snv.example>"));
  CHECK(contains(head, "Auto-Submitted: auto-generated"));
  CHECK(contains(head, "X-Dondoc-Key: bbbbbbbbbbbbbbbbbbbbbbbbbb"));
  CHECK(contains(head, "+0700"));
}

TEST_CASE("message meta carries the plan's identifiers") {
  fixture f;
  const auto m = make_meta(f.grouped());
  CHECK(m.key == "cccccccccccccccccccccccccc");
  CHECK(m.kind == "escalation");
  CHECK(m.report == "dan-van-6-thang");
  CHECK(m.occurrence == "dan-van-6-thang@2019-06-15");
  CHECK(m.unit.empty());
  CHECK(m.units == std::vector<std::string>{"so-tai-chinh", "ubnd-duc-pho"});
  CHECK(m.step == 1);
  CHECK(m.contact == "snv-lan");
  CHECK(m.at == "2019-06-20T07:30:00+07:00");
  const auto sms = make_sms(f.reminder(), compose_sms(f.reminder()));
  CHECK(sms.to == "+84912000002");
  CHECK(sms.meta.unit == "so-tai-chinh");
}

TEST_CASE("phones are shown in the local form") {
  CHECK(phone_local_display("+84905000001") == "0905 000 001");
  CHECK(phone_local_display("0255 3822 000") == "0255 3822 000");
}
