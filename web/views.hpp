// The coordinator's pages as pure functions from plain view structs to HTML: the
// overview, an occurrence's table of units, one unit's item with its action forms, a
// unit's history, and the login page. No store, no engine, no Beast: daemon/pages.cpp
// fills the structs, and the unit tests render them directly.
//
// Every page is Vietnamese, works without JavaScript (filters are GET forms and links,
// actions are POST forms carrying the session's CSRF token), has no external asset, reads
// on a phone (tables turn into cards below 40rem) and prints (navigation and forms are
// hidden on paper).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dondoc::web {

// Status ids as the engine names them, in the order the pages list them.
inline constexpr std::string_view status_ids[] = {"pending",   "acknowledged",   "overdue",  "submitted",
                                                  "submitted_late", "exempted", "untracked"};
// "chưa nhận", "đã nhận", "quá hạn", "đã nộp", "nộp muộn", "miễn", "không theo dõi".
std::string_view status_label(std::string_view id);
// Vietnamese name of a unit kind ("so" -> "Sở"); the id itself when unknown.
std::string kind_label(std::string_view kind);
// Path of a page, with each segment percent-encoded (keeping '@' and ':').
std::string occurrence_path(std::string_view occurrence);
std::string item_path(std::string_view occurrence, std::string_view unit);
std::string unit_path(std::string_view unit);

// What frames every page: who is logged in (for the logout button) and the CSRF token.
struct page_context {
  std::string user;        // shown in the header; empty: nobody
  bool can_logout = false; // a password login is in use
  std::string csrf;        // the session's token, put in every POST form
  std::string now_text;    // "thứ Hai, 17/06/2019 10:00"
};

// "còn 3 ngày", "hôm nay là hạn cuối", "quá hạn 2 ngày", "đã xong".
std::string days_text(std::int64_t days_left, bool past_deadline, bool complete);

// --- overview -----------------------------------------------------------------------------

struct overview_row {
  std::string occurrence;  // REPORT@YYYY-MM-DD
  std::string title;
  std::string last_day_text;  // "thứ Sáu, 14/06/2019"
  std::int64_t days_left = 0; // L - today
  bool past_deadline = false;
  bool complete = false;      // nothing outstanding
  bool in_roster = true;
  std::map<std::string, std::int64_t> counts;  // status id -> units
  std::int64_t total = 0;
};

struct overview_view {
  std::vector<overview_row> rows;
  bool all = false;  // every occurrence in the store, not only open and recent ones
};

std::string render_overview(const page_context& ctx, const overview_view& v);

// --- occurrence -----------------------------------------------------------------------------

struct unit_row {
  std::string unit_id;
  std::string name;
  std::string kind;
  std::string status;         // status id
  bool unit_reported = false; // submitted by the unit, not yet confirmed: "đơn vị báo đã nộp"
  std::string extended_to;    // "20/06/2019" when the unit's deadline was extended
  std::string last_message_at;      // "14/06/2019 07:30" or empty
  std::string last_message_channel; // email | sms
  std::string last_message_state;   // sent | delivered | failed
  std::string acknowledged_at;
  std::string submitted_at;
  std::string note;
  bool in_roster = true;
};

// The filters of the occurrence page: a status id, "outstanding" (not submitted nor
// exempted) or "reported" (đơn vị báo đã nộp, awaiting confirmation); "" shows all.
bool row_matches(const unit_row& r, std::string_view filter);
std::string_view filter_label(std::string_view filter);
// Sorts rows by unit name in Vietnamese order (ICU `vi`), ties by id.
void sort_vi(std::vector<unit_row>& rows);

struct occurrence_view {
  std::string occurrence;
  std::string title;
  std::string basis;
  std::string submit_to;
  std::string last_day_text;
  std::string deadline_text;  // T, "15/06/2019 00:00"
  std::int64_t days_left = 0;
  bool past_deadline = false;
  std::string filter;
  std::vector<unit_row> rows;  // all rows, sorted; the view applies the filter
};

std::string render_occurrence(const page_context& ctx, const occurrence_view& v);

// --- one unit in one occurrence (actions) ---------------------------------------------------

struct message_line {
  std::string at;        // when sent (or due)
  std::string step;      // "Nhắc hạn (r:3wd)", "Quá hạn (e:1wd)"
  std::string channel;
  std::string recipient; // contact name
  std::string state;     // row state id
  std::string reason;
};

struct audit_line {
  std::string at;
  std::string who;
  std::string how;
  std::string action;  // ack | submit | exempt | reopen | confirm | extend | note | …
  std::string detail;
};

struct item_view {
  std::string occurrence;
  std::string title;
  std::string unit_id;
  std::string unit_name;
  std::string status;
  bool open = true;           // not submitted nor exempted
  bool unit_reported = false;
  std::string last_day_text;
  std::string deadline_text;
  std::string extended_to;
  std::string reply_code;
  std::string acknowledged_at;
  std::string acknowledged_by;
  std::string submitted_at;
  std::string exempted_at;
  std::string note;
  std::string min_extend;  // YYYY-MM-DD: the earliest date an extension may give
  std::string done;        // the action just recorded (from ?done=)
  bool changed = true;     // whether it changed anything (from ?changed=)
  std::string error;       // a refused form, in Vietnamese
  std::vector<message_line> messages;
  std::vector<audit_line> audit;
};

std::string render_item(const page_context& ctx, const item_view& v);

// --- unit history --------------------------------------------------------------------------

struct contact_line {
  std::string name;
  std::string title;
  std::string roles;   // "đầu mối, thủ trưởng"
  std::string email;
  std::string phone;   // masked
};

struct history_line {
  std::string occurrence;
  std::string title;
  std::string last_day_text;
  std::string status;
  bool unit_reported = false;
  std::string acknowledged_at;
  std::string submitted_at;
  std::string note;
  std::string name_then;  // the unit's name as first planned, when it differs
};

struct unit_link {
  std::string id;
  std::string name;
};

struct unit_view {
  std::string id;
  std::string name;
  std::string kind;
  bool in_roster = true;
  std::string valid_from;
  std::string valid_to;
  std::string office_phone;  // masked
  std::vector<unit_link> predecessors;  // this unit is successor_of them
  std::vector<unit_link> successors;    // units that are successor_of this one
  std::vector<contact_line> contacts;
  std::vector<history_line> history;
};

std::string render_unit(const page_context& ctx, const unit_view& v);

// --- login and errors ---------------------------------------------------------------------

std::string render_login(std::string_view next, std::string_view error, std::string_view name);
std::string render_error(const page_context& ctx, std::string_view title, std::string_view message);

}  // namespace dondoc::web
