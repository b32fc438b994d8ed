#include "web/html.hpp"

#include "text/text.hpp"

namespace dondoc::web {

std::string escape(std::string_view s) { return text::html_escape(s); }

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
         // The coordinator's pages (web/views.cpp): status badges, filter chips, forms, and
         // tables that become cards on a phone.
         "nav.top{display:flex;flex-wrap:wrap;gap:.25rem 1rem;justify-content:space-between;align-items:center}\n"
         ".small{font-size:.85em}.inline{display:inline}form.inline{display:inline;margin:0}\n"
         "button.link{background:none;border:none;color:#2457a6;padding:0;margin:0;text-decoration:underline;"
         "font-size:inherit}button.small{padding:.3rem .7rem;font-size:.95rem}\n"
         "td.num,th.num{text-align:right}.scroll{overflow-x:auto}\n"
         ".badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.85em;white-space:nowrap;"
         "border:1px solid #c5cad1;background:#f1f3f5;color:#3b424b}\n"
         ".st-acknowledged{background:#e8f0fc;border-color:#9dbbe8;color:#1f4f99}"
         ".st-overdue{background:#fdecec;border-color:#e3a3a3;color:#a11d1d}"
         ".st-submitted{background:#e7f5ec;border-color:#9fd0b1;color:#17633a}"
         ".st-submitted_late{background:#fff4e0;border-color:#e6c17a;color:#8a5300}"
         ".st-exempted{background:#f1ecf8;border-color:#c2b0de;color:#5a3d8a}"
         ".st-reported{background:#fffbe0;border-color:#e0cf6a;color:#6b5a00}\n"
         "a.chip{display:inline-block;padding:.3rem .7rem;border-radius:999px;border:1px solid #c5cad1;"
         "background:#fff;color:#1b1b1b;text-decoration:none;margin:0 .35rem .35rem 0}"
         "a.chip.active{outline:2px solid #2457a6}.chips{margin:.75rem 0 .25rem}\n"
         "tr.late td:first-child{border-left:4px solid #a11d1d}a.count{font-weight:bold}\n"
         ".card dl{margin:0}main:has(table.cards){max-width:80rem}td.no-print a{white-space:nowrap}"
         "form.login{max-width:28rem}\n"
         ".actions{display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr))}"
         ".actions .card{margin:0}h3{font-size:1rem;margin:0 0 .5rem}\n"
         "label{display:block;margin:.35rem 0 .6rem}label.inline{display:inline}"
         "input,textarea,select{font:inherit;padding:.4rem;border:1px solid #b8bec7;border-radius:4px;"
         "max-width:100%;box-sizing:border-box}label>input,label>textarea{display:block;width:100%;margin-top:.2rem}"
         "textarea{min-height:3.5rem}\n"
         "@media (max-width:40rem){table.cards thead{display:none}table.cards,table.cards tbody,table.cards tr,"
         "table.cards td{display:block;width:auto}table.cards tr{border:1px solid #d0d4da;border-radius:6px;"
         "margin:.5rem 0;background:#fff}table.cards td{border:none;border-bottom:1px solid #eef1f5;text-align:left}"
         "table.cards td[data-label]:not([data-label=\"\"])::before{content:attr(data-label);display:block;"
         "font-size:.8em;color:#5b6470}}\n"
         "@media print{.chips,.filter,.export,.no-print{display:none}a{color:inherit;text-decoration:none}"
         "table{font-size:10pt}th,td{padding:.15rem .3rem}main{max-width:none}}\n"
         "</style>\n";
  out += extra_head;
  out += "</head>\n<body>\n<main>\n";
  out += body;
  out += "\n</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace dondoc::web
