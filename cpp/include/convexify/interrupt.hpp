// Interrupting long loops (Ctrl-C) without knowing anything of Python.
//
// The host (the Python bindings) installs a check that reports whether the user asked to stop; long loops of
// the core call interrupted() between units of work (an iteration, a tile) and stop early when it returns
// true, then throw Interrupted from outside any parallel region (throw_if_interrupted()).  The host is
// consulted only from the thread that called into the core (OpenMP's master thread: CPython runs signal
// handlers only on its main thread) and at most every 20 ms, so a check costs a few nanoseconds.  See
// docs/conventions.md#threads.
#pragma once

#include <exception>

namespace convexify {

// Thrown by a long loop when the host reported an interrupt; the bindings turn it into KeyboardInterrupt.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted by the user (Ctrl-C)"; }
};

// The host's check: true when the computation must stop.  Called with no locks held, from the calling thread.
using InterruptCheck = bool (*)();

// Install the host's check (null: never interrupted).
void set_interrupt_check(InterruptCheck check);

// True once the host reported an interrupt to this thread (polled at most every 20 ms, and only from the
// thread that called into the core, never from OpenMP workers, which always see false).  A loop that sees
// true must stop and end in throw_if_interrupted(), which consumes the interrupt.  In a parallel region, poll
// on the master thread and share the answer through the loop's own flag, or poll between regions.
bool interrupted();

// Throws Interrupted (and clears the flag) if interrupted(); call outside parallel regions.
void throw_if_interrupted();

}  // namespace convexify
