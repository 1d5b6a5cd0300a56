// CSVLogger checks every write: a full disk is an error naming the file and
// the errno text, not a silently empty log.
#include <gtest/gtest.h>

#include <string>
#include <unistd.h>

#include "cutrain/core/error.h"
#include "cutrain/train/callbacks/csv_logger.h"

using namespace cutrain;
using namespace cutrain::train;

TEST(CSVLogger, FullDiskIsAWriteErrorNamingTheFile) {
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no writable /dev/full";
  CSVLogger log("/dev/full");
  Logs none;
  log.on_train_begin(none);
  Logs epoch{{"loss", 0.5}};
  try {
    log.on_epoch_end(0, epoch);
    FAIL() << "a row written to /dev/full did not fail";
  } catch (const WriteError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("/dev/full"), std::string::npos) << m;
    EXPECT_NE(m.find("No space left on device"), std::string::npos) << m;
  }
}

TEST(CSVLogger, UnwritablePathNamesTheFile) {
  CSVLogger log("/nonexistent/folder/log.csv");
  Logs none;
  try {
    log.on_train_begin(none);
    FAIL() << "opening a CSV log in a missing folder did not fail";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("/nonexistent/folder/log.csv"), std::string::npos) << m;
    EXPECT_NE(m.find("No such file or directory"), std::string::npos) << m;
  }
}
