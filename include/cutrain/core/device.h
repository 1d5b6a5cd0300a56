// Device: where a tensor lives and where work runs.
//
// Devices are registered by backends (the CPU backend always; the CUDA backend
// when built and a GPU is present). devices() reports what exists, and for an
// absent CUDA device why ("no CUDA device: <driver error text>").
#pragma once

#include <string>
#include <vector>

namespace cutrain {

enum class DeviceType { cpu, cuda };

struct Device {
  DeviceType type = DeviceType::cpu;
  int index = 0;

  static Device cpu() { return {DeviceType::cpu, 0}; }
  static Device cuda(int i = 0) { return {DeviceType::cuda, i}; }
  bool is_cpu() const { return type == DeviceType::cpu; }
  bool is_cuda() const { return type == DeviceType::cuda; }
  bool operator==(const Device&) const = default;
  std::string str() const;  // "cpu", "cuda:0"
  static Device parse(const std::string& s);  // inverse of str(); "cuda" means cuda:0
};

struct DeviceInfo {
  Device device;
  bool available = false;
  std::string name;         // "CPU (2 threads)", "NVIDIA H100 80GB HBM3"
  std::string description;  // memory, compute capability, or why it is unavailable
};

// Every device a backend knows of, available or not, CPU first.
std::vector<DeviceInfo> devices();
bool cuda_available();

}  // namespace cutrain
