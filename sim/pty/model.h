// The Verilated janela_top with its clock, and the two status signals the top exports
// for simulation (sim_quiet, sim_receiving). Shared by the pty harness and the link testbench.
#pragma once

#include <cstdint>
#include <memory>

#include "Vjanela_top.h"
#include "Vjanela_top___024root.h"
#include "verilated.h"

#if defined(JANELA_TRACE_FST)
#include "verilated_fst_c.h"
using JanelaTrace = VerilatedFstC;
#elif defined(JANELA_TRACE_VCD)
#include "verilated_vcd_c.h"
using JanelaTrace = VerilatedVcdC;
#endif

namespace janela {

class Model {
 public:
  explicit Model(int argc = 0, char** argv = nullptr) : context_(new VerilatedContext) {
    context_->commandArgs(argc, argv);
    top_.reset(new Vjanela_top{context_.get()});
    top_->clk = 0;
    top_->uart_rx = 1;
    top_->eval();
  }

  ~Model() { close(); }

  // Starts writing a waveform (only in builds with JANELA_TRACE_FST / JANELA_TRACE_VCD).
  bool trace(const char* path) {
#if defined(JANELA_TRACE_FST) || defined(JANELA_TRACE_VCD)
    context_->traceEverOn(true);
    trace_.reset(new JanelaTrace);
    top_->trace(trace_.get(), 99);
    trace_->open(path);
    return true;
#else
    (void)path;
    return false;
#endif
  }

  // One full clock cycle with uart_rx at `rx`; returns uart_tx after the rising edge.
  int cycle(int rx) {
    top_->uart_rx = rx;
    top_->clk = 0;
    top_->eval();
    dump();
    top_->clk = 1;
    top_->eval();
    dump();
    ++cycles_;
    return top_->uart_tx;
  }

  uint64_t cycles() const { return cycles_; }
  int tx() const { return top_->uart_tx; }
  unsigned leds() const { return top_->led; }
  bool quiet() const { return top_->rootp->janela_top__DOT__sim_quiet; }
  bool receiving() const { return top_->rootp->janela_top__DOT__sim_receiving; }

  void close() {
    if (closed_) return;
    closed_ = true;
    top_->final();
#if defined(JANELA_TRACE_FST) || defined(JANELA_TRACE_VCD)
    if (trace_) trace_->close();
#endif
  }

 private:
  void dump() {
#if defined(JANELA_TRACE_FST) || defined(JANELA_TRACE_VCD)
    if (trace_) trace_->dump(context_->time());
    context_->timeInc(1);
#endif
  }

  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Vjanela_top> top_;
#if defined(JANELA_TRACE_FST) || defined(JANELA_TRACE_VCD)
  std::unique_ptr<JanelaTrace> trace_;
#endif
  uint64_t cycles_ = 0;
  bool closed_ = false;
};

}  // namespace janela
