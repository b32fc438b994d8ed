// Files compiled into the binary at build time (config/CMakeLists.txt generates their
// definitions from calendar/vn/*.toml with cmake/embed_files.cmake).
#pragma once

#include <cstddef>
#include <string_view>

namespace dondoc::config::embedded {

struct file {
  const char* name;       // path relative to the source tree, e.g. "calendar/vn/2024.toml"
  std::string_view text;  // the file's bytes
};

extern const file calendar_files[];
extern const std::size_t calendar_files_count;

}  // namespace dondoc::config::embedded
