// All-reduce throughput of the communicator, run under mpirun:
//   mpirun -np 2 build/bench/allreduce_bench
// Every rank runs every benchmark for the same fixed number of iterations
// (adaptive counts would differ between ranks and mismatch the collectives);
// rank 0 reports. Sizes: small messages (latency), DDP's 25 MiB bucket, and
// Inception V3's whole gradient (23.8 M parameters, 95 MB in f32). Counters:
// bytes_per_second is the algorithm bandwidth (message size / time), busbw the
// bus bandwidth NCCL's tests report (x 2(N-1)/N for a ring all-reduce), and
// the memcpy of the same message beside it bounds what shared memory can move.
// Raw blocking MPI_Allreduce runs beside ours: the cost of our polling (which
// gives every collective its deadline) is the difference.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <cstring>
#include <vector>

#include "cutrain/dist/communicator.h"

namespace {

using namespace cutrain;

std::shared_ptr<dist::Communicator>& world() {
  static std::shared_ptr<dist::Communicator> w =
      dist::launched_by_mpi() ? dist::mpi_world() : dist::make_local_communicator();
  return w;
}

int iterations_for(int64_t bytes) { return bytes >= (int64_t{16} << 20) ? 10 : bytes >= (1 << 20) ? 50 : 500; }

void BM_AllReduceSum(benchmark::State& state) {
  dist::Communicator& w = *world();
  const int64_t bytes = state.range(0);
  Tensor t = Tensor::full({bytes / 4}, DType::f32, 1.0);
  const Stream s = Stream::create(Device::cpu());
  w.barrier(s);
  s.synchronize();
  for (auto _ : state) {
    w.all_reduce(t, dist::ReduceOp::sum, s);
    s.synchronize();
  }
  const int n = w.world_size();
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["ranks"] = n;
  state.counters["busbw"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(bytes) * 2.0 * (n - 1) / n,
      benchmark::Counter::kIsRate);
}

void BM_RawMpiAllreduce(benchmark::State& state) {
  dist::Communicator& w = *world();  // initializes MPI
  const int64_t bytes = state.range(0);
  std::vector<float> v(static_cast<std::size_t>(bytes / 4), 1.0f);
  MPI_Barrier(MPI_COMM_WORLD);
  for (auto _ : state) {
    if (MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_FLOAT, MPI_SUM,
                      MPI_COMM_WORLD) != MPI_SUCCESS) {
      state.SkipWithError("MPI_Allreduce failed");
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["ranks"] = w.world_size();
}

void BM_Memcpy(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  std::vector<char> a(bytes, 1), b(bytes);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), bytes);
    benchmark::DoNotOptimize(b.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}

void register_all() {
  for (int64_t bytes : {int64_t{4} << 10, int64_t{256} << 10, int64_t{4} << 20, int64_t{25} << 20,
                        int64_t{95'300'000} / 4 * 4}) {
    benchmark::RegisterBenchmark("AllReduceSumF32", BM_AllReduceSum)
        ->Arg(bytes)
        ->Iterations(iterations_for(bytes))
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    if (dist::launched_by_mpi()) {
      benchmark::RegisterBenchmark("RawMpiAllreduceF32", BM_RawMpiAllreduce)
          ->Arg(bytes)
          ->Iterations(iterations_for(bytes))
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark("Memcpy", BM_Memcpy)
        ->Arg(bytes)
        ->Iterations(iterations_for(bytes))
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
}

// Ranks other than 0 run the same benchmarks silently.
class Silent final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  register_all();
  if (world()->is_root()) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    Silent silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  benchmark::Shutdown();
  return 0;
}
