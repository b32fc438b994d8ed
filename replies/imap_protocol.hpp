// The small pieces of IMAP (RFC 3501) the reply poller speaks through libcurl: the
// mailbox URL, the STATUS and UID SEARCH answers, and the poller's durable position
// (UIDVALIDITY and the last UID handled) as it is kept in the store's meta table. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dondoc::replies {

struct imap_url {
  std::string base;          // "imaps://host[:port]" (no path)
  std::string mailbox;       // decoded mailbox name; "INBOX" when the URL has none
  std::string mailbox_path;  // the URL's path segment as written ("INBOX", "Replies%20dondoc")
  bool implicit_tls = false; // imaps://
};
// "imaps://host[:port]/MAILBOX" or "imap://…"; nullopt for anything else (user info in
// the URL is refused: the password comes from the secrets directory).
std::optional<imap_url> parse_imap_url(std::string_view url);

// The URL of the mailbox (commands that need it selected), and of one message by UID,
// checked against UIDVALIDITY by libcurl.
std::string mailbox_url(const imap_url& u);
std::string message_url(const imap_url& u, std::int64_t uidvalidity, std::int64_t uid);

// An IMAP quoted string ("INBOX" -> "\"INBOX\"").
std::string imap_quote(std::string_view s);

struct imap_status {
  std::int64_t uidvalidity = 0;
  std::int64_t uidnext = 0;
};
// "* STATUS INBOX (UIDNEXT 5 UIDVALIDITY 1795798093)" -> {1795798093, 5}.
std::optional<imap_status> parse_status(std::string_view response);
// "* SEARCH 3 4 9" -> {3, 4, 9} (sorted, unique); "* SEARCH" -> {}; nullopt without a
// SEARCH line.
std::optional<std::vector<std::int64_t>> parse_search(std::string_view response);

// Where the poller stands in one mailbox: every message with UID <= last_uid under this
// UIDVALIDITY has been handled (its effects committed).
struct imap_position {
  std::int64_t uidvalidity = 0;
  std::int64_t last_uid = 0;
};
std::string format_position(const imap_position& p);
std::optional<imap_position> parse_position(std::string_view s);
// The store meta key of a mailbox: a new URL or user name starts afresh.
std::string position_key(std::string_view url, std::string_view username);

}  // namespace dondoc::replies
