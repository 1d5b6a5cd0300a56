// cutrain train: builds a model, fits it with the Keras-style loop and the
// usual callbacks, then evaluates it on the test split when the data set has one.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "commands.h"
#include "flag_checks.h"
#include "callback_flags.h"
#include "metric_flags.h"
#include "optimizer_flags.h"
#include "precision_flags.h"
#include "cutrain/core/error.h"
#include "cutrain/graph/numerics_check.h"
#include "cutrain/io/atomic_file.h"
#include "cutrain/ops/op.h"
#include "cutrain/train/callbacks/csv_logger.h"
#include "cutrain/train/callbacks/history_plot.h"
#include "cutrain/train/callbacks/model_checkpoint.h"
#include "cutrain/train/callbacks/step_profile.h"
#include "cutrain/train/callbacks/terminate_on_nan.h"
#include "cutrain/train/checkpoint.h"
#include "cutrain/train/image_data.h"
#include "cutrain/train/scalar_writer.h"
#include "cutrain/train/schedules.h"
#include "distributed.h"
#include "interrupt.h"
#include "model_setup.h"
#include "output_paths.h"
#include "sngan.h"
#include "vae.h"

namespace cutrain::cli {

namespace {

struct TrainArgs {
  NetConfig net;
  std::string precision = "fp32";
  std::string dataset = "fashion-mnist";
  std::string data_dir;
  int image_size = 0;  // 0: the data set's native size
  int epochs = 1;
  int schedule_epochs = 0;  // 0: the schedule spans the run (--epochs, --max-steps)
  double lr = 0.001;
  std::string optimizer = "adam";
  std::string schedule = "constant";
  double label_smoothing = 0;
  double aux_weight = 0.4;
  double weight_decay = 4e-5;
  double clip_norm = 0;
  StepFlags step;  // --loss-scale, --clip-value, --accumulate-steps
  bool no_fusion = false;
  bool no_graph_replay = false;
  int streams = 0;
  bool check_numerics = false;
  double ema_decay = 0;
  double validation_split = 0;
  std::string metrics = "accuracy";
  std::string validation_freq = "1";
  CallbackFlags callback;  // --early-stopping, --reduce-lr-on-plateau, --backup-*, --histogram-freq, --write-images
  std::string class_weight;
  std::string checkpoint_dir;
  std::string resume;
  bool no_verify = false;  // --resume without checksum and value checks
  std::string init_from;  // weights of a checkpoint or converted torchvision file (fine-tuning)
  std::string freeze;     // regex of parameters to freeze
  std::string logdir;
  std::string csv;
  std::string device = "auto";
  uint64_t seed = 0;
  int verbose = 1;
  int64_t max_steps = 0;
  int64_t profile_steps = 0;
  int threads = 0;
  bool flip = true;
  bool evaluate_test = true;
  bool validate_on_test = false;
  std::string plot;
  std::string preprocess = "resize";
  int workers = 1;
  int prefetch = 4;
  int64_t steps_per_execution = 1;
  bool lr_given = false;  // --lr was on the command line (models keep their own default otherwise)
  bool distributed = false;
};

// Ends training once the model has made `max` optimizer steps.
class MaxSteps final : public train::Callback {
 public:
  MaxSteps(const train::Model& m, int64_t max) : m_(m), max_(max) {}
  void on_train_batch_end(int64_t, train::Logs&) override {
    if (m_.step() >= max_) model().set_stop_training(true);
  }

