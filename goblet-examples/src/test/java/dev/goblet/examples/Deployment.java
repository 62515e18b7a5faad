package dev.goblet.examples;

/** A web app running in a container on 127.0.0.1; closing it stops the container. */
final class Deployment implements AutoCloseable {
  /** Stops a container. */
  @FunctionalInterface
  interface Stopper {
    void stop() throws Exception;
  }

  private final String baseUrl;
  private final Stopper stopper;

  Deployment(String baseUrl, Stopper stopper) {
    this.baseUrl = baseUrl;
    this.stopper = stopper;
  }

  /** @return {@code http://127.0.0.1:<port>}, the app's root */
  String baseUrl() {
    return baseUrl;
  }

  /** Stops the container; a failure to stop is reported unchecked, as the test is over. */
  @Override
  public void close() {
    try {
      stopper.stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the container", e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the container", e);
    }
  }
}
