#include "web/html.hpp"

namespace dondoc::web {

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string page(std::string_view title, std::string_view body, std::string_view extra_head) {
  std::string out;
  out.reserve(body.size() + 2048);
  out += "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  out += escape(title);
  out += "</title>\n<style>\n"
         "body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;margin:0;color:#1b1b1b;"
         "background:#f6f7f9;line-height:1.45}\n"
         "main{max-width:60rem;margin:0 auto;padding:1rem}\n"
         "h1{font-size:1.35rem;margin:.5rem 0 1rem}h2{font-size:1.1rem;margin:1.2rem 0 .5rem}\n"
         "table{border-collapse:collapse;width:100%;background:#fff}\n"
         "th,td{border:1px solid #d0d4da;padding:.35rem .5rem;text-align:left;vertical-align:top}\n"
         "th{background:#eef1f5}\n"
         ".card{background:#fff;border:1px solid #d0d4da;border-radius:6px;padding:1rem;margin:.75rem 0}\n"
         ".muted{color:#5b6470}.ok{color:#17633a}.warn{color:#8a5300}.bad{color:#a11d1d}\n"
         "button,.button{font-size:1rem;padding:.6rem 1rem;margin:.25rem .5rem .25rem 0;border-radius:6px;"
         "border:1px solid #2457a6;background:#2f6fd0;color:#fff;cursor:pointer}\n"
         "button.secondary{background:#fff;color:#2457a6}\n"
         "dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem .75rem}dt{color:#5b6470}dd{margin:0}\n"
         "@media print{body{background:#fff}button,form,nav{display:none}.card{border:none}}\n"
         "</style>\n";
  out += extra_head;
  out += "</head>\n<body>\n<main>\n";
  out += body;
  out += "\n</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace dondoc::web