 private:
  const train::Model& m_;
  int64_t max_;
};

// Everything train writes, checked before the data is resized and training
// starts; the empty test split too (it would fail only after training).
void check_outputs_writable(const TrainArgs& a, const DataSets& ds) {
  if (!a.checkpoint_dir.empty()) prepare_output_dir(a.checkpoint_dir, "--checkpoint-dir");
  if (!a.callback.backup_dir.empty()) {
    prepare_output_dir(a.callback.backup_dir, "--backup-dir");
    // A backup holds one process's position (its running averages, its
    // batch-norm statistics): resuming N ranks from rank 0's would not be
    // the run that was killed.
    CUTRAIN_CHECK(!a.distributed, "--backup-dir: not supported with --distributed yet (use --checkpoint-dir and "
                  "--resume, which resume at an epoch)");
  }
  if (!a.logdir.empty()) prepare_output_dir(a.logdir, "--logdir");
  if (!a.csv.empty()) check_writable_file(a.csv, "--csv");
  if (!a.plot.empty()) check_writable_file(a.plot, "--plot", /*replaced_atomically=*/true);
  if ((a.evaluate_test || a.validate_on_test) && ds.test)
    CUTRAIN_CHECK(ds.test->size() > 0, "data set '", a.dataset, "' has an empty test split (use --no-test)");
}

train::SchedulePtr make_schedule(const TrainArgs& a, int64_t total_steps, int64_t steps_per_epoch) {
  if (a.schedule == "constant") return train::constant_schedule(a.lr);
  if (a.schedule == "cosine") return train::cosine_decay(a.lr, std::max<int64_t>(total_steps, 1), train::ScheduleUnit::steps);
  if (a.schedule == "exponential")  // the Inception recipe: x0.94 every 2 epochs, staircase
    return train::exponential_decay(a.lr, 0.94, 2 * std::max<int64_t>(steps_per_epoch, 1),
                                    train::ScheduleUnit::steps, true);
  throw Error("unknown --lr-schedule '" + a.schedule + "' (constant, cosine, exponential)");
}

// The learning-rate schedule's length in steps: --schedule-epochs when
// given, else the one a resumed checkpoint recorded (so the resumed run
// continues the schedule it was on, whatever this run's --epochs or
// --max-steps), else the run's own length.
int64_t schedule_length(const TrainArgs& a, const train::CheckpointState& resumed, int64_t run_steps,
                        int64_t steps_per_epoch) {
  if (a.schedule_epochs > 0) return steps_per_epoch * a.schedule_epochs;
  if (!a.resume.empty() && resumed.schedule_steps > 0) {
    if (resumed.schedule_steps != run_steps && a.schedule != "constant")
      std::cout << "resuming the learning-rate schedule of " << resumed.schedule_steps
                << " steps recorded in " << a.resume << " (this run alone would span " << run_steps
                << "; --schedule-epochs sets another)\n";
    return resumed.schedule_steps;
  }
  return run_steps;
}

// A resumed run that has reached --epochs (or --max-steps) says so instead
// of exiting silently.
bool nothing_left_to_do(const TrainArgs& a, const train::Model& model) {
  if (a.resume.empty()) return false;
  const int64_t done = model.epoch() + 1;
  if (done >= a.epochs) {
    std::cout << "nothing to do: " << a.resume << " has finished " << done << " epoch"
              << (done == 1 ? "" : "s") << " and --epochs is " << a.epochs
              << " (the final epoch, as in Keras); pass --epochs " << done + 1
              << " or more to train further\n";
    return true;
  }
  if (a.max_steps > 0 && model.step() >= a.max_steps) {
    std::cout << "nothing to do: " << a.resume << " has made " << model.step()
              << " steps and --max-steps is " << a.max_steps << "\n";
    return true;
  }
  return false;
}

// Temporary files of checkpoint writes that a killed run left behind. Runs
// before this process writes there, so its own pid's files are stale too.
void remove_stale_temp_files(const std::string& dir) {
  for (const std::string& f : io::remove_stale_temp_files(dir, /*include_own_pid=*/true))
    std::cout << "removed " << f << " (left by an interrupted write)\n";
}

// `--model sngan`: the GAN has its own loop (train/gan.h); the common flags
// carry over, --max-steps caps the generator steps of an epoch.
int run_sngan(const TrainArgs& a) {
  SnGanCliOptions o;
  if (!a.data_dir.empty()) o.data_dir = a.data_dir;
  o.epochs = a.epochs;
  if (a.max_steps > 0) o.steps_per_epoch = a.max_steps;
  o.batch_size = a.net.batch_size;
  if (a.lr_given) o.lr = a.lr;
  o.seed = a.seed;
  if (!a.checkpoint_dir.empty()) o.out_dir = a.checkpoint_dir;
  o.logdir = a.logdir;
  o.device = a.device == "auto" ? (cuda_available() ? "cuda" : "cpu") : a.device;
  if (a.dataset != "fashion-mnist") {
    std::cerr << "cutrain train: --model sngan trains on --dataset fashion-mnist only (got '" << a.dataset << "')\n";
    return 2;
  }
  return run_sngan_training(o);
}

// `--model vae`: a VAE on Fashion-MNIST (vae.h) through Model::fit; as for
// sngan, --max-steps caps the steps of an epoch.
int run_vae(const TrainArgs& a) {
  if (a.dataset != "fashion-mnist") {
    std::cerr << "cutrain train: --model vae trains on --dataset fashion-mnist only (got '" << a.dataset << "')\n";
    return 2;
  }
  if (a.threads > 0) train::set_cpu_threads(a.threads);
  VaeCliOptions o;
  if (!a.data_dir.empty()) o.data_dir = a.data_dir;
  o.epochs = a.epochs;
  o.steps_per_epoch = a.max_steps;
  o.batch_size = a.net.batch_size;
  if (a.lr_given) o.lr = a.lr;
  o.seed = a.seed;
  o.checkpoint_dir = a.checkpoint_dir;
  o.device = a.device == "auto" ? (cuda_available() ? "cuda" : "cpu") : a.device;
  o.verbose = a.verbose;
  o.evaluate_test = a.evaluate_test;
  return run_vae_training(o);
}

// --freeze and --init-from, after compile: both need the built graph.
int apply_fine_tuning(const TrainArgs& a, train::Model& model, const train::FreezeReport& frozen) {
  if (!a.freeze.empty()) {
    try {
      model.output_names();  // builds the graph, which freezes
    } catch (const Error& e) {
      std::cerr << "error: --freeze: " << e.what() << "\n";
      return 2;
    }
    std::cout << "freezing " << frozen.frozen.size() << " parameters matching '" << a.freeze << "' ("
              << frozen.bn_inference.size() << " batch norms in inference mode); training "
              << model.parameter_names().size() << "\n";
  }
  if (a.init_from.empty()) return 0;
  try {
    std::cout << train::init_from(model, a.init_from, a.net.num_classes).str() << "\n";
  } catch (const std::exception& e) {
    return file_error(e);
  }
  return 0;
}

int run_train(const TrainArgs& args_in) {
  if (const std::string e = precision_model_error(args_in.net.model, args_in.precision); !e.empty())
    return std::cerr << "cutrain train: " << e << "\n", 2;
  if (args_in.net.model == "sngan") return run_sngan(args_in);
  if (args_in.net.model == "vae") return run_vae(args_in);
  TrainArgs a = args_in;
  if (a.threads > 0) train::set_cpu_threads(a.threads);
  std::map<int64_t, double> class_weight;
  DataSets ds;
  train::CheckpointState resume_state;
  try {
    class_weight = parse_class_weight(a.class_weight);
    ds = load_datasets(a.dataset, a.data_dir, a.seed);
    check_class_weight(class_weight, ds.num_classes);
    // Read before the model is built: the schedule's planned length is in it.
    if (!a.resume.empty()) resume_state = train::load_checkpoint(a.resume, !a.no_verify);
    check_outputs_writable(a, ds);
  } catch (const std::exception& e) {
    return file_error(e);
  }
  a.net.channels = ds.channels;
  a.net.num_classes = ds.num_classes;
  a.net.image_size = a.image_size > 0 ? a.image_size : ds.native_size;
  Device device = parse_device(a.device);

  train::NetworkSpec spec;
  spec.batch_size = a.net.batch_size;
  spec.height = spec.width = a.net.image_size;
  spec.channels = a.net.channels;
  spec.num_classes = a.net.num_classes;
  spec.seed = a.seed;
  std::unique_ptr<train::Model> model_ptr;
  auto freeze_report = std::make_shared<train::FreezeReport>();
  try {
    if (!a.init_from.empty() && !a.resume.empty())
      throw Error("--init-from and --resume exclude each other (--resume continues a run, --init-from starts one)");
    model_ptr = make_model(a.net, spec, a.freeze, freeze_report);
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  train::Model& model = *model_ptr;
  if (a.device == "auto" && device.is_cuda()) {
    // A GPU is present: use it only if every registered op has a CUDA kernel
    // (a CUDA build registers one for each; the gpu tests check it), asked of
    // the op registry rather than of a second model built and differentiated.
    const ops::OpRegistry& registry = ops::OpRegistry::global();
    std::string list;
    for (const std::string& op : registry.names())
      if (!registry.get(op).kernels.count(DeviceType::cuda)) list += (list.empty() ? "" : ", ") + op;
    if (!list.empty()) {
      std::cout << "a GPU is present, but these ops have no CUDA kernel yet: " << list
                << "; training on the CPU\n";
      device = Device::cpu();
    }
  }

  const DistributedRun ranks(a.distributed, device);
  device = ranks.device();
  if (!ranks.root()) a.checkpoint_dir = a.csv = a.plot = a.logdir = "";  // rank 0 writes

  const int64_t n_train = static_cast<int64_t>(
      std::floor(static_cast<double>(ds.train->size()) * (1.0 - a.validation_split)));
  const int64_t per_rank = (n_train + ranks.world_size() - 1) / ranks.world_size();
  // In optimizer updates (--accumulate-steps: one per N batches), what the schedule counts.
  const int64_t steps_per_epoch = optimizer_updates(a.step, (per_rank + a.net.batch_size - 1) / a.net.batch_size);
  int64_t total_steps = steps_per_epoch * a.epochs;
  if (a.max_steps > 0) total_steps = std::min(total_steps, a.max_steps);
  total_steps = schedule_length(a, resume_state, total_steps, steps_per_epoch);

  train::CompileOptions co;
  co.optimizer = train::optimizer_by_name(a.optimizer, make_schedule(a, total_steps, steps_per_epoch));
  co.losses = {train::LossSpec{"sparse_categorical_crossentropy", 1.0, a.label_smoothing}};
  if (a.net.aux_logits)
    co.losses.push_back({"sparse_categorical_crossentropy", a.aux_weight, a.label_smoothing});
  co.metrics = split_metric_names(a.metrics);
  co.weight_decay = a.weight_decay;
  co.clip_global_norm = a.clip_norm;
  co.fusion = !a.no_fusion;
  co.graph_replay = !a.no_graph_replay;
  co.streams = a.streams;
  co.check_numerics = a.check_numerics;
  co.ema_decay = a.ema_decay;
  co.device = device;
  co.precision = graph::precision_from_name(a.precision);
  co.seed = a.seed;
  co.communicator = ranks.communicator();
  co.schedule_steps = total_steps;
  apply_step_flags(a.step, co);
  model.compile(co);
  if (int rc = apply_fine_tuning(a, model, *freeze_report); rc != 0) return rc;

  if (!a.resume.empty()) {
    try {
      model.restore(std::move(resume_state), a.resume);  // read once, above
    } catch (const std::exception& e) {
      return file_error(e);
    }
  }

  if (nothing_left_to_do(a, model)) return 0;

  std::vector<std::shared_ptr<train::Callback>> callbacks;
  // First: its on_train_begin restores the model the others then see.
  const std::shared_ptr<train::BackupAndRestore> backup = make_backup(a.callback);
  if (backup) callbacks.push_back(backup);
  // A run that resumes from a backup continues its CSV log.
  const bool continuing = !a.resume.empty() || (backup && std::filesystem::exists(backup->state_path()));
  if (a.max_steps > 0) callbacks.push_back(std::make_shared<MaxSteps>(model, a.max_steps));
  if (a.profile_steps > 0) callbacks.push_back(std::make_shared<train::StepProfile>(model, a.profile_steps, &std::cout));
  if (!a.checkpoint_dir.empty()) {
    std::filesystem::create_directories(a.checkpoint_dir);
    remove_stale_temp_files(a.checkpoint_dir);
    train::ModelCheckpointOptions mo;
    mo.filepath = (std::filesystem::path(a.checkpoint_dir) / "epoch-{epoch:03d}.safetensors").string();
    mo.verbose = a.verbose > 0 ? 1 : 0;
    callbacks.push_back(std::make_shared<train::ModelCheckpoint>(mo, &std::cout));
  }
  add_plateau_callbacks(a.callback, a.verbose, callbacks);  // before the loggers, which record "learning_rate"
  if (!a.csv.empty()) callbacks.push_back(std::make_shared<train::CSVLogger>(a.csv, ',', continuing));
  if (!a.plot.empty()) callbacks.push_back(std::make_shared<train::HistoryPlot>(a.plot));
  if (!a.logdir.empty()) callbacks.push_back(make_tensorboard(a.logdir, a.callback));

  // Only fit stops at a step boundary; the final evaluation keeps the default action.
  std::optional<SignalGuard> signals;
  signals.emplace();
  callbacks.push_back(std::make_shared<StopOnSignal>(
      a.checkpoint_dir.empty() ? std::string()
                               : (std::filesystem::path(a.checkpoint_dir) / "interrupted.safetensors").string(),
      backup ? std::function<void()>([backup] { backup->backup_now(); }) : std::function<void()>()));

  train::FitOptions fo;
  fo.batch_size = a.net.batch_size;
  fo.epochs = a.epochs;
  fo.verbose = a.verbose;
  fo.validation_split = a.validation_split;
  const ValidationFreq vf = parse_validation_freq(a.validation_freq);
  fo.validation_freq = vf.freq;
  fo.validation_epochs = vf.epochs;
  fo.class_weight = class_weight;
  fo.initial_epoch = model.epoch() + 1;
  fo.seed = a.seed;
  fo.workers = a.workers;
  fo.max_queue_size = a.prefetch;
  fo.steps_per_execution = a.steps_per_execution;
  const auto image_data = [&a](std::shared_ptr<const data::Dataset> d, bool flip) {
    return a.preprocess == "inception" ? train::inception_image_data(std::move(d), a.net.image_size, a.net.channels, flip)
                                       : train::resize_image_data(std::move(d), a.net.image_size, a.net.channels, flip);
  };
  const train::ImageData train_data = image_data(ds.train, a.flip);

  std::cout << "training " << a.net.model << " on " << a.dataset << " (" << ds.train->size() << " images, "
            << a.net.image_size << "x" << a.net.image_size << "x" << a.net.channels << ") on "
            << device.str() << ", batch " << a.net.batch_size;
  if (ranks.enabled()) {
    std::cout << " per rank on " << ranks.world_size() << " ranks (global batch "
              << a.net.batch_size * ranks.world_size() << ")";
  }
  std::cout << ", " << steps_per_epoch << " steps per epoch\n";
  const auto t0 = std::chrono::steady_clock::now();
  train::History h;
  try {
    std::optional<train::ImageData> validation;
    if (a.validate_on_test) {
      if (!ds.test) {
        std::cerr << "cutrain train: --validate-on-test: dataset '" << a.dataset << "' has no test split\n";
        return 2;
      }
      validation = image_data(ds.test, false);
      fo.validation_data = true;
    }
    h = model.fit(train_data, fo, callbacks, validation);
  } catch (const Interrupted& e) {
    std::cerr << "\n" << e.what() << "\n";  // after the progress bar's line
    return e.exit_code();
  } catch (const WriteError& e) {
    // A log that cannot be written (disk full) is a runtime failure (exit 1).
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const graph::NonFiniteValueError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const train::NonFiniteLossError& e) {
    // A diverged run is a runtime failure (exit 1), not bad input.
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const Error& e) {
    // Damaged images surface while batches are built.
    return file_error(e);
  }
  if (const int sig = SignalGuard::pending(); sig != 0) {  // arrived after the last batch
    std::cerr << "interrupted by signal " << sig << " at the end of training\n";
    return 128 + sig;
  }
  signals.reset();
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "trained " << model.step() << " steps in " << train_s << " s\n";
  for (const auto& [key, values] : h.history()) {
    std::cout << "history " << key << ":";
    for (double v : values) std::cout << " " << v;
    std::cout << "\n";
  }
  if (a.evaluate_test && ds.test) {
    train::EvaluateOptions eo;
    eo.batch_size = a.net.batch_size;
    eo.verbose = 0;
    eo.workers = a.workers;
    eo.max_queue_size = a.prefetch;
    const train::Logs test = model.evaluate(image_data(ds.test, false), eo);
    std::cout << "test: " << test.str() << "\n";
  }
  return 0;
}

}  // namespace

void add_train_command(CLI::App& app, std::vector<Command>& commands) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* c = app.add_subcommand("train", "train a model on a data set");
  c->add_option("--model", args->net.model, "inception_v3 | small_cnn | sngan | vae")
      ->check(CLI::IsMember({"inception_v3", "small_cnn", "sngan", "vae"}))
      ->capture_default_str();
  c->add_option("--dataset", args->dataset, "fashion-mnist | cifar10 | folder:PATH | synthetic")->capture_default_str();
  c->add_option("--data-dir", args->data_dir, "folder of the fashion-mnist or cifar10 files (default: the standard place)");
  c->add_option("--image-size", args->image_size, "model input size (default: the data set's size)")
      ->check(integer_in(1, 4096));
  c->add_option("--depth-multiplier", args->net.depth_multiplier, "Inception V3 channel multiplier")
      ->check(finite_above(0))
      ->capture_default_str();
  c->add_option("--bn-decay", args->net.bn_decay, "batch-norm moving-average decay (slim: 0.9997; short runs need less)")
      ->check(finite_in(0, 1))
      ->capture_default_str();
  c->add_flag("--aux-logits,!--no-aux-logits", args->net.aux_logits, "Inception V3 auxiliary head (needs 107+ px)");
  c->add_option("--batch-size", args->net.batch_size, "samples per step")->check(integer_in(1, 65536))->capture_default_str();
  c->add_option("--epochs", args->epochs, "number of epochs")->check(integer_in(1, 100000))->capture_default_str();
  CLI::Option* lr_option = c->add_option("--lr", args->lr, "initial learning rate")->check(finite_at_least(0))->capture_default_str();
  c->add_option("--schedule-epochs", args->schedule_epochs,
                "length of the learning-rate schedule in epochs (default: the run's --epochs, or "
                "--max-steps when shorter; a resumed run keeps its checkpoint's), e.g. --epochs 1 "
                "--schedule-epochs 2 to resume for the second epoch later")
      ->check(integer_in(1, 100000));
  c->add_option("--lr-schedule", args->schedule, "constant | cosine (to 0 over the run) | exponential (x0.94 / 2 epochs)")
      ->check(CLI::IsMember({"constant", "cosine", "exponential"}))
      ->capture_default_str();
  c->add_option("--optimizer", args->optimizer, "sgd | momentum | nesterov | rmsprop | adam | adamw")
      ->check(CLI::IsMember({"sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"}))
      ->capture_default_str();
  c->add_option("--label-smoothing", args->label_smoothing, "label smoothing of the cross-entropy")
      ->check(finite_in(0, 1))->capture_default_str();
  c->add_option("--aux-weight", args->aux_weight, "weight of the auxiliary loss")->check(finite_at_least(0))->capture_default_str();
  c->add_option("--weight-decay", args->weight_decay, "L2 decay wd * sum(w^2) / 2 on conv and dense weights")
      ->check(finite_at_least(0))->capture_default_str();
  c->add_option("--clip-norm", args->clip_norm, "clip gradients by global norm (0: off)")
      ->check(finite_at_least(0))->capture_default_str();
  add_step_flags(*c, args->step);
  c->add_flag("--no-fusion", args->no_fusion, "do not fuse batch norm + ReLU + concat in Inception blocks");
  c->add_option("--streams", args->streams,
                "streams a step is spread over (0: 4 on a GPU; on the CPU 4 with --threads 1, else 1; "
                "History is the same for any count)")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
  c->add_flag("--no-graph-replay", args->no_graph_replay,
              "enqueue every kernel of every step instead of replaying the recorded step (CUDA graphs)");
  c->add_flag("--check-numerics", args->check_numerics,
              "check every op's outputs for NaN/Inf and stop at the first op that makes one, naming it (slower)");
  c->add_option("--ema-decay", args->ema_decay,
                "evaluate with a moving average of the weights of this decay, e.g. 0.9999, with TF's warm-up "
                "min(decay, (1 + step) / (10 + step)); checkpoints also store the averages (0: off)")
      ->check(finite_in(0, 1))->capture_default_str();
  c->add_option("--validation-split", args->validation_split, "fraction of the training data held out (the last samples)")
      ->check(finite_in(0, 0.99))->capture_default_str();
  c->add_option("--metrics", args->metrics,
                "metrics, comma-separated: accuracy, top_k, top5, sparse_categorical_accuracy, precision, recall, "
                "auc, mean_absolute_error, mean_squared_error")
      ->check(metric_names_check())->capture_default_str();
  c->add_option("--validation-freq", args->validation_freq,
                "validate after every Nth epoch, or after the listed 1-based epochs (E1,E2,...)")
      ->check(validation_freq_check())->capture_default_str();
  c->add_option("--class-weight", args->class_weight, "per-class loss weights, e.g. 0:1.0,3:2.5");
  c->add_option("--checkpoint-dir", args->checkpoint_dir, "write a checkpoint every epoch here");
  CLI::Option* backup_dir = add_callback_flags(*c, args->callback);
  // The backup, when there is one, says where to resume.
  backup_dir->excludes(c->add_option("--resume", args->resume,
                                     "continue from this checkpoint (weights, optimizer, step, epoch)"));
  c->add_flag("--no-verify", args->no_verify,
              "--resume without checking the checkpoint's checksums and values (finite weights and "
              "optimizer slots, non-negative batch-norm variances)");
  c->add_option("--init-from", args->init_from,
                "start from the weights of this file (a cutrain checkpoint or a converted torchvision file, "
                "tools/convert_torchvision_inception.py); a classifier of another class count is replaced");
  c->add_option("--freeze", args->freeze,
                "freeze the parameters whose name matches this regex, e.g. '^InceptionV3\\.(Conv2d|Mixed_5)': "
                "no gradient, no optimizer state, their batch norm in inference mode (--resume needs the same)");
  c->add_flag("--torchvision", args->net.torchvision,
              "torchvision's Inception V3 (batch norm with gamma, 3x3 average pools counting padding), "
              "as converted torchvision weights need");
  add_tensorboard_flags(*c, args->callback, c->add_option("--logdir", args->logdir, "TensorBoard log folder"));
  c->add_option("--csv", args->csv, "CSV file of the epoch logs");
  c->add_option("--device", args->device, "cpu | cuda | auto")->capture_default_str();
  add_precision_option(c, args->precision);
  c->add_option("--seed", args->seed, "seed of initialisation, shuffling and augmentation")
      ->check(integer_at_least(0))->capture_default_str();
  c->add_option("-v,--verbose", args->verbose, "0 quiet, 1 progress bar, 2 one line per epoch")
      ->check(integer_in(0, 2))->capture_default_str();
  c->add_option("--max-steps", args->max_steps, "stop after this many optimizer steps (0: no limit)")
      ->check(integer_at_least(0));
  c->add_option("--profile-steps", args->profile_steps,
                "time every kernel of this many training steps (after the first) and print the ops and nodes "
                "that take longest")
      ->check(integer_at_least(0));
  c->add_option("--threads", args->threads, "CPU threads for OpenMP and OpenBLAS (0: library default)")
      ->check(threads_check());
  c->add_flag("--flip,!--no-flip", args->flip, "random horizontal flips while training")->capture_default_str();
  c->add_flag("--test,!--no-test", args->evaluate_test, "evaluate on the test split after training")->capture_default_str();
  c->add_option("--plot", args->plot, "PNG of the training curves (loss and metrics per epoch), rewritten every epoch");
  c->add_flag("--validate-on-test", args->validate_on_test,
              "validate on the test split after every epoch (val_ logs: learning curves against held-out data)");
  c->add_flag("--distributed", args->distributed,
              "data-parallel training under mpirun, one process per GPU (or per CPU): gradients "
              "averaged over the ranks, --batch-size per rank, rank 0 prints and writes files");
  c->add_option("--preprocess", args->preprocess,
                "resize: the whole image resized (small images); inception: slim's preprocessing (random crop "
                "by area 0.05-1 and aspect 3/4-4/3, flip, colour distortion; eval: central crop 0.875)")
      ->check(CLI::IsMember({"resize", "inception"}))
      ->capture_default_str();
  c->add_option("--workers", args->workers,
                "threads that decode, augment and batch images ahead of the step (0: on the training thread); "
                "results do not depend on it")
      ->check(integer_in(0, 256))
      ->capture_default_str();
  c->add_option("--prefetch", args->prefetch, "batches built ahead of the step")
      ->check(integer_in(1, 1024))
      ->capture_default_str();
  c->add_option("--steps-per-execution", args->steps_per_execution,
                "training steps run before their loss and metrics are read (on a GPU: no wait per step); "
                "the same History, batch callbacks once per execution")
      ->check(integer_in(1, 100000))
      ->capture_default_str();
  commands.push_back({c, [args, lr_option] {
                        args->lr_given = lr_option->count() > 0;
                        return run_ranked(args->distributed, [args] { return run_train(*args); });
                      }});
}

}  // namespace cutrain::cli
