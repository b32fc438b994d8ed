// The pieces of IMAP the poller relies on: its mailbox URL, the STATUS and SEARCH
// answers as libcurl passes them on, and the stored position.
#include "replies/imap_protocol.hpp"

#include <doctest/doctest.h>

using namespace dondoc::replies;

TEST_CASE("mailbox URLs are read, and URLs that would hide a password are refused") {
  struct c {
    const char* url;
    bool ok;
    const char* base;
    const char* mailbox;
    bool tls;
    const char* why;
  };
  const c cases[] = {
      {"imaps://mail.snv.example/INBOX", true, "imaps://mail.snv.example", "INBOX", true, "the usual"},
      {"imap://127.0.0.1:14143/INBOX", true, "imap://127.0.0.1:14143", "INBOX", false, "loopback with a port"},
      {"imaps://mail.snv.example", true, "imaps://mail.snv.example", "INBOX", true, "no mailbox: INBOX"},
      {"imaps://mail.snv.example/", true, "imaps://mail.snv.example", "INBOX", true, "a bare slash: INBOX"},
      {"imaps://mail.snv.example/Tra%20loi", true, "imaps://mail.snv.example", "Tra loi", true, "percent-encoded"},
      {"imaps://user:pw@mail.snv.example/INBOX", false, "", "", false, "credentials belong in password_file"},
      {"https://mail.snv.example/INBOX", false, "", "", false, "not IMAP"},
      {"imaps:///INBOX", false, "", "", false, "no host"},
      {"imaps://h/a/b", false, "", "", false, "a hierarchy is not supported"},
  };
  for (const auto& x : cases) {
    const std::string why = x.why;
    CAPTURE(why);
    const auto u = parse_imap_url(x.url);
    REQUIRE(u.has_value() == x.ok);
    if (!u) continue;
    CHECK(u->base == x.base);
    CHECK(u->mailbox == x.mailbox);
    CHECK(u->implicit_tls == x.tls);
  }
  const auto u = parse_imap_url("imap://127.0.0.1:14143/INBOX");
  REQUIRE(u);
  CHECK(mailbox_url(*u) == "imap://127.0.0.1:14143/INBOX");
  CHECK(message_url(*u, 1795798093, 7) == "imap://127.0.0.1:14143/INBOX;UIDVALIDITY=1795798093/;UID=7");
  CHECK(imap_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
}

TEST_CASE("STATUS and SEARCH answers are read as Dovecot and others write them") {
  auto s = parse_status("* STATUS INBOX (UIDNEXT 2 UIDVALIDITY 1795798093)\r\n");
  REQUIRE(s);
  CHECK(s->uidnext == 2);
  CHECK(s->uidvalidity == 1795798093);
  s = parse_status("* STATUS \"Tra loi\" (UIDVALIDITY 7 UIDNEXT 300 UNSEEN 4)\r\n");
  REQUIRE(s);
  CHECK(s->uidvalidity == 7);
  CHECK(s->uidnext == 300);
  CHECK_FALSE(parse_status("* STATUS INBOX (MESSAGES 3)\r\n"));
  CHECK_FALSE(parse_status(""));
  CHECK_FALSE(parse_status("* STATUS INBOX (UIDVALIDITY x UIDNEXT 2)"));

  auto r = parse_search("* SEARCH 9 3 4 3\r\n");
  REQUIRE(r);
  CHECK(*r == std::vector<std::int64_t>{3, 4, 9});
  r = parse_search("* SEARCH\r\n");
  REQUIRE(r);
  CHECK(r->empty());
  r = parse_search("* SEARCH 5 6 (MODSEQ 917162500)\r\n");
  REQUIRE(r);
  CHECK(*r == std::vector<std::int64_t>{5, 6});
  CHECK_FALSE(parse_search("* OK nothing\r\n"));
  CHECK_FALSE(parse_search("* SEARCHING 1"));
}

TEST_CASE("the position round-trips and is keyed by mailbox and user") {
  const imap_position p{1795798093, 42};
  const auto back = parse_position(format_position(p));
  REQUIRE(back);
  CHECK(back->uidvalidity == p.uidvalidity);
  CHECK(back->last_uid == p.last_uid);
  CHECK_FALSE(parse_position("42"));
  CHECK_FALSE(parse_position("a:b"));
  CHECK(position_key("imaps://h/INBOX", "u") != position_key("imaps://h/INBOX", "v"));
  CHECK(position_key("imaps://h/INBOX", "u") != position_key("imaps://h/Replies", "u"));
}
