// The simulated board: janela_top under Verilator, its UART bridged to a pseudo-terminal.
//
// stdout: exactly one line, "PTY /dev/pts/N", then nothing. stderr: logs, and a line
//   STATS cycles=… quiet_cycles=… bit_cycles=… rx_bytes=… tx_bytes=… rx_bits=… tx_bits=… dropped=… flipped=…
// on SIGUSR1 and at exit (rx = towards the board, tx = from it; bits are 10 per byte;
// quiet cycles: the board had nothing queued, running or being sent, only waited for the host).
//
// Options:
//   --drop P     drop each byte, in either direction, with probability P
//   --flip P     flip one bit of each byte, in either direction, with probability P
//   --seed S     seed of the fault injection (default 1)
//   --trace F    write a waveform to F (needs a build with JANELA_TRACE_FST or _VCD)
//   --gap-ms N   how long (wall clock) a frame may pause mid-way before the board's
//                idle timeout is allowed to see the gap (default 20)
// The bit period is fixed at build time (-DJANELA_BIT_CYCLES, matching the design's
// BIT_CYCLES parameter); sim/launcher.ts builds one model per period.
//
// Time: the pty has no baud rate. The clock runs as fast as the host can simulate while
// there is work; when nothing is pending on the line or inside the design, the harness
// sleeps in poll() and simulated time stands still.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "faults.h"
#include "model.h"
#include "terminal.h"
#include "uart.h"

#ifndef JANELA_BIT_CYCLES
#error "build with -DJANELA_BIT_CYCLES=<the design's BIT_CYCLES>"
#endif

namespace {

constexpr uint32_t kBitCycles = JANELA_BIT_CYCLES;
// Cycles simulated between looks at the pty: short enough for prompt answers, long
// enough that system calls cost little next to the model.
constexpr int kChunkCycles = 256;
constexpr int kIdlePollMs = 50;
// Cycles after the last bit sent before the line counts as idle: the receiver samples the
// stop bit half a bit in, behind a 2-FF synchroniser, and the parser needs a cycle more.
constexpr uint32_t kSettleCycles = 2 * kBitCycles + 4;

volatile sig_atomic_t gStop = 0;
volatile sig_atomic_t gStats = 0;

void onStop(int) { gStop = 1; }
void onStats(int) { gStats = 1; }

void installSignals() {
  struct sigaction action {};
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR, and the loop looks at the flags
  action.sa_handler = onStop;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
  action.sa_handler = onStats;
  sigaction(SIGUSR1, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

struct Options {
  double drop = 0;
  double flip = 0;
  uint64_t seed = 1;
  std::string trace;
  int gapMs = 20;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "harness: %s\nusage: harness [--drop P] [--flip P] [--seed S] [--trace FILE] [--gap-ms N]\n", why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + arg).c_str());
      return argv[++i];
    };
    auto probability = [&]() {
      const std::string v = value();
      char* end = nullptr;
      const double p = std::strtod(v.c_str(), &end);
      if (*end != '\0' || !(p >= 0 && p <= 1)) usage((arg + " takes a probability in 0..1").c_str());
      return p;
    };
    if (arg == "--drop") o.drop = probability();
    else if (arg == "--flip") o.flip = probability();
    else if (arg == "--seed") o.seed = std::strtoull(value().c_str(), nullptr, 0);
    else if (arg == "--trace") o.trace = value();
    else if (arg == "--gap-ms") o.gapMs = std::atoi(value().c_str());
    else usage(("unknown option " + arg).c_str());
  }
  return o;
}

using Clock = std::chrono::steady_clock;

class Bridge {
 public:
  Bridge(const Options& options, janela::Pty& pty, janela::Model& model)
      : options_(options), pty_(pty), model_(model), faults_(options.drop, options.flip, options.seed) {}

  void run() {
    while (!gStop) {
      readInput();
      feedSender();
      for (int i = 0; i < kChunkCycles && !holdTime(); ++i) step();
      writeOutput();
      if (gStats) {
        gStats = 0;
        printStats();
      }
      sleepIfIdle();
    }
  }

  void printStats() const {
    const uint64_t rx = sender_.bytesSent();
    std::fprintf(stderr,
                 "STATS cycles=%llu quiet_cycles=%llu bit_cycles=%u rx_bytes=%llu tx_bytes=%llu rx_bits=%llu tx_bits=%llu "
                 "dropped=%llu flipped=%llu\n",
                 static_cast<unsigned long long>(model_.cycles()), static_cast<unsigned long long>(quietCycles_), kBitCycles,
                 static_cast<unsigned long long>(rx),
                 static_cast<unsigned long long>(txBytes_), static_cast<unsigned long long>(rx * 10),
                 static_cast<unsigned long long>(txBytes_ * 10), static_cast<unsigned long long>(faults_.dropped()),
                 static_cast<unsigned long long>(faults_.flipped()));
    std::fflush(stderr);
  }

