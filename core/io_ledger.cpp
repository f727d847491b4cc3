#include "core/io_ledger.hpp"

#include <algorithm>
#include <utility>

namespace fa {

void IoLedger::launch(std::string kernel) {
  ++launch_;
  kernel_ = std::move(kernel);
}

void IoLedger::reread(const std::string& tensor, bool write, double distinct, double global, double working_set) {
  add(tensor, write, std::min(distinct, global), global, working_set);
}

void IoLedger::add(const std::string& tensor, bool write, double distinct, double global, double working_set) {
  IoTerm t;
  t.launch = launch_;
  t.kernel = kernel_;
  t.tensor = tensor;
  t.write = write;
  t.distinct_bytes = distinct;
  t.global_bytes = global;
  t.reread_working_set = working_set;
  terms_->push_back(std::move(t));
}

}  // namespace fa
