// Reading an email reply: whatever the client wrote (Outlook's HTML-only replies,
// Gmail's multipart/alternative with the quoted history, Thunderbird's "On … wrote:",
// Windows-1258, quoted-printable, base64, decomposed Vietnamese), it becomes one
// email_message: who sent it, which of our messages it answers (In-Reply-To,
// References, the +TOKEN tag of the address it was sent to), its subject, the first
// lines that are not quoted, and whether a machine wrote it (an auto-reply, or a bounce
// naming the message that could not be delivered). Pure: GMime and ICU only, no store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "replies/parse.hpp"

namespace dondoc::replies {

enum class email_kind : std::uint8_t {
  reply,       // written by a person (or so it says)
  auto_reply,  // Auto-Submitted, X-Autoreply, Precedence, out-of-office, read receipts
  bounce,      // a delivery status notification or a MAILER-DAEMON/postmaster message
};
std::string_view to_string(email_kind k);

struct email_message {
  bool parsed = false;  // false: the bytes are not a message at all
  email_kind kind = email_kind::reply;
  std::string from;       // addr-spec, lower case; empty when absent
  std::string from_name;  // display name, UTF-8 NFC
  std::string subject;    // decoded, UTF-8 NFC, controls replaced by spaces
  std::string message_id;                // without angle brackets
  std::vector<std::string> in_reply_to;  // message ids
  std::vector<std::string> references;   // message ids, oldest first
  std::vector<std::string> recipients;   // To, Cc, Delivered-To, X-Original-To, … (addr-specs, lower case)
  std::string text;                      // the body as text (the plain part, else the HTML as text), NFC
  std::string head;                      // its first lines that are not quoted history
  std::string auto_reason;               // why it is an auto-reply or a bounce ("Auto-Submitted: auto-replied", …)
  // Bounces: the Message-IDs and X-Dondoc-Key values of the message that was not
  // delivered, and whether the report says it failed (a "delayed" notice does not).
  std::vector<std::string> bounced_ids;
  bool bounce_failed = false;
};

// Reads a raw RFC 5322 message (CRLF or LF). Never throws for any input; a message
// larger than `max_bytes` is read from its first `max_bytes` bytes.
email_message read_email(std::string_view raw, std::size_t max_bytes = 8u << 20);

// The public key in one of our Message-IDs ("KEY@domain", KEY being 26 lower-case
// base32 characters, or a bare KEY as in X-Dondoc-Key), or empty.
std::string key_of_message_id(std::string_view id);

// The tags of the recipient addresses `local+TAG@domain` whose `local@domain` is the
// reply address (case-insensitive), in the order the headers give them, without repeats.
std::vector<std::string> reply_tags(const email_message& m, std::string_view reply_address);

// What the reply says: the keyword (and code) of the first head line that has one;
// else the subject's, when the subject (after "Re:", "TL:", "Trả lời:"…) starts with a
// keyword. The code, when that line has none: a code word in the other head lines,
// then in the subject.
parsed_reply read_intent(const email_message& m);

// The words of `text` that have the form of a reply code (6 characters of the code
// alphabet, after folding and upper-casing), in order, without repeats.
std::vector<std::string> code_words(std::string_view text);

// HTML as plain text: tags dropped, block elements on their own lines, <blockquote>
// lines prefixed with "> ", <hr> as "-----", entities decoded. Exposed for tests.
std::string html_to_text(std::string_view html);

// The body's own text up to the quoted history: cut before an attribution ("Vào … đã
// viết:", "On … wrote:", also when wrapped over two lines), an Outlook header block
// ("From:/Từ:" followed by "Sent:/Đã gửi:/Date:"), a "_____" separator; then the first
// `max_lines` non-empty lines (replies::unquoted_head).
std::string reply_head(std::string_view text, std::size_t max_lines = 5);

}  // namespace dondoc::replies
