#pragma once
// The message of the fa::UsageError that `f` throws; fails the test if it throws nothing (or
// something else). Shared by the tests of every input that must be refused with exit code 2.
#include <catch2/catch.hpp>
#include <string>

#include "core/errors.hpp"

namespace fa::testing {

template <typename F>
std::string usage_message(F&& f) {
  try {
    f();
  } catch (const fa::UsageError& e) {
    return e.what();
  }
  FAIL("expected a fa::UsageError");
  return {};
}

}  // namespace fa::testing
