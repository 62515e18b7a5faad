package dev.goblet.s3;

import dev.goblet.GobletProxy;
import dev.goblet.ServerConfig;
import dev.goblet.servlet.GobletHealthServlet;
import dev.goblet.servlet.GobletServlet;
import dev.goblet.servlet.testing.JettyServer;
import jakarta.servlet.http.HttpServlet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A fleet replica in a JVM of its own, so that a test can kill it the way a machine dies: {@code
 * SIGKILL}, no shutdown hook, no close. The child ({@link #main}) runs a proxy in Jetty with the
 * shared S3 store, prints {@code ready <base URL>}, and answers {@code publish} on its standard
 * input with {@code published}. It halts when its standard input ends, so it cannot outlive the
 * test's JVM even if that is killed; the parent also destroys it from {@link #close} and from a
 * shutdown hook. Not thread-safe: one test thread drives it.
 */
final class ReplicaProcess implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final Process process;
  private final Thread shutdownHook;
  private final Writer commands;
  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
  private final Path log;
  private final String baseUrl;

  private ReplicaProcess(Process process, Thread shutdownHook, Path log) throws Exception {
    this.process = process;
    this.shutdownHook = shutdownHook;
    this.log = log;
    this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readAnswers, "replica-process-stdout");
    reader.setDaemon(true);
    reader.start();
    this.baseUrl = await("ready ").substring("ready ".length());
  }

  /**
   * Starts a replica JVM on the test class path and waits (bounded) until it serves.
   *
   * @param cacheRoot its cache root
   * @param upstream the upstream base URL it may fetch from
   * @param s3 the S3 API server holding the shared store
   * @param location the store's location, {@code s3://<bucket>/<prefix>}
   * @param log where its standard error (its log) goes
   * @return the running replica
   * @throws Exception when it does not start
   */
  static ReplicaProcess start(Path cacheRoot, String upstream, URI s3, String location, Path log)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
        "-cp", classPath, ReplicaProcess.class.getName(),
        cacheRoot.toString(), upstream, s3.toString(), location));
    Process process = new ProcessBuilder(command)
        .redirectError(log.toFile())
        .start();
    Thread hook = new Thread(process::destroyForcibly, "replica-process-kill");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return new ReplicaProcess(process, hook, log);
    } catch (Exception | Error e) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      Runtime.getRuntime().removeShutdownHook(hook);
      throw e;
    }
  }

  /** @return {@code http://127.0.0.1:<port>} */
  String baseUrl() {
    return baseUrl;
  }

  /** @return the child's process id */
  long pid() {
    return process.pid();
  }

  /** Publishes snapshots of the replica's changed mirrors now, waiting (bounded) until done. */
  void publishSnapshotsNow() throws Exception {
    commands.write("publish\n");
    commands.flush();
    await("published");
  }

  /**
   * Closes the replica's standard input, as the death of the test's JVM would, and waits (bounded)
   * until it has exited.
   *
   * @return its exit value
   */
  int closeInputAndAwaitExit() throws Exception {
    commands.close();
    if (!process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
      throw new AssertionError("the replica process " + process.pid() + " outlived its input");
    }
    return process.exitValue();
  }

  /**
   * Kills the replica with {@code SIGKILL} and waits (bounded) until it is gone.
   *
   * @return its exit value (137 for a kill by signal 9)
   */
  int kill() throws Exception {
    process.destroyForcibly(); // SIGKILL on Linux (Process.destroyForcibly)
    if (!process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
      throw new AssertionError("the replica process " + process.pid() + " survived SIGKILL");
    }
    return process.exitValue();
  }

  @Override
  public void close() throws Exception {
    try {
      if (process.isAlive()) {
        kill();
      }
    } finally {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    }
  }

  private void readAnswers() {
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        answers.add(line);
      }
    } catch (IOException e) {
      answers.add("error " + e);
    }
  }

  private String await(String prefix) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      String line = answers.poll(
          Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line != null && line.startsWith(prefix)) {
        return line;
      }
      if (line == null || line.startsWith("error ")) {
        throw new AssertionError("the replica process did not answer '" + prefix + "' ("
            + (process.isAlive() ? "alive" : "exit " + process.exitValue()) + "); its log "
            + log + (line == null ? "" : ": " + line));
      }
    }
  }

  /** @return a replica's configuration: {@code base} with its cache root and the shared store */
  static ServerConfig.Builder configure(
      ServerConfig.Builder base, Path cacheRoot, S3SnapshotStore store) {
    return base.cacheRoot(cacheRoot)
        .snapshotStore(store)
        .storePublishDelay(Duration.ofSeconds(1));
  }

  /** @return a Jetty serving a replica: the readiness endpoint and the Git servlet */
  static JettyServer serve(GobletProxy proxy) throws Exception {
    Map<String, HttpServlet> servlets = new LinkedHashMap<>();
    servlets.put("/healthz", new GobletHealthServlet(proxy));
    servlets.put("/*", new GobletServlet(proxy));
    return JettyServer.start(servlets);
  }

  /**
   * The child: {@code <cacheRoot> <upstream base URL> <s3 endpoint> <store location>}.
   *
   * @param args the arguments
   * @throws Exception when the replica cannot start
   */
  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (S3SnapshotStore store = S3ProxyServer.store(URI.create(args[2]), args[3])) {
      GobletProxy proxy = GobletProxy.create(
          configure(ServerConfig.builder().allowedUpstreams(args[1]), Path.of(args[0]), store)
              .build());
      JettyServer jetty = serve(proxy);
      out.println("ready " + jetty.baseUrl());
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.equals("publish")) {
          proxy.publishSnapshotsNow();
          out.println("published");
        }
      }
    } catch (Throwable e) {
      e.printStackTrace();
      Runtime.getRuntime().halt(1);
    }
    Runtime.getRuntime().halt(0); // the parent is gone: go at once, whatever threads remain
  }
}
