#pragma once
// Files compiled into the binary (SQL migrations, dashboard assets) by cmake/embed.cmake.
#include <span>
#include <string_view>

namespace core {

struct EmbeddedFile {
  std::string_view path;  // relative to its source folder, '/'-separated
  std::string_view data;
};

}  // namespace core
