// The file outbox: maildir layout, permissions, idempotent .eml, appended SMS lines.
#include "notifiers/file_outbox.hpp"

#include <sys/stat.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace dondoc;
using namespace dondoc::notifiers;

namespace {

unsigned mode_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

outgoing_sms sample_sms(const std::string& key) {
  outgoing_sms s;
  s.meta.key = key;
  s.meta.at = "2019-06-11T07:30:00+07:00";
  s.meta.kind = "reminder";
  s.meta.report = "dan-van-6-thang";
  s.meta.occurrence = "dan-van-6-thang@2019-06-15";
  s.meta.unit = "so-tai-chinh";
  s.meta.step = 1;
  s.meta.repeat = 0;
  s.meta.contact = "stc-binh";
  s.to = "+84912000002";
  s.text = "Nhac han: So Tai chinh nop BC 6 thang KL43 truoc 15/06/2019.";
  return s;
}

}  // namespace

TEST_CASE("emails land in mail/new as KEY.eml, SMS as JSON lines, private to the service") {
  test::temp_dir tmp;
  const std::string dir = tmp / "outbox";
  file_outbox box(dir);
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(dir + "/mail/new") == 0700);
  CHECK(mode_of(dir + "/mail/tmp") == 0700);

  outgoing_email e;
  e.meta.key = "abcdefghijklmnopqrstuvwxyz";
  e.data = "Subject: x\r\n\r\nfirst\r\n";
  int calls = 0;
  send_result got;
  box.send(e, [&](send_result r) {
    ++calls;
    got = r;
  });
  CHECK(calls == 1);  // synchronous
  CHECK(got.kind == outcome::ok);
  CHECK(test::slurp(box.mail_path(e.meta.key)) == e.data);
  CHECK(mode_of(box.mail_path(e.meta.key)) == 0600);
  CHECK(std::filesystem::is_empty(dir + "/mail/tmp"));

  e.data = "Subject: x\r\n\r\nsecond\r\n";
  box.send(e, [&](send_result r) { got = r; });
  CHECK(test::slurp(box.mail_path(e.meta.key)) == e.data);  // overwritten, still one file
  CHECK(std::distance(std::filesystem::directory_iterator(dir + "/mail/new"), {}) == 1);

  box.send(sample_sms("k1"), [&](send_result r) { got = r; });
  CHECK(got.kind == outcome::ok);
  box.send(sample_sms("k1"), [&](send_result r) { got = r; });  // at-least-once: appended again
  auto grouped = sample_sms("k2");
  grouped.meta.unit.clear();
  grouped.meta.units = {"so-tai-chinh", "ubnd-duc-pho"};
  box.send(grouped, [&](send_result r) { got = r; });
  CHECK(mode_of(box.sms_path()) == 0600);
  const auto lines = test::lines_of(test::slurp(box.sms_path()));
  REQUIRE(lines.size() == 3);
  const auto j = nlohmann::json::parse(lines[0]);
  CHECK(j["to"] == "+84912000002");
  CHECK(j["text"] == "Nhac han: So Tai chinh nop BC 6 thang KL43 truoc 15/06/2019.");
  CHECK(j["key"] == "k1");
  CHECK(j["at"] == "2019-06-11T07:30:00+07:00");
  CHECK(j["report"] == "dan-van-6-thang");
  CHECK(j["occurrence"] == "dan-van-6-thang@2019-06-15");
  CHECK(j["unit"] == "so-tai-chinh");
  CHECK(j["kind"] == "reminder");
  CHECK(j["step"] == 1);
  CHECK(j["repeat"] == 0);
  CHECK(j["contact"] == "stc-binh");
  const auto g = nlohmann::json::parse(lines[2]);
  CHECK_FALSE(g.contains("unit"));
  CHECK(g["units"] == nlohmann::json::array({"so-tai-chinh", "ubnd-duc-pho"}));
}

TEST_CASE("a key that is not a file name is refused permanently") {
  test::temp_dir tmp;
  file_outbox box(tmp / "o");
  outgoing_email e;
  e.meta.key = "../escape";
  send_result got;
  box.send(e, [&](send_result r) { got = r; });
  CHECK(got.kind == outcome::permanent);
}

TEST_CASE("an outbox that cannot be created is a start-up error naming the path") {
  test::temp_dir tmp;
  test::write_file(tmp / "file", "x");
  try {
    file_outbox box(tmp / "file/outbox");
    FAIL("expected an error");
  } catch (const std::system_error& e) {
    CHECK(std::string(e.what()).find(tmp / "file/outbox") != std::string::npos);
  }
}
