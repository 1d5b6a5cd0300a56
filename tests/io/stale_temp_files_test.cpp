// remove_stale_temp_files: the `*.tmp.<pid>` files of killed writers go,
// those of live processes and everything else stay.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/test_util.h"
#include "cutrain/io/atomic_file.h"

namespace cutrain::io {
namespace {

using testing_util::ScratchDir;
using testing_util::spit;

TEST(StaleTempFiles, RemovesOnlyTheFilesOfDeadWriters) {
  ScratchDir dir("stale_tmp");
  const std::string own = std::to_string(::getpid());
  for (const std::string& name : std::vector<std::string>{"a.safetensors.tmp.999999999", "b.csv.tmp.999999998", "c.safetensors.tmp.1",
        "d.safetensors.tmp." + own, "e.safetensors", "f.tmp.12x", "g.tmp.", ".tmp.999999997"})
    spit(dir.file(name), "x");
  std::vector<std::string> removed = remove_stale_temp_files(dir.path.string(), false);
  std::sort(removed.begin(), removed.end());
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_EQ(removed[0], dir.file("a.safetensors.tmp.999999999"));
  EXPECT_EQ(removed[1], dir.file("b.csv.tmp.999999998"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("a.safetensors.tmp.999999999")));
  for (const char* name : {"c.safetensors.tmp.1", "e.safetensors", "f.tmp.12x", "g.tmp.",
                                 ".tmp.999999997"})
    EXPECT_TRUE(std::filesystem::exists(dir.file(name))) << name;
  // This process's own pid: kept unless asked for.
  EXPECT_TRUE(std::filesystem::exists(dir.file("d.safetensors.tmp." + own)));
  EXPECT_EQ(remove_stale_temp_files(dir.path.string(), true).size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir.file("d.safetensors.tmp." + own)));
  EXPECT_TRUE(remove_stale_temp_files(dir.file("missing"), true).empty());
}

}  // namespace
}  // namespace cutrain::io
