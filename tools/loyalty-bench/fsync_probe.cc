// fsync-probe: measures how long the disk takes to make a small write
// durable, the way RocksDB syncs its WAL: append 4 KiB, then fdatasync.
//
// Usage: fsync-probe FILE SECONDS [INTERVAL_MS]
// Syncs once every INTERVAL_MS (default 10; 0 = back to back) for SECONDS,
// then prints one line: "fdatasync_us count=N p50=.. p90=.. p99=.. max=..".
// The file is created, truncated, and removed at the end. A gentle interval
// keeps the probe from competing much with the process being measured.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr size_t kWriteBytes = 4096;
constexpr size_t kMaxSamples = 1000000;  // bounds memory: 8 MB
constexpr off_t kWrapBytes = 64 << 20;   // rewrite from 0 past 64 MiB

int64_t Micros(std::chrono::steady_clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
}

int64_t At(const std::vector<int64_t>& sorted, double fraction) {
  const size_t index = static_cast<size_t>(fraction * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: fsync-probe FILE SECONDS [INTERVAL_MS]\n");
    return 2;
  }
  const char* path = argv[1];
  const double seconds = std::atof(argv[2]);
  const int interval_ms = argc > 3 ? std::atoi(argv[3]) : 10;
  const int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
  if (fd < 0) {
    std::perror(path);
    return 2;
  }
  std::vector<char> block(kWriteBytes, 'x');
  std::vector<int64_t> samples;
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
  off_t offset = 0;
  while (std::chrono::steady_clock::now() < end && samples.size() < kMaxSamples) {
    const auto start = std::chrono::steady_clock::now();
    if (pwrite(fd, block.data(), block.size(), offset) !=
            static_cast<ssize_t>(block.size()) ||
        fdatasync(fd) != 0) {
      std::perror("write or fdatasync");
      return 2;
    }
    samples.push_back(Micros(std::chrono::steady_clock::now() - start));
    offset = (offset + static_cast<off_t>(kWriteBytes)) % kWrapBytes;
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  close(fd);
  unlink(path);
  if (samples.empty()) return 2;
  std::sort(samples.begin(), samples.end());
  std::printf("fdatasync_us count=%zu p50=%lld p90=%lld p99=%lld max=%lld\n",
              samples.size(), static_cast<long long>(At(samples, 0.50)),
              static_cast<long long>(At(samples, 0.90)),
              static_cast<long long>(At(samples, 0.99)),
              static_cast<long long>(samples.back()));
  return 0;
}
