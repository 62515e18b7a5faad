package dev.goblet.testing;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A CGI bridge from a JDK {@link HttpExchange} to the native {@code git http-backend}: one process
 * per request, the request body written to its input on its own thread, its CGI headers turned into
 * the HTTP status and headers, and its output streamed to the client.
 *
 * <p>A process is killed when the client goes away mid-response, after {@link #PROCESS_TIMEOUT},
 * and at {@link #close()}. Thread-safe.
 */
final class GitHttpBackend implements AutoCloseable {
  static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(120);

  private final Path projectRoot;
  private final ScheduledExecutorService watchdog =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("http-backend-watchdog"));
  private final Set<Process> running = ConcurrentHashMap.newKeySet();

  GitHttpBackend(Path projectRoot) {
    this.projectRoot = projectRoot.toAbsolutePath();
  }

  /**
   * Serves {@code exchange} with {@code git http-backend}. On return the status line and headers
   * were sent and the body fully streamed; the caller closes the exchange.
   *
   * @param body the request body, already read from the exchange
   * @throws IOException if the process fails or the client goes away; the process is then killed
   */
  void serve(HttpExchange exchange, byte[] body) throws IOException {
    Process process = start(exchange);
    running.add(process);
    ScheduledFuture<?> timeout =
        watchdog.schedule(
            () -> Processes.destroyTree(process), PROCESS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    CompletableFuture<byte[]> stderr =
        Processes.readAllAsync(process.getErrorStream(), "http-backend-stderr");
    boolean completed = false;
    try {
      Processes.writeAndCloseAsync(process.getOutputStream(), body, "http-backend-stdin");
      InputStream output = new BufferedInputStream(process.getInputStream());
      int status = readCgiHeaders(output, exchange.getResponseHeaders());
      exchange.sendResponseHeaders(status, hasBody(status, exchange) ? 0 : -1);
      try (OutputStream responseBody = exchange.getResponseBody()) {
        output.transferTo(responseBody);
      }
      completed = true;
    } finally {
      timeout.cancel(false);
      if (!completed) {
        Processes.destroyTree(process);
      }
      running.remove(process);
      reportErrors(stderr);
    }
  }

  private Process start(HttpExchange exchange) throws IOException {
    ProcessBuilder builder = new ProcessBuilder("git", "http-backend");
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("GIT_"));
    env.put("GIT_CONFIG_NOSYSTEM", "1");
    env.put("LC_ALL", "C");
    env.put("GIT_PROJECT_ROOT", projectRoot.toString());
    env.put("GIT_HTTP_EXPORT_ALL", "1");
    env.put("REQUEST_METHOD", exchange.getRequestMethod());
    env.put("PATH_INFO", exchange.getRequestURI().getPath());
    String query = exchange.getRequestURI().getRawQuery();
    env.put("QUERY_STRING", query == null ? "" : query);
    env.put("REMOTE_ADDR", exchange.getRemoteAddress().getAddress().getHostAddress());
    Headers request = exchange.getRequestHeaders();
    putIfPresent(env, "CONTENT_TYPE", request.getFirst("Content-Type"));
    putIfPresent(env, "CONTENT_LENGTH", request.getFirst("Content-Length"));
    putIfPresent(env, "HTTP_CONTENT_ENCODING", request.getFirst("Content-Encoding"));
    putIfPresent(env, "GIT_PROTOCOL", request.getFirst("Git-Protocol"));
    return builder.start();
  }

  private static void putIfPresent(Map<String, String> env, String name, String value) {
    if (value != null) {
      env.put(name, value);
    }
  }

  /**
   * Reads CGI header lines up to the blank line, copying them to {@code responseHeaders}.
   *
   * @return the status from the {@code Status:} line, 200 if there is none
   */
  private static int readCgiHeaders(InputStream output, Headers responseHeaders) throws IOException {
    int status = 200;
    for (String line = readLine(output); !line.isEmpty(); line = readLine(output)) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IOException("malformed CGI header from git http-backend: " + line);
      }
      String name = line.substring(0, colon).strip();
      String value = line.substring(colon + 1).strip();
      if (name.equalsIgnoreCase("Status")) {
        status = Integer.parseInt(value.split(" ", 2)[0]);
      } else {
        responseHeaders.add(name, value);
      }
    }
    return status;
  }

  /** @return one line without its CR LF or LF; end of stream before a line ends is an error */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("git http-backend ended before its CGI headers did");
      }
      line.write(b);
    }
    String text = line.toString(StandardCharsets.ISO_8859_1);
    return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
  }

  private static boolean hasBody(int status, HttpExchange exchange) {
    return status != 204
        && status != 304
        && !exchange.getRequestMethod().toUpperCase(Locale.ROOT).equals("HEAD");
  }

  /** Shows whatever git http-backend complained about in the test's output. */
  private static void reportErrors(CompletableFuture<byte[]> stderr) {
    stderr.thenAccept(bytes -> {
      String text = new String(bytes, StandardCharsets.UTF_8).strip();
      if (!text.isEmpty()) {
        System.err.println("git http-backend: " + text);
      }
    });
  }

  /** Kills every running {@code git http-backend} process and stops the watchdog. */
  @Override
  public void close() {
    watchdog.shutdownNow();
    running.forEach(Processes::destroyTree);
    running.clear();
  }
}
