package dev.goblet.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the real {@code git} command line in isolation from the machine's and the user's Git
 * configuration: {@code HOME} is a directory of the test's choosing holding a minimal
 * {@code .gitconfig}, the system configuration is ignored, terminal prompts are off, messages are in
 * the C locale, and inherited {@code GIT_*} and proxy variables are dropped.
 *
 * <p>Instances are immutable and thread-safe; {@link #withEnv} and {@link #withTimeout} return
 * copies.
 */
public final class GitCli {
  /** The user name of every commit made through this class. */
  public static final String USER_NAME = "Goblet Test";

  /** The e-mail address of every commit made through this class. */
  public static final String USER_EMAIL = "goblet-test@example.com";

  /** How long one command may run before it is killed, unless changed with {@link #withTimeout}. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(180);

  private static final Duration OUTPUT_GRACE = Duration.ofSeconds(5);

  private static final String GITCONFIG =
      String.join(
          "\n",
          "[user]",
          "\tname = " + USER_NAME,
          "\temail = " + USER_EMAIL,
          "[init]",
          "\tdefaultBranch = main",
          "[protocol]",
          "\tversion = 2",
          // No background work that could outlive a command or race with a test.
          "[gc]",
          "\tauto = 0",
          "[maintenance]",
          "\tauto = false",
          "[advice]",
          "\tdetachedHead = false",
          "");

  /** The outcome of one command. */
  public record Result(int exitCode, String stdout, String stderr) {
    /** @return whether the command exited with status 0 */
    public boolean succeeded() {
      return exitCode == 0;
    }
  }

  private final Path home;
  private final Map<String, String> environment;
  private final Duration timeout;

  private GitCli(Path home, Map<String, String> environment, Duration timeout) {
    this.home = home;
    this.environment = Collections.unmodifiableMap(new TreeMap<>(environment));
    this.timeout = timeout;
  }

  /**
   * Makes {@code home} (created if missing) the {@code HOME} of every command and writes a minimal
   * {@code .gitconfig} there: user name and e-mail, {@code init.defaultBranch=main}, {@code
   * protocol.version=2}, automatic gc and maintenance off.
   */
  public static GitCli create(Path home) {
    try {
      Files.createDirectories(home);
      Files.writeString(home.resolve(".gitconfig"), GITCONFIG, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare git home " + home, e);
    }
    return new GitCli(home, isolatedEnvironment(home), DEFAULT_TIMEOUT);
  }

  private static Map<String, String> isolatedEnvironment(Path home) {
    Map<String, String> env = new TreeMap<>();
    System.getenv().forEach((key, value) -> {
      if (!isScrubbed(key)) {
        env.put(key, value);
      }
    });
    env.put("HOME", home.toString());
    env.put("XDG_CONFIG_HOME", home.resolve(".config").toString());
    env.put("GIT_CONFIG_NOSYSTEM", "1");
    env.put("GIT_TERMINAL_PROMPT", "0");
    env.put("LC_ALL", "C");
    env.put("GIT_AUTHOR_NAME", USER_NAME);
    env.put("GIT_AUTHOR_EMAIL", USER_EMAIL);
    env.put("GIT_COMMITTER_NAME", USER_NAME);
    env.put("GIT_COMMITTER_EMAIL", USER_EMAIL);
    return env;
  }

  private static boolean isScrubbed(String variable) {
    String name = variable.toUpperCase(Locale.ROOT);
    return name.startsWith("GIT_")
        || name.endsWith("_PROXY")
        || name.startsWith("LC_")
        || name.equals("LANG")
        || name.equals("XDG_CONFIG_HOME")
        || name.equals("SSH_ASKPASS");
  }

  /** @return the {@code HOME} directory of the commands */
  public Path home() {
    return home;
  }

  /** @return a copy whose commands also see the environment variable {@code key=value} */
  public GitCli withEnv(String key, String value) {
    Map<String, String> env = new TreeMap<>(environment);
    env.put(key, value);
    return new GitCli(home, env, timeout);
  }

  /** @return a copy whose commands are killed after {@code commandTimeout} */
  public GitCli withTimeout(Duration commandTimeout) {
    return new GitCli(home, environment, commandTimeout);
  }

  /**
   * Runs {@code git args...} in {@code workDir} with an empty standard input.
   *
   * @throws AssertionError if the command does not finish within the timeout (it is killed)
   */
  public Result run(Path workDir, String... args) {
    return execute(workDir, new byte[0], args);
  }

  /**
   * Runs {@code git args...} in {@code workDir}, feeding {@code stdin} to its standard input (for
   * example a {@code git fast-import} stream).
   *
   * @throws AssertionError if the command does not finish within the timeout (it is killed)
   */
  public Result runWithInput(Path workDir, byte[] stdin, String... args) {
    return execute(workDir, stdin, args);
  }

  /**
   * Like {@link #run}, but a non-zero exit status is a test failure.
   *
   * @throws AssertionError naming the command, its exit status and its output if it fails
   */
  public Result runOk(Path workDir, String... args) {
    return requireSuccess(run(workDir, args), workDir, args);
  }

  /**
   * Like {@link #runWithInput}, but a non-zero exit status is a test failure.
   *
   * @throws AssertionError naming the command, its exit status and its output if it fails
   */
  public Result runOkWithInput(Path workDir, byte[] stdin, String... args) {
    return requireSuccess(runWithInput(workDir, stdin, args), workDir, args);
  }

  private static Result requireSuccess(Result result, Path workDir, String... args) {
    if (!result.succeeded()) {
      throw new AssertionError(
          describe(workDir, args)
              + " exited with "
              + result.exitCode()
              + "\nstderr: "
              + result.stderr()
              + "\nstdout: "
              + result.stdout());
    }
    return result;
  }

  private Result execute(Path workDir, byte[] stdin, String... args) {
    List<String> command = new ArrayList<>(args.length + 1);
    command.add("git");
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    builder.environment().clear();
    builder.environment().putAll(environment);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + describe(workDir, args), e);
    }
    CompletableFuture<byte[]> stdout = Processes.readAllAsync(process.getInputStream(), "git-stdout");
    CompletableFuture<byte[]> stderr = Processes.readAllAsync(process.getErrorStream(), "git-stderr");
    Processes.writeAndCloseAsync(process.getOutputStream(), stdin, "git-stdin");
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        Processes.destroyTree(process);
        throw new AssertionError(
            describe(workDir, args)
                + " did not finish within "
                + timeout
                + " and was killed\nstderr: "
                + text(stderr));
      }
      return new Result(process.exitValue(), text(stdout), text(stderr));
    } catch (InterruptedException e) {
      Processes.destroyTree(process);
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + describe(workDir, args), e);
    }
  }

  /** The output of an exited process; a child it left behind may hold the pipe, so wait briefly. */
  private static String text(CompletableFuture<byte[]> output) throws InterruptedException {
    try {
      return new String(
          output.get(OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS), StandardCharsets.UTF_8);
    } catch (ExecutionException | TimeoutException e) {
      return "<output unavailable: " + e + ">";
    }
  }

  private static String describe(Path workDir, String... args) {
    return "git " + String.join(" ", args) + " (in " + workDir + ")";
  }
}
