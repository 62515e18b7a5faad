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

  @Override
  public void close() throws Exception {
    stopper.stop();
  }
}
