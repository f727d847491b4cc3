#include "measure/point_setup.hpp"

#include <stdexcept>

#include "reference/masks.hpp"

namespace fa {

namespace {

std::unique_ptr<TrackingAllocator> tracking_allocator_for(Backend backend) {
  if (backend == Backend::cuda) return std::make_unique<DeviceTrackingAllocator>();
  return std::make_unique<HostTrackingAllocator>();
}

}  // namespace

PointSetup::PointSetup(AttentionKernel& kernel, const Point& pt, const BlockMask* mask, const PointInputs& inputs,
                       const PointPlace& place)
    : kernel_(kernel),
      point_(pt),
      place_(place),
      io_(tracking_allocator_for(kernel.backend())),
      scratch_(tracking_allocator_for(kernel.backend())) {
  ops_ = std::make_unique<OperandSet>(pt.problem, pt.pass, kernel.backend(), *io_, mask);
  if (inputs.given) {
    ops_->upload(*inputs.given);
    ops_->poison_outputs(place.stream);
  } else {
    ops_->fill_random(inputs.seed, place.stream);
  }
}

PreparedRun& PointSetup::prepare() {
  if (run_) throw std::logic_error("PointSetup::prepare: the point is prepared already");
  const ExecContext ctx{place_.stream, scratch_.get(), place_.device};
  run_ = kernel_.prepare(point_.problem, point_.pass, ops_->ops(), ctx);
  return *run_;
}

std::unique_ptr<PointSetup> set_up_point(AttentionKernel& kernel, const Point& pt, const PointInputs& inputs,
                                         const PointPlace& place) {
  const std::optional<BlockMask> mask = ref::problem_block_mask(pt.problem);
  auto setup = std::make_unique<PointSetup>(kernel, pt, mask ? &*mask : nullptr, inputs, place);
  setup->prepare();
  return setup;
}

}  // namespace fa
