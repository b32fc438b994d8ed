// Building RFC 5322 messages: multipart/alternative (text/plain + text/html), UTF-8
// bodies in quoted-printable or base64, RFC 2047 headers whose encoded words are at most
// 75 characters and never split a UTF-8 character. GMime builds the MIME structure;
// the headers that carry text (Subject, From, To, Reply-To) are encoded here, because
// GMime 3.2 writes encoded words longer than 75 characters for long non-ASCII runs.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dondoc::notifiers {

struct mailbox {
  std::string name;     // display name, UTF-8, may be empty
  std::string address;  // addr-spec, ASCII
};

struct mime_input {
  mailbox from;
  std::vector<mailbox> to;
  mailbox reply_to;                     // empty address: no Reply-To header
  std::string subject;                  // UTF-8
  std::string text;                     // text/plain body, UTF-8, "\n" line ends
  std::string html;                     // text/html body; empty: a single text/plain part
  std::string message_id;               // "id@domain" (angle brackets added)
  std::string in_reply_to;              // "id@domain" or empty
  std::vector<std::string> references;  // "id@domain" each
  std::chrono::sys_seconds date{};      // Date header instant
  std::chrono::minutes utc_offset{7 * 60};  // zone offset the Date header is written in
  bool auto_submitted = true;           // Auto-Submitted: auto-generated
  std::vector<std::pair<std::string, std::string>> extra_headers;  // ASCII values, e.g. X-Dondoc-Key
};

// The complete message with CRLF line ends. Never throws for UTF-8 input; invalid
// UTF-8 is replaced (U+FFFD) before encoding.
std::string build_mime(const mime_input& in);

// RFC 2047 "B" encoding of a header text: plain (folded) when it is printable ASCII
// without "=?", otherwise a run of =?UTF-8?B?…?= words of at most 75 characters, each
// holding whole UTF-8 characters. `first_line_used` is how many characters precede the
// value on its first line ("Subject: " = 9). Lines are separated by "\r\n ".
std::string encode_header_text(std::string_view text, std::size_t first_line_used);

// "Name <addr>" with the display name encoded (RFC 2047 in a phrase, or a
// quoted-string when it is ASCII with specials).
std::string encode_mailbox(const mailbox& m, std::size_t first_line_used);

// Initialises GMime once per process (thread-safe; also done by build_mime).
void gmime_init_once();

}  // namespace dondoc::notifiers
