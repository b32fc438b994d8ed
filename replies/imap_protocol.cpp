// IMAP answers as libcurl hands them over: for a custom command, the untagged lines
// ("* STATUS …", "* SEARCH …") in the response body. Mailbox names are taken as ASCII
// (INBOX or a folder such as "dondoc"); a name that needs modified UTF-7 is not supported.
#include "replies/imap_protocol.hpp"

#include <algorithm>
#include <charconv>

namespace dondoc::replies {
namespace {

bool istarts(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    char a = s[i], b = p[i];
    if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 'a' + 'A');
    if (b >= 'a' && b <= 'z') b = static_cast<char>(b - 'a' + 'A');
    if (a != b) return false;
  }
  return true;
}

std::optional<std::int64_t> number(std::string_view s) {
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v > 0xFFFFFFFFLL) return std::nullopt;
  return v;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int h = hex_value(s[i + 1]), l = hex_value(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string_view> lines(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    auto nl = s.find('\n', pos);
    if (nl == std::string_view::npos) nl = s.size();
    auto line = s.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    pos = nl + 1;
  }
  return out;
}

}  // namespace

std::optional<imap_url> parse_imap_url(std::string_view url) {
  imap_url u;
  std::string_view rest;
  if (istarts(url, "imaps://")) {
    u.implicit_tls = true;
    rest = url.substr(8);
  } else if (istarts(url, "imap://")) {
    rest = url.substr(7);
  } else {
    return std::nullopt;
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  u.base = std::string(url.substr(0, url.size() - rest.size())) + std::string(authority);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (const auto semi = path.find(';'); semi != std::string_view::npos) path = path.substr(0, semi);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.find('/') != std::string_view::npos || path.find('?') != std::string_view::npos) return std::nullopt;
  u.mailbox_path = path.empty() ? "INBOX" : std::string(path);
  u.mailbox = percent_decode(u.mailbox_path);
  for (char c : u.mailbox)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) return std::nullopt;
  return u;
}

std::string mailbox_url(const imap_url& u) { return u.base + "/" + u.mailbox_path; }

std::string message_url(const imap_url& u, std::int64_t uidvalidity, std::int64_t uid) {
  return u.base + "/" + u.mailbox_path + ";UIDVALIDITY=" + std::to_string(uidvalidity) + "/;UID=" + std::to_string(uid);
}

std::string imap_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::optional<imap_status> parse_status(std::string_view response) {
  for (auto line : lines(response)) {
    if (!istarts(line, "* STATUS ")) continue;
    const auto open = line.rfind('(');
    const auto close = line.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) continue;
    std::string_view items = line.substr(open + 1, close - open - 1);
    imap_status st;
    bool have_validity = false, have_next = false;
    while (!items.empty()) {
      const auto sp = items.find(' ');
      const std::string_view name = items.substr(0, sp);
      if (sp == std::string_view::npos) break;
      items.remove_prefix(sp + 1);
      const auto sp2 = items.find(' ');
      const std::string_view value = items.substr(0, sp2);
      items = sp2 == std::string_view::npos ? std::string_view() : items.substr(sp2 + 1);
      const auto v = number(value);
      if (!v) continue;
      if (istarts(name, "UIDVALIDITY") && name.size() == 11) {
        st.uidvalidity = *v;
        have_validity = true;
      } else if (istarts(name, "UIDNEXT") && name.size() == 7) {
        st.uidnext = *v;
        have_next = true;
      }
    }
    if (have_validity && have_next) return st;
  }
  return std::nullopt;
}

std::optional<std::vector<std::int64_t>> parse_search(std::string_view response) {
  std::optional<std::vector<std::int64_t>> out;
  for (auto line : lines(response)) {
    if (!(istarts(line, "* SEARCH") && (line.size() == 8 || line[8] == ' '))) continue;
    if (!out) out.emplace();
    std::string_view rest = line.substr(8);
    while (!rest.empty()) {
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      const auto sp = rest.find(' ');
      const std::string_view tok = rest.substr(0, sp);
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp);
      if (tok.empty()) continue;
      if (tok.front() == '(') break;  // "(MODSEQ n)" and similar extensions
      if (auto v = number(tok); v && *v > 0) out->push_back(*v);
    }
  }
  if (out) {
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
  }
  return out;
}

std::string format_position(const imap_position& p) {
  return std::to_string(p.uidvalidity) + ":" + std::to_string(p.last_uid);
}

std::optional<imap_position> parse_position(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto v = number(s.substr(0, colon));
  const auto l = number(s.substr(colon + 1));
  if (!v || !l) return std::nullopt;
  return imap_position{*v, *l};
}

std::string position_key(std::string_view url, std::string_view username) {
  return "imap.position " + std::string(username) + " " + std::string(url);
}

}  // namespace dondoc::replies
