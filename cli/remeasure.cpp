#include "cli/remeasure.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <system_error>

#include <fmt/core.h>

#include "core/errors.hpp"
#include "reports/atomic_file.hpp"
#include "reports/json.hpp"

extern char** environ;

namespace fa::cli {
namespace {

// Runs `exe args...` with stdout and stderr into `log`, waits, and returns its exit status; -1 with
// the reason in `error` when it could not be started or did not exit normally.
int spawn_and_wait(const std::filesystem::path& exe, const std::vector<std::string>& args,
                   const std::filesystem::path& log, std::string& error) {
  posix_spawn_file_actions_t actions;
  if (const int e = posix_spawn_file_actions_init(&actions)) {
    error = std::string("posix_spawn_file_actions_init: ") + std::strerror(e);
    return -1;
  }
  int e = posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (e == 0) e = posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> storage{exe.string()};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  std::fflush(nullptr);  // nothing buffered here is written twice
  if (e == 0) e = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  (void)posix_spawn_file_actions_destroy(&actions);
  if (e != 0) {
    error = "cannot start " + exe.string() + ": " + std::strerror(e);
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      error = std::string("waitpid: ") + std::strerror(errno);
      return -1;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  error = fmt::format("{} ended by signal {}", exe.string(), WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return -1;
}

Row error_row(const Point& pt, const std::string& why) {
  Row r;
  r.point = pt;
  r.status = Status::error;
  r.reason = why;
  return r;
}

// The round's rows in the order of `points`, from the child's results file.
std::vector<Row> rows_in_order(const std::vector<Point>& points, const std::filesystem::path& results,
                               const std::string& missing_why) {
  std::map<std::string, Row> by_key;
  try {
    for (Row& r : read_results_json(results.string()).rows) by_key.emplace(point_key(r.point), std::move(r));
  } catch (const UsageError&) {
    // No results at all: every point gets the error row below.
  }
  std::vector<Row> rows;
  for (const Point& pt : points) {
    auto it = by_key.find(point_key(pt));
    rows.push_back(it != by_key.end() ? std::move(it->second) : error_row(pt, missing_why));
  }
  return rows;
}

}  // namespace

std::filesystem::path own_executable() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec || exe.filename() != "fa-bench") return {};
  return exe;
}

RemeasureRound child_process_rounds(const std::filesystem::path& exe, std::vector<std::string> measure_args,
                                    const std::filesystem::path& dir) {
  return [exe, args = std::move(measure_args), dir](const std::vector<Point>& points, std::size_t round) {
    const std::filesystem::path round_dir = dir / fmt::format("round-{}", round + 1);
    std::filesystem::create_directories(dir);
    std::filesystem::remove_all(round_dir);  // the child's --out must not hold results already
    const std::filesystem::path points_file = dir / fmt::format("round-{}-points.json", round + 1);
    std::vector<Row> planned;
    for (const Point& pt : points) {
      Row r;
      r.point = pt;
      r.status = Status::planned;
      planned.push_back(std::move(r));
    }
    write_file_atomically(points_file, results_json_text(RunMetadata{}, planned));
    std::vector<std::string> child{"run", "--points-from", points_file.string(), "--out", round_dir.string()};
    child.insert(child.end(), args.begin(), args.end());
    const std::filesystem::path log = dir / fmt::format("round-{}.log", round + 1);
    std::string error;
    const int code = spawn_and_wait(exe, child, log, error);
    if (code != 0 && code != 1) {  // 1: a correctness check failed, the rows are still there
      if (error.empty()) error = fmt::format("exit {}", code);
      return rows_in_order(points, round_dir / "results.json",
                           "re-measurement process failed (" + error + "; see " + log.string() + ")");
    }
    fmt::print("[re-measured] round {}: {} points in a fresh process ({})\n", round + 1, points.size(),
               round_dir.string());
    return rows_in_order(points, round_dir / "results.json", "the re-measurement process wrote no row (see " +
                                                                 log.string() + ")");
  };
}

RemeasureRound in_process_rounds(std::function<Row(const Point&)> measure, const std::filesystem::path& dir,
                                 const RunMetadata& metadata) {
  return [measure = std::move(measure), dir, metadata](const std::vector<Point>& points, std::size_t round) {
    std::vector<Row> rows;
    for (const Point& pt : points) rows.push_back(measure(pt));
    const std::filesystem::path round_dir = dir / fmt::format("round-{}", round + 1);
    std::filesystem::create_directories(round_dir);
    write_file_atomically(round_dir / "results.json", results_json_text(metadata, rows));
    return rows;
  };
}

std::vector<Point> points_from_file(const std::string& path) {
  std::vector<Point> points;
  try {
    for (const Row& r : read_results_json(path).rows) points.push_back(r.point);
  } catch (const UsageError& e) {
    throw UsageError(std::string("--points-from: ") + e.what());
  }
  if (points.empty()) throw UsageError("--points-from: " + path + " holds no point");
  return points;
}

}  // namespace fa::cli
