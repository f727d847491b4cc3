#include "reports/atomic_file.hpp"

#include <fstream>
#include <stdexcept>
#include <system_error>

namespace fa {

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  // Same directory, so the rename never crosses file systems (rename is atomic only within one).
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(tmp.string() + ": cannot open for writing");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) throw std::runtime_error(tmp.string() + ": write failed (disk full?)");
  }
  // No fsync: the goal is surviving an interrupted or crashed run, not a power cut, and a sync
  // per result row would slow long sweeps on network file systems.
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    const std::string why = ec.message();
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error(path.string() + ": cannot replace: " + why);
  }
}

}  // namespace fa
