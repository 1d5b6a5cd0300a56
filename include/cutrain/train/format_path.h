// Python str.format for checkpoint paths: "w.{epoch:02d}-{val_loss:.2f}".
//
// Supports what Keras users write in ModelCheckpoint paths: named fields with
// an optional format spec [[fill]align][sign][0][width][.precision][type],
// types d (integers only, as Python), f F e E g G % and none (a float then
// prints as Python's repr), and {{ }} escapes. A missing name or a bad spec
// throws cutrain::Error naming the pattern.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>

namespace cutrain::train {

using FormatValue = std::variant<int64_t, double>;

std::string format_path(std::string_view pattern, const std::map<std::string, FormatValue>& values);

}  // namespace cutrain::train
