#include "backend/backend.h"

#include "backend/cpu/cpu_backend.h"

namespace ad {

namespace {
thread_local Backend* t_override = nullptr;
}

Backend& cpu_backend() {
  static cpu::CpuBackend backend;
  return backend;
}

Backend& backend_for(Device device) {
  AD_CHECK(device == Device::CPU, "this build has no CUDA backend");
  return t_override ? *t_override : cpu_backend();
}

BackendOverride::BackendOverride(Backend& backend) : previous_(t_override) { t_override = &backend; }
BackendOverride::~BackendOverride() { t_override = previous_; }

}  // namespace ad
