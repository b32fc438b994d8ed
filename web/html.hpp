// Small helpers for server-rendered pages: escaping and the shared page frame (inline
// CSS, no external assets, readable on a phone, printable, no JavaScript needed).
#pragma once

#include <string>
#include <string_view>

namespace dondoc::web {

std::string escape(std::string_view s);
// A complete HTML document in Vietnamese.
std::string page(std::string_view title, std::string_view body, std::string_view extra_head = {});

}  // namespace dondoc::web
