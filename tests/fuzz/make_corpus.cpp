// Writes the seed corpora under tests/fuzz/corpus/<target>/ with cutrain's
// own writers, so the seeds are valid files of today's formats (checkpoint
// checksums included). Usage: fuzz_make_corpus <corpus dir>.
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cutrain/data/decode.h"
#include "cutrain/io/png.h"
#include "cutrain/io/safetensors.h"
#include "cutrain/io/tensorboard.h"
#include "cutrain/train/checkpoint.h"

namespace fs = std::filesystem;
using namespace cutrain;

namespace {

fs::path root;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(root / target);
  std::ofstream out(root / target / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string gzip(const std::string& s) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, s.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  z.avail_in = static_cast<uInt>(s.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string str(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  root = argv[1];

  // IDX: the first byte tells fuzz_idx whether to gzip the rest.
  std::string images = be32(0x803) + be32(2) + be32(3) + be32(3);
  for (int i = 0; i < 18; ++i) images.push_back(static_cast<char>(i * 13));
  const std::string labels = be32(0x801) + be32(2) + std::string("\x03\x07", 2);
  put("idx", "images_plain", std::string(1, '\0') + images);
  put("idx", "images_gzip_by_target", std::string(1, '\1') + images);
  put("idx", "images_gzip_file", std::string(1, '\0') + gzip(images));
  put("idx", "labels_plain", std::string(1, '\0') + labels);
  put("idx", "labels_gzip_two_members", std::string(1, '\0') + gzip(labels.substr(0, 5)) + gzip(labels.substr(5)));

  // CIFAR-10: two records.
  std::string cifar;
  for (int r = 0; r < 2; ++r) {
    cifar.push_back(static_cast<char>(r * 7));
    for (int i = 0; i < 3072; ++i) cifar.push_back(static_cast<char>((i * 31 + r) & 0xFF));
  }
  put("cifar10", "two_records", cifar);

  // PNG: every channel layout the writer knows.
  for (int c = 1; c <= 4; ++c) {
    std::vector<uint8_t> px(5 * 3 * c);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 17);
    put("png", "c" + std::to_string(c), str(io::encode_png(px.data(), 3, 5, c)));
  }

  // JPEG: gray and RGB, odd sizes.
  for (int c : {1, 3}) {
    data::Image im;
    im.height = 9;
    im.width = 13;
    im.channels = c;
    im.pixels.resize(9 * 13 * c);
    for (size_t i = 0; i < im.pixels.size(); ++i) im.pixels[i] = static_cast<uint8_t>(i * 7);
    put("jpeg", "c" + std::to_string(c), str(data::encode_jpeg(im, 80)));
  }

  // safetensors: several dtypes, a scalar, an empty tensor, metadata.
  io::TensorMap t;
  t["a.weight"] = Tensor::from_vector({2, 3}, {1, -2, 3.5, 0, 7, -1}, DType::f32);
  t["b"] = Tensor::from_vector({3}, {1, 0, 1}, DType::boolean);
  t["c"] = Tensor::from_vector({2}, {-5, 9}, DType::i64);
  t["d"] = Tensor::from_vector({2}, {0.5, -0.25}, DType::f16);
  t["s"] = Tensor::from_vector(Shape{}, {3}, DType::u8);
  t["e"] = Tensor::zeros({0, 2}, DType::f64);
  put("safetensors", "mixed", io::serialize_safetensors(t, {{"k", "v"}}));
  put("safetensors", "empty", io::serialize_safetensors({}, {}));

  // Checkpoint: weights, a BN variance, an optimizer slot, full metadata.
  train::CheckpointState st;
  st.weights["Conv2d_1.weight"] = Tensor::from_vector({2, 1, 1, 2}, {0.1, -0.2, 0.3, 0.4}, DType::f32);
  st.weights["Conv2d_1.BatchNorm.running_var"] = Tensor::from_vector({2}, {1.0, 0.5}, DType::f32);
  st.optimizer["optimizer.Conv2d_1.weight.m"] = Tensor::from_vector({2, 1, 1, 2}, {0, 0.01, 0, 0}, DType::f32);
  st.step = 12;
  st.epoch = 1;
  st.seed = 3;
  st.optimizer_name = "adam";
  st.schedule_steps = 24;
  st.config_json = R"({"input":{"height":8,"width":8,"channels":1,"num_classes":10,"batch_size":4}})";
  const fs::path tmp = fs::temp_directory_path() / ("cutrain_corpus_" + std::to_string(getpid()));
  fs::create_directories(tmp);
  train::save_checkpoint((tmp / "c.safetensors").string(), st);
  put("checkpoint", "small", slurp(tmp / "c.safetensors"));

  // TensorBoard: scalars, a histogram and an image.
  {
    io::EventWriter w((tmp / "tb").string());
    w.add_scalar("epoch_loss", 0.5, 0);
    w.add_scalar("epoch_accuracy", 0.75, 1);
    w.add_histogram("w", std::vector<double>{-1, 0, 0.5, 2}, 1);
    const uint8_t px[4 * 3] = {0, 50, 100, 150, 200, 250, 1, 2, 3, 4, 5, 6};
    w.add_image("img", px, 2, 2, 3, 2);
    put("tensorboard", "events", slurp(w.path()));
  }
  fs::remove_all(tmp);

  // CLI arguments, one per line.
  put("cli", "train", "train\n--model\nsmall_cnn\n--dataset\nsynthetic\n--epochs\n2\n--lr\n0.01\n--lr-schedule\ncosine");
  put("cli", "train_flags", "train\n--class-weight\n0:1.5,3:2\n--seed\n7\n--threads\n2\n--validation-split\n0.2\n--no-flip");
  put("cli", "resume", "train\n--resume\nx.safetensors\n--no-verify\n--schedule-epochs\n3");
  put("cli", "eval", "eval\n--checkpoint\nc.safetensors\n--split\ntrain\n--batch-size\n8");
  put("cli", "predict", "predict\n--checkpoint\nc.safetensors\n--limit\n5\n--output\np.csv");
  put("cli", "version", "--version");
  put("cli", "summary", "summary\n--model\ninception_v3\n--image-size\n75");
  return 0;
}
