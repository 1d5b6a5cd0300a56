// A folder of class folders of JPEG/PNG images (the torchvision ImageFolder
// layout): root/<class>/<file>. Classes are the sorted folder names, labels
// their indices; files are sorted within a class. Images are decoded in get()
// (on loader workers) to 8-bit RGB.
#pragma once

#include <string>
#include <vector>

#include "cutrain/data/dataset.h"
#include "cutrain/data/image.h"

namespace cutrain::data {

struct ImageFolderOptions {
  // Lower-case file extensions taken as images; other files are skipped.
  std::vector<std::string> extensions = {".jpg", ".jpeg", ".png"};
  ImageLimits limits;  // per decoded image
};

class ImageFolderDataset final : public Dataset {
 public:
  // Throws cutrain::Error if root is missing or holds no class folder with images.
  explicit ImageFolderDataset(const std::string& root, ImageFolderOptions options = {});

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  // Decodes file `index`; corrupt or truncated files throw, naming the file.
  Sample get(int64_t index) const override;
  std::vector<std::string> class_names() const override { return classes_; }

  const std::string& path(int64_t index) const { return files_.at(index).path; }

 private:
  struct File {
    std::string path;
    int32_t label;
  };
  std::vector<std::string> classes_;
  std::vector<File> files_;
  ImageLimits limits_;
};

}  // namespace cutrain::data
