// Script-driven testbench for janela_top (test/support/linkTb.ts writes the scripts).
// Reads commands from stdin, drives uart_rx bit by bit, decodes uart_tx, and prints
//   TX <cycle> <byte hex>      for each byte the design sends
//   LEDS <cycle> <value>       on `leds`
//   DRAINED <cycle> | STUCK <cycle>  on `drain`
//   END <cycle>
// Commands:
//   send HH HH ...   queue bytes (8N1) on uart_rx, back to back
//   badstop HH       queue a byte whose stop bit is low (framing error)
//   period P         bit period of the sender in cycles (may be fractional: baud error)
//   idle N           wait until the sender is done, then keep the line high N bit times
//   low N            wait until the sender is done, then hold the line low N cycles
//   run N            run N cycles
//   drain            run until nothing is being sent, received, queued or executed
//   leds             print the LEDs
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include "model.h"
#include "uart.h"

#ifndef JANELA_BIT_CYCLES
#error "build with -DJANELA_BIT_CYCLES=<the design's BIT_CYCLES>"
#endif

namespace {

constexpr uint32_t kBitCycles = JANELA_BIT_CYCLES;
constexpr uint64_t kDrainLimit = 20'000'000;

struct Bench {
  janela::Model model;
  janela::UartSender sender{kBitCycles};
  janela::UartReceiver receiver{kBitCycles};

  void step(int forced = -1) {
    const int line = forced >= 0 ? forced : sender.step();
    const int tx = model.cycle(line);
    uint8_t byte;
    if (receiver.step(tx, byte)) std::printf("TX %llu %02x\n", static_cast<unsigned long long>(model.cycles()), byte);
  }

  void finishSending() {
    while (sender.busy()) step();
  }
};

}  // namespace

int main() {
  Bench bench;
  for (int i = 0; i < 64; ++i) bench.step();  // past the power-on reset

  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string command;
    if (!(in >> command)) continue;
    if (command == "send") {
      std::string hex;
      while (in >> hex) bench.sender.push(static_cast<uint8_t>(std::stoul(hex, nullptr, 16)));
    } else if (command == "badstop") {
      std::string hex;
      in >> hex;
      bench.sender.push(static_cast<uint8_t>(std::stoul(hex, nullptr, 16)), false);
    } else if (command == "period") {
      double period = kBitCycles;
      in >> period;
      bench.sender.setPeriod256(static_cast<uint32_t>(period * 256.0 + 0.5));
    } else if (command == "idle") {
      uint64_t bits = 0;
      in >> bits;
      bench.finishSending();
      for (uint64_t i = 0; i < bits * kBitCycles; ++i) bench.step();
    } else if (command == "low") {
      uint64_t cycles = 0;
      in >> cycles;
      bench.finishSending();
      for (uint64_t i = 0; i < cycles; ++i) bench.step(0);
    } else if (command == "run") {
      uint64_t cycles = 0;
      in >> cycles;
      for (uint64_t i = 0; i < cycles; ++i) bench.step();
    } else if (command == "drain") {
      uint64_t spent = 0;
      // Quiet must hold for a whole byte time, so a response about to start is not missed.
      uint64_t calm = 0;
      while (calm < 12 * kBitCycles && spent < kDrainLimit) {
        bench.step();
        ++spent;
        const bool still = !bench.sender.busy() && bench.receiver.idle() && bench.model.quiet() && !bench.model.receiving();
        calm = still ? calm + 1 : 0;
      }
      std::printf("%s %llu\n", calm >= 12 * kBitCycles ? "DRAINED" : "STUCK", static_cast<unsigned long long>(bench.model.cycles()));
    } else if (command == "leds") {
      std::printf("LEDS %llu %u\n", static_cast<unsigned long long>(bench.model.cycles()), bench.model.leds());
    } else {
      std::fprintf(stderr, "linkTb: unknown command '%s'\n", command.c_str());
      return 2;
    }
  }
  std::printf("END %llu\n", static_cast<unsigned long long>(bench.model.cycles()));
  bench.model.close();
  return 0;
}
