package dev.goblet.examples.bench;

import java.time.Duration;
import java.util.Arrays;

/** Measured durations and their percentiles. */
final class Samples {
  private final long[] nanos;

  private Samples(long[] nanos) {
    this.nanos = nanos.clone();
    Arrays.sort(this.nanos);
  }

  static Samples of(long[] nanos) {
    return new Samples(nanos);
  }

  /** Times {@code runs} calls of {@code action}. */
  static Samples time(int runs, ThrowingRunnable action) throws Exception {
    long[] nanos = new long[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      action.run();
      nanos[i] = System.nanoTime() - start;
    }
    return new Samples(nanos);
  }

  /** An action that may throw. */
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  Duration percentile(double p) {
    int index = (int) Math.ceil(p / 100.0 * nanos.length) - 1;
    return Duration.ofNanos(nanos[Math.max(0, Math.min(nanos.length - 1, index))]);
  }

  Duration median() {
    return percentile(50);
  }

  int count() {
    return nanos.length;
  }

  static String millis(Duration d) {
    double ms = d.toNanos() / 1e6;
    return ms < 10 ? String.format("%.3f ms", ms) : String.format("%.0f ms", ms);
  }
}
