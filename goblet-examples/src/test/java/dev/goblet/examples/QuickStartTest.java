package dev.goblet.examples;

import static dev.goblet.examples.ExampleClients.assertClonedMain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.testing.UpstreamRepo;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's quick start, followed literally: in a fresh copy of the project (no build output,
 * nothing of it installed), the README's run command with {@code -Dgoblet.*} settings on the same
 * line starts the example proxy; {@code git}, configured with the README's {@code insteadOf} line,
 * then clones an upstream URL through it.
 *
 * <p>Runs the same Maven as the build running this test (its {@code maven.home}), offline when that
 * build is offline. The Maven process is stopped (SIGTERM, then killed) whatever happens.
 */
class QuickStartTest extends UpstreamTestBase {
  /** The README's run command. Keep the two in step. */
  static final String RUN_COMMAND = "mvn -pl goblet-examples -am jetty:run";

  private static final Duration STARTUP_LIMIT = Duration.ofMinutes(10);
  private static final Duration SHUTDOWN_LIMIT = Duration.ofMinutes(1);
  private static final Set<String> NOT_IN_A_FRESH_CLONE = Set.of(".git", "target");
  private static final int LOG_TAIL_LINES = 80;

  /** The README's admin token setting: the token's name, never the token. Keep them in step. */
  static final String ADMIN_TOKEN_SETTING = "goblet.adminToken=env:GOBLET_ADMIN_TOKEN";

  private static final String ADMIN_TOKEN_VARIABLE = "GOBLET_ADMIN_TOKEN";
  private static final String ADMIN_TOKEN = "quick-start-admin-token-6f1a";

  @Test
  void theReadmeRunCommandServesAClone() throws Exception {
    UpstreamRepo repo = harness.newRepo("team/project");
    Path project = freshCopy(projectRoot(), tmp.resolve("project"));
    Path cacheRoot = tmp.resolve("cache");
    Path log = tmp.resolve("mvn.log");
    int port = freePort();
    String upstream = harness.upstream().baseUrl();

    List<String> command = mavenCommand();
    command.add("-Dgoblet.port=" + port);
    command.add("-Dgoblet.upstreams=" + upstream);
    command.add("-Dgoblet.cacheRoot=" + cacheRoot);
    command.add("-D" + ADMIN_TOKEN_SETTING);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(project.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put(ADMIN_TOKEN_VARIABLE, ADMIN_TOKEN);
    Process maven = builder.start();
    try {
      awaitAnswer(port, maven, String.join(" ", command), log);

      // The README's client setup, for this upstream instead of github.com.
      String authority = URI.create(upstream).getAuthority();
      git.runOk(tmp, "config", "--global",
          "url.http://localhost:" + port + "/" + authority + "/.insteadOf", upstream + "/");
      Path clone = harness.dir("clone");
      git.runOk(tmp, "clone", upstream + "/team/project", clone.toString());

      assertClonedMain(git, clone, repo);
      String hostDir = authority.replace(':', '_');
      assertThat(cacheRoot.resolve(hostDir).resolve("team/project.git"))
          .as("the clone went through the proxy into its cache root")
          .isDirectory();

      // The README's admin API call, with the token from the environment variable.
      String admin = "http://localhost:" + port + "/admin/repositories";
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> listed = http.send(
          HttpRequest.newBuilder(URI.create(admin)).header("Authorization", "Bearer " + ADMIN_TOKEN)
              .build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(listed.statusCode()).isEqualTo(200);
      assertThat(listed.body()).contains("team/project");
      assertThat(http.send(HttpRequest.newBuilder(URI.create(admin)).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
      assertThat(Files.readString(log)).doesNotContain(ADMIN_TOKEN);
    } finally {
      stop(maven);
    }
  }

  /** The run command with the Maven of this build and batch mode (and offline, if this build is). */
  private static List<String> mavenCommand() {
    List<String> words = new ArrayList<>(Arrays.asList(RUN_COMMAND.split(" ")));
    String mavenHome = System.getProperty("goblet.test.mavenHome", "");
    if (!mavenHome.isBlank()) {
      words.set(0, Path.of(mavenHome, "bin", "mvn").toString());
    }
    words.add(1, "-B");
    if ("offline=true".equals(System.getProperty("goblet.test.mavenOffline"))) {
      words.add(1, "-o");
    }
    return words;
  }

  /** @return the project's root: the parent of this module's directory */
  static Path projectRoot() {
    Path module = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    Path root = module.getParent();
    assertThat(root.resolve("pom.xml")).as("the project's root pom").exists();
    return root;
  }

  /** Copies the project's sources, leaving out what a fresh clone would not have. */
  private static Path freshCopy(Path from, Path to) throws IOException {
    Files.walkFileTree(
        from,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            if (NOT_IN_A_FRESH_CLONE.contains(dir.getFileName().toString())) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            Files.createDirectories(to.resolve(from.relativize(dir)));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (!NOT_IN_A_FRESH_CLONE.contains(file.getFileName().toString())) {
              Files.copy(file, to.resolve(from.relativize(file)), StandardCopyOption.COPY_ATTRIBUTES);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return to;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Waits until something answers HTTP on the port; fails if Maven exits or takes too long. */
  private static void awaitAnswer(int port, Process maven, String command, Path log)
      throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest probe =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
            .timeout(Duration.ofSeconds(5))
            .build();
    long deadline = System.nanoTime() + STARTUP_LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!maven.isAlive()) {
        throw new AssertionError(
            command + " exited with " + maven.exitValue() + " before serving:\n" + tail(log));
      }
      try {
        http.send(probe, HttpResponse.BodyHandlers.discarding());
        return;
      } catch (IOException notYet) {
        TimeUnit.MILLISECONDS.sleep(500);
      }
    }
    throw new AssertionError(
        command + ": nothing answered on port " + port + " within " + STARTUP_LIMIT + ":\n"
            + tail(log));
  }

  /** Stops Maven as Ctrl-C would (Jetty then stops the app), and kills it if it lingers. */
  private static void stop(Process maven) throws InterruptedException {
    List<ProcessHandle> children = maven.descendants().toList();
    maven.destroy();
    if (!maven.waitFor(SHUTDOWN_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
      maven.destroyForcibly();
      maven.waitFor(SHUTDOWN_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
  }
}