 private:
  void readInput() {
    uint8_t buffer[4096];
    for (;;) {
      const ssize_t n = ::read(pty_.master, buffer, sizeof buffer);
      if (n > 0) {
        input_.insert(input_.end(), buffer, buffer + n);
        starvedSince_.reset();
        continue;
      }
      // EAGAIN: nothing to read. EIO: no slave open (cannot happen while we hold one).
      if (n < 0 && errno == EINTR) continue;
      return;
    }
  }

  // Bytes enter the serialiser one at a time, and pass the fault injection on the way.
  void feedSender() {
    while (!input_.empty() && !sender_.pending()) {
      uint8_t byte = input_.front();
      input_.pop_front();
      if (faults_.apply(byte)) sender_.push(byte);
    }
  }

  void step() {
    if (!sender_.pending()) feedSender();
    quietLineCycles_ = sender_.busy() ? 0 : std::min(quietLineCycles_ + 1, kSettleCycles);
    const int tx = model_.cycle(sender_.step());
    if (model_.quiet()) ++quietCycles_;
    uint8_t byte;
    if (receiver_.step(tx, byte)) {
      ++txBytes_;
      if (faults_.apply(byte)) output_.push_back(byte);
    }
  }

  void writeOutput() {
    size_t done = 0;
    bool flushed = false;
    while (done < output_.size()) {
      const ssize_t n = ::write(pty_.master, output_.data() + done, output_.size() - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (!flushed) {
        // The slave's input is full: nobody is reading. Stale answers help no future
        // client, so discard them and carry on.
        pty_.discardUnread();
        flushed = true;
      } else {
        break;
      }
    }
    output_.clear();
  }

  // The line counts as idle once the design's receiver has surely taken the last byte sent.
  bool lineBusy() const {
    return sender_.busy() || quietLineCycles_ < kSettleCycles || !input_.empty() || !receiver_.idle();
  }

  // A frame stopped half way with the design otherwise idle: its rest gets gap-ms of wall
  // time to arrive before simulated time moves on and the board's idle timeout drops it.
  bool gapOpen() {
    if (!model_.receiving()) {
      starvedSince_.reset();
      return false;
    }
    const auto now = Clock::now();
    if (!starvedSince_.active) starvedSince_.start(now);
    return now - starvedSince_.since < std::chrono::milliseconds(options_.gapMs);
  }

  // True when simulated time should stand still: nothing on the line, nothing to do inside.
  bool holdTime() { return !lineBusy() && model_.quiet() && (!model_.receiving() || gapOpen()); }

  void sleepIfIdle() {
    if (!holdTime()) return;
    int timeoutMs = kIdlePollMs;
    if (model_.receiving()) {
      const auto left = options_.gapMs - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - starvedSince_.since).count();
      timeoutMs = static_cast<int>(left < 1 ? 1 : left);
    }
    pollfd fd{pty_.master, POLLIN, 0};
    ::poll(&fd, 1, timeoutMs);
  }

  struct Starved {
    bool active = false;
    Clock::time_point since;
    void start(Clock::time_point t) {
      active = true;
      since = t;
    }
    void reset() { active = false; }
  };

  const Options& options_;
  janela::Pty& pty_;
  janela::Model& model_;
  janela::Faults faults_;
  janela::UartSender sender_{kBitCycles};
  janela::UartReceiver receiver_{kBitCycles};
  std::deque<uint8_t> input_;
  std::vector<uint8_t> output_;
  uint64_t txBytes_ = 0;
  uint32_t quietLineCycles_ = 0;
  uint64_t quietCycles_ = 0;  // cycles with nothing queued, running or being sent
  Starved starvedSince_;
};

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  installSignals();
  try {
    janela::Pty pty;
    janela::Model model;
    if (!options.trace.empty() && !model.trace(options.trace.c_str())) {
      usage("--trace needs a model built with tracing (sim/launcher.ts does this when given a trace file)");
    }
    for (int i = 0; i < 64; ++i) model.cycle(1);  // past the power-on reset before any byte arrives
    std::printf("PTY %s\n", pty.path.c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "harness: serving %s, %u cycles per bit, drop %g flip %g seed %llu\n", pty.path.c_str(), kBitCycles,
                 options.drop, options.flip, static_cast<unsigned long long>(options.seed));
    Bridge bridge(options, pty, model);
    bridge.run();
    bridge.printStats();
    model.close();
    std::fprintf(stderr, "harness: stopped\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "harness: %s\n", e.what());
    return 1;
  }
  return 0;
}
