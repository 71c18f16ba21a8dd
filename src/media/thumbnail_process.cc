#include "media/thumbnail_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

namespace myelin::media {
namespace {

constexpr rlim_t kChildMemoryBytes = rlim_t{2} << 30;  // address space of one thumbnailer
constexpr rlim_t kChildCpuSeconds = 20;
constexpr auto kChildWallClock = std::chrono::seconds(30);

}  // namespace

int exit_code_of(ThumbnailError error) { return 10 + static_cast<int>(error); }

std::string default_thumbnailer_path() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "myelin-thumbnailer" : (self.parent_path() / "myelin-thumbnailer").string();
}

std::expected<void, ThumbnailError> thumbnail_in_child(const std::string& program, const std::string& source_path,
                                                       const std::string& output_path, const ThumbnailSpec& spec,
                                                       const ImageLimits& limits) {
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<std::string> args = {program,
                                   source_path,
                                   output_path,
                                   std::to_string(spec.width),
                                   std::to_string(spec.height),
                                   spec.crop ? "crop" : "scale",
                                   spec.animated ? "animated" : "still",
                                   std::to_string(limits.max_pixels),
                                   std::to_string(limits.max_dimension)};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const rlimit memory{kChildMemoryBytes, kChildMemoryBytes}, cpu{kChildCpuSeconds, kChildCpuSeconds};

  const pid_t child = ::fork();
  if (child < 0) return std::unexpected(ThumbnailError::kMalformed);
  if (child == 0) {
    // Nothing of the server's reaches the decoder: no sockets, no files; and it dies with us.
    ::close_range(3, ~0U, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::setrlimit(RLIMIT_AS, &memory);
    ::setrlimit(RLIMIT_CPU, &cpu);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + kChildWallClock;
  while (true) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0) return std::unexpected(ThumbnailError::kMalformed);
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return std::unexpected(ThumbnailError::kMalformed);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!WIFEXITED(status)) return std::unexpected(ThumbnailError::kMalformed);
  const int code = WEXITSTATUS(status);
  if (code == kThumbnailDone) return {};
  for (ThumbnailError error : {ThumbnailError::kUnsupported, ThumbnailError::kTooLarge, ThumbnailError::kMalformed,
                               ThumbnailError::kServeOriginal})
    if (code == exit_code_of(error)) return std::unexpected(error);
  return std::unexpected(ThumbnailError::kMalformed);
}

}  // namespace myelin::media
