package dev.goblet.repository;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * Cancels one upstream fetch that stopped making progress: every {@code window} the fetch must
 * have received at least {@link #MIN_BYTES_PER_WINDOW} bytes from the upstream, else its next read
 * fails with a {@link StalledException}. A steadily moving fetch, even a slow one, is never cut;
 * an upstream computing a big pack sends progress lines (tens of bytes a second), which count. A
 * silent upstream is ended by the transport's own read timeout; a trickling one (a few bytes a
 * second) here: a {@link #tick} (once a second, from the proxy's watchdog thread) that finds the
 * window over aborts the fetch's open connections, so even a read blocked on a trickling header
 * ends within about {@code window} plus a second. Thread-safe.
 */
final class FetchWatchdog {
  /** The least a fetch must receive in each window to count as moving. */
  static final long MIN_BYTES_PER_WINDOW = 1024;

  /** The read that found the fetch stalled. */
  static final class StalledException extends IOException {
    private static final long serialVersionUID = 1L;

    StalledException(String message) {
      super(message);
    }
  }

  private final long windowNanos;
  private final LongSupplier nanoTime;
  private long windowStart;
  private long bytesInWindow;
  private boolean stalled;
  private final List<Runnable> aborts = new CopyOnWriteArrayList<>();

  /**
   * @param window how long a fetch may go below the minimum before it is cancelled
   * @param nanoTime a monotonic clock
   */
  FetchWatchdog(Duration window, LongSupplier nanoTime) {
    this.windowNanos = window.toNanos();
    this.nanoTime = nanoTime;
    this.windowStart = nanoTime.getAsLong();
  }

  /**
   * @param bytes bytes just received (zero to only check)
   * @throws StalledException when the fetch is stalled
   */
  void received(long bytes) throws StalledException {
    if (account(bytes)) {
      throw new StalledException(reason());
    }
  }

  /** @return why a stalled fetch was cancelled, safe to show a user */
  String reason() {
    return "the upstream sent less than " + MIN_BYTES_PER_WINDOW + " bytes in "
        + Duration.ofNanos(windowNanos).toSeconds() + "s; the fetch was cancelled as stalled";
  }

  /** Checks the window without a read; aborts the fetch's connections once it is stalled. */
  void tick() {
    account(0);
  }

  /** @param abort run once when the fetch is found stalled, such as closing a connection */
  void onStall(Runnable abort) {
    aborts.add(abort);
    if (isStalled()) {
      abort.run();
    }
  }

  /** @return whether the fetch is stalled */
  private boolean account(long bytes) {
    boolean newlyStalled = false;
    synchronized (this) {
      if (!stalled) {
        bytesInWindow += Math.max(0, bytes);
        long now = nanoTime.getAsLong();
        if (now - windowStart >= windowNanos) {
          if (bytesInWindow < MIN_BYTES_PER_WINDOW) {
            stalled = true;
            newlyStalled = true;
          } else {
            windowStart = now;
            bytesInWindow = 0;
          }
        }
      }
    }
    if (newlyStalled) {
      aborts.forEach(Runnable::run);
    }
    return isStalled();
  }

  /**
   * Starts a new window for a new upstream answer, so that the proxy's own work between two
   * requests of one fetch never counts against the upstream.
   */
  synchronized void newAnswer() {
    windowStart = nanoTime.getAsLong();
    bytesInWindow = 0;
  }

  /** @return whether the fetch has been found stalled */
  synchronized boolean isStalled() {
    return stalled;
  }

  /**
   * @param in an upstream answer
   * @return the answer, counting its bytes and failing once the fetch is stalled
   */
  InputStream watch(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        received(b < 0 ? 0 : 1);
        return b;
      }

      @Override
      public int read(byte[] buffer, int off, int len) throws IOException {
        int n = super.read(buffer, off, len);
        received(Math.max(0, n));
        return n;
      }
    };
  }
}
