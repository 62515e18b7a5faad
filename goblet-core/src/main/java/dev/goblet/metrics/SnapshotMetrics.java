package dev.goblet.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import dev.goblet.snapshot.SnapshotListener;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The snapshot tier's metrics, under {@code <prefix>.snapshots.}: {@code published}, {@code
 * publish-failures}, {@code published-bytes} (meter), {@code publish} (timer), {@code restored},
 * {@code restore-failures}, {@code restored-bytes} (meter), {@code restore} (timer), {@code
 * ls-refs-written}, and the gauge {@code last-published-epoch-seconds} (0 before the first). Per
 * repository times are in the admin API ({@code GobletProxy#snapshotStatuses()}), not in metric
 * names. Thread-safe.
 */
public final class SnapshotMetrics implements SnapshotListener {
  private final Counter published;
  private final Counter publishFailures;
  private final Meter publishedBytes;
  private final Timer publish;
  private final Counter restored;
  private final Counter restoreFailures;
  private final Meter restoredBytes;
  private final Timer restore;
  private final Counter lsRefsWritten;
  private volatile long lastPublishedSeconds;

  /**
   * @param registry the registry
   * @param prefix the proxy's metric prefix
   */
  public SnapshotMetrics(MetricRegistry registry, String prefix) {
    published = registry.counter(MetricRegistry.name(prefix, "snapshots.published"));
    publishFailures = registry.counter(MetricRegistry.name(prefix, "snapshots.publish-failures"));
    publishedBytes = registry.meter(MetricRegistry.name(prefix, "snapshots.published-bytes"));
    publish = registry.timer(MetricRegistry.name(prefix, "snapshots.publish"));
    restored = registry.counter(MetricRegistry.name(prefix, "snapshots.restored"));
    restoreFailures = registry.counter(MetricRegistry.name(prefix, "snapshots.restore-failures"));
    restoredBytes = registry.meter(MetricRegistry.name(prefix, "snapshots.restored-bytes"));
    restore = registry.timer(MetricRegistry.name(prefix, "snapshots.restore"));
    lsRefsWritten = registry.counter(MetricRegistry.name(prefix, "snapshots.ls-refs-written"));
    registry.gauge(
        MetricRegistry.name(prefix, "snapshots.last-published-epoch-seconds"),
        () -> (Gauge<Long>) () -> lastPublishedSeconds);
  }

  @Override
  public void published(String key, long bytesUploaded, Duration took) {
    published.inc();
    publishedBytes.mark(bytesUploaded);
    publish.update(took.toNanos(), TimeUnit.NANOSECONDS);
    lastPublishedSeconds = System.currentTimeMillis() / 1000;
  }

  @Override
  public void publishFailed(String key) {
    publishFailures.inc();
  }

  @Override
  public void restored(String key, long bytes, Duration took) {
    restored.inc();
    restoredBytes.mark(bytes);
    restore.update(took.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void restoreFailed(String key) {
    restoreFailures.inc();
  }

  @Override
  public void lsRefsWritten(String key) {
    lsRefsWritten.inc();
  }
}
