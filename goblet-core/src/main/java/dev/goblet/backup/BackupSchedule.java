package dev.goblet.backup;

import dev.goblet.BackupReport;
import dev.goblet.ErrorReporter;
import dev.goblet.RestoreReport;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A proxy's backup life cycle: the restore from backup at start (which decides when the proxy is
 * ready), then a backup every interval. Without a backup store the proxy is ready at once.
 * Thread-safe.
 */
public final class BackupSchedule implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BackupSchedule.class);

  private final Backups backups; // null without a backup store
  private final ErrorReporter errors;
  private final CompletableFuture<RestoreReport> ready = new CompletableFuture<>();
  private final ScheduledExecutorService scheduler; // null without a backup store
  private final boolean ownsScheduler;
  private volatile ScheduledFuture<?> task;

  private BackupSchedule(
      Backups backups,
      ErrorReporter errors,
      ScheduledExecutorService scheduler,
      boolean ownsScheduler) {
    this.backups = backups;
    this.errors = errors;
    this.scheduler = scheduler;
    this.ownsScheduler = ownsScheduler;
  }

  /** @return the schedule of a proxy without a backup store: ready at once, never backing up */
  public static BackupSchedule none() {
    BackupSchedule schedule = new BackupSchedule(null, ErrorReporter.NONE, null, false);
    schedule.ready.complete(RestoreReport.NONE);
    return schedule;
  }

  /**
   * Starts the restore on {@code executor} and schedules the backups.
   *
   * @param backups the backup engine
   * @param executor runs the restore, so that start-up does not block the host
   * @param scheduler runs the periodic backups
   * @param track wraps each scheduled backup run, so that the proxy's close waits for it
   * @param ownsScheduler whether {@link #close()} shuts the scheduler down (never the host's)
   * @param interval the time between backup runs
   * @param errors receives failed restores and backups (guarded)
   * @return the running schedule
   */
  public static BackupSchedule start(
      Backups backups,
      Executor executor,
      ScheduledExecutorService scheduler,
      boolean ownsScheduler,
      UnaryOperator<Runnable> track,
      Duration interval,
      ErrorReporter errors) {
    BackupSchedule schedule = new BackupSchedule(backups, errors, scheduler, ownsScheduler);
    try {
      executor.execute(schedule::restore);
    } catch (RejectedExecutionException e) {
      log.error("cannot restore from backup: the executor refused the task; starting cold", e);
      schedule.ready.complete(RestoreReport.NONE);
    }
    long millis = interval.toMillis();
    try {
      schedule.task =
          scheduler.scheduleWithFixedDelay(
              track.apply(schedule::scheduledBackup), millis, millis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.error("no periodic backups: the scheduler refused the task (backupNow() still works)", e);
    }
    return schedule;
  }

  private void restore() {
    RestoreReport report = RestoreReport.NONE;
    try {
      report = backups.restore();
    } catch (RuntimeException e) {
      log.error("the restore from backup failed; serving without it", e);
      errors.report(null, e);
    } finally {
      ready.complete(report);
      log.info("the restore from backup has finished: the proxy is ready");
    }
  }

  private void scheduledBackup() {
    if (!ready.isDone()) {
      log.info("backup skipped: the restore from backup is still running");
      return;
    }
    try {
      backups.backup();
    } catch (IOException | RuntimeException e) {
      // Never let an exception escape: it would cancel the schedule.
      log.warn("the backup run failed: {}", e.toString());
      errors.report(null, e);
    }
  }

  /** @return whether the restore from backup has finished (at once without a backup store) */
  public boolean isReady() {
    return ready.isDone();
  }

  /** @return completes, with what was restored, when ready; completing it has no effect here */
  public CompletableFuture<RestoreReport> whenReady() {
    return ready.copy();
  }

  /**
   * Runs a backup now, on the calling thread (runs are serialized with the scheduled ones).
   *
   * @return what it did
   * @throws IOException when the mirrors cannot be listed
   * @throws IllegalStateException when no backup store is configured, or the restore is running
   */
  public BackupReport backupNow() throws IOException {
    if (backups == null) {
      throw new IllegalStateException("no backup store is configured");
    }
    if (!ready.isDone()) {
      throw new IllegalStateException("the restore from backup is still running");
    }
    return backups.backup();
  }

  /** Stops backing up; a restore cut short lets its waiters go. */
  @Override
  public void close() {
    if (backups != null) {
      backups.stop();
    }
    ScheduledFuture<?> scheduled = task;
    if (scheduled != null) {
      scheduled.cancel(false);
    }
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    ready.complete(RestoreReport.NONE);
  }
}
