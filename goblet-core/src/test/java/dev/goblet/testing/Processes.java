package dev.goblet.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

/**
 * Plumbing shared by everything that runs a child process: pumping its pipes on their own threads
 * (so that a full pipe never deadlocks the caller) and killing it together with its descendants.
 */
final class Processes {
  private Processes() {}

  /**
   * Reads {@code in} to its end on a new daemon thread, then closes it.
   *
   * @return the bytes read; completes exceptionally if reading fails
   */
  static CompletableFuture<byte[]> readAllAsync(InputStream in, String threadName) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    DaemonThreads.start(
        threadName,
        () -> {
          try (in) {
            result.complete(in.readAllBytes());
          } catch (IOException | RuntimeException e) {
            result.completeExceptionally(e);
          }
        });
    return result;
  }

  /**
   * Writes {@code data} to {@code out} on a new daemon thread, then closes it. A process that exits
   * without reading its input makes the write fail; that is not an error here, the process's exit
   * status tells the story.
   *
   * @return completes when the data was written (or could not be)
   */
  static CompletableFuture<Void> writeAndCloseAsync(OutputStream out, byte[] data, String threadName) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    DaemonThreads.start(
        threadName,
        () -> {
          try (out) {
            out.write(data);
          } catch (IOException | UncheckedIOException ignored) {
            // Broken pipe: the process stopped reading.
          } finally {
            result.complete(null);
          }
        });
    return result;
  }

  /** Kills {@code process} and every process it started, without waiting. */
  static void destroyTree(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }
}
