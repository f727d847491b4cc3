#pragma once
// Replacing a file so that readers (and a run interrupted half-way) only ever see the old or the
// new content, never a half-written file: write a temporary next to it, then rename over it.
#include <filesystem>
#include <string_view>

namespace fa {

// Throws std::runtime_error naming the path when the write or the rename fails.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace fa
