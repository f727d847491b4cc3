#include "measure/launch_modes.hpp"

#include "measure/graph_launch.hpp"

namespace fa {

namespace {

class PlainLaunch final : public InvocationLaunch {
 public:
  explicit PlainLaunch(PreparedRun& run, std::string note = "") : run_(run) { note_ = std::move(note); }
  void launch() override { run_.run(); }

 private:
  PreparedRun& run_;
};

class GraphReplay final : public InvocationLaunch {
 public:
  GraphReplay(std::unique_ptr<GraphLaunch> graph, void* stream) : graph_(std::move(graph)), stream_(stream) {
    note_ = "cuda graph";
  }
  void launch() override { graph_->launch(stream_); }

 private:
  std::unique_ptr<GraphLaunch> graph_;
  void* stream_;
};

}  // namespace

std::unique_ptr<InvocationLaunch> plain_launch(PreparedRun& run) { return std::make_unique<PlainLaunch>(run); }

std::unique_ptr<InvocationLaunch> graph_launch(PreparedRun& run, void* stream) {
  auto graph = std::make_unique<GraphLaunch>();
  std::string why;
  if (graph->capture(stream, [&run] { run.run(); }, &why)) return std::make_unique<GraphReplay>(std::move(graph), stream);
  return std::make_unique<PlainLaunch>(run, "graph capture failed (" + why + "); timed plain launches");
}

std::unique_ptr<InvocationLaunch> launch_for_timing(TimingMode mode, bool graph, bool cuda, PreparedRun& run,
                                                    void* stream) {
  if (cuda && mode == TimingMode::hot && graph) return graph_launch(run, stream);
  return plain_launch(run);
}

}  // namespace fa
