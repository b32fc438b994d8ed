// HTTP as the handlers see it: plain structs, no Beast. The server (server.cpp, the only
// web translation unit that includes Beast) parses requests into these and writes the
// responses back, so routes and pages compile fast and test without sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dondoc::web {

struct request {
  std::string method;  // GET, POST, …
  std::string target;  // as sent: /a/abc?x=1
  std::string path;    // percent-decoded path without the query
  std::map<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string peer;    // client address (after trusted proxies)
  bool admin = false;  // arrived on the admin listener

  std::optional<std::string_view> header(std::string_view name) const;
  // application/x-www-form-urlencoded body fields.
  std::map<std::string, std::string> form() const;
  std::optional<std::string> cookie(std::string_view name) const;
};

struct response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static response text(int status, std::string body);
  static response json(int status, std::string body);
  static response html(int status, std::string body);
  static response redirect(std::string location, int status = 303);
};

using reply_fn = std::function<void(response)>;
// Handlers may answer later (e.g. after a batched commit); they must call reply once.
using handler = std::function<void(request&&, reply_fn)>;

std::string url_decode(std::string_view s, bool plus_is_space);
std::map<std::string, std::string> parse_query(std::string_view q);
std::string url_encode(std::string_view s);

}  // namespace dondoc::web
