#include "cutrain/data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "cutrain/core/error.h"
#include "cutrain/data/decode.h"

namespace cutrain::data {

namespace fs = std::filesystem;

ImageFolderDataset::ImageFolderDataset(const std::string& root, ImageFolderOptions options)
    : limits_(options.limits) {
  CUTRAIN_CHECK(fs::is_directory(root), "image folder ", root, " is not a directory");
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) classes_.push_back(e.path().filename().string());
  }
  std::sort(classes_.begin(), classes_.end());
  CUTRAIN_CHECK(!classes_.empty(), "image folder ", root,
                " has no class folders (expected root/<class>/<image files>)");
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    std::vector<std::string> paths;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(root) / classes_[c])) {
      if (!e.is_regular_file()) continue;
      std::string ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (std::find(options.extensions.begin(), options.extensions.end(), ext) !=
          options.extensions.end()) {
        paths.push_back(e.path().string());
      }
    }
    std::sort(paths.begin(), paths.end());
    for (std::string& p : paths) files_.push_back({std::move(p), static_cast<int32_t>(c)});
  }
  CUTRAIN_CHECK(!files_.empty(), "image folder ", root, " has class folders but no images");
}

Sample ImageFolderDataset::get(int64_t index) const {
  CUTRAIN_CHECK(index >= 0 && index < size(), "ImageFolderDataset: index ", index,
                " out of range for ", size(), " images");
  const File& f = files_[static_cast<std::size_t>(index)];
  return Sample{read_image_file(f.path, limits_), f.label};
}

}  // namespace cutrain::data
