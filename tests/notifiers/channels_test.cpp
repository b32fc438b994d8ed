// The channel set: configured transports, the outbox for what is not configured, and
// the outbox alone for `dondoc simulate`.
#include "notifiers/channels.hpp"

#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include "test_support.hpp"

using namespace dondoc;
using namespace dondoc::notifiers;

TEST_CASE("configured channels get their transports; simulate gets the outbox alone") {
  const auto cfg = test::load_roster();  // [channels.email] smtp, [channels.sms] http
  test::temp_dir tmp;
  boost::asio::io_context io;
  channel_options o;
  o.outbox_dir = tmp / "outbox";
  {
    channel_set ch(io, *cfg, o);
    CHECK(ch.email().name() == "smtp");
    CHECK(ch.sms().name() == "http");
    CHECK(ch.email_configured());
  }
  o.outbox_only = true;
  channel_set sim(io, *cfg, o);
  CHECK(sim.email().name() == "outbox");
  CHECK(sim.sms().name() == "outbox");
  CHECK(std::filesystem::exists(tmp / "outbox/sms.jsonl"));
}

TEST_CASE("without [channels.sms] SMS go to the outbox") {
  auto text = test::roster_toml();
  const auto from = text.find("[channels.sms]");
  const auto to = text.find("[[contacts]]");
  text.erase(from, to - from);
  config::load_options lo;
  lo.credentials_directory = "/tmp";
  auto r = config::load_text(text, "test.toml", lo);
  REQUIRE(r.ok());
  test::temp_dir tmp;
  boost::asio::io_context io;
  channel_options o;
  o.outbox_dir = tmp / "outbox";
  channel_set ch(io, *r.cfg, o);
  CHECK(ch.email().name() == "smtp");
  CHECK(ch.sms().name() == "outbox");
  CHECK_FALSE(ch.sms_configured());
}
