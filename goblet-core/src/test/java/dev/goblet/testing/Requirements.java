package dev.goblet.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.opentest4j.TestAbortedException;

/**
 * What a test needs beyond Java, Maven and {@code git} (a Debian package, root), checked before it
 * runs. A test whose requirement is missing is skipped with a reason that names what to install,
 * so {@code mvn -B verify} passes on a fresh machine; with the environment variable {@value
 * #REQUIRE_ALL} set to {@code true} (as {@code .ci/run} sets it), or the system property {@value
 * #REQUIRE_ALL_PROPERTY}, it fails instead, so CI never silently stops running a test.
 * Thread-safe; each check runs once per JVM.
 */
public final class Requirements {
  /** The environment variable that turns a missing requirement into a failure. */
  public static final String REQUIRE_ALL = "GOBLET_TEST_REQUIRE_ALL";

  /** The system property that does the same. */
  public static final String REQUIRE_ALL_PROPERTY = "goblet.test.requireAll";

  private static final Map<String, Boolean> CHECKED = new ConcurrentHashMap<>();

  private Requirements() {}

  /**
   * Requires that {@code python} can import {@code module}.
   *
   * @param python an interpreter, such as {@code /usr/bin/python3}
   * @param module a module name, such as {@code pygit2}
   * @param debianPackage the package that provides it, such as {@code python3-pygit2}
   */
  public static void pythonModule(String python, String module, String debianPackage) {
    boolean met =
        CHECKED.computeIfAbsent(
            python + " import " + module, k -> succeeds(List.of(python, "-c", "import " + module)));
    require(
        met,
        "the Python module " + module + " for " + python + " (apt-get install " + debianPackage
            + ")");
  }

  /**
   * Requires a command on the {@code PATH}.
   *
   * @param name the command, such as {@code haproxy}
   * @param debianPackage the package that provides it
   */
  public static void command(String name, String debianPackage) {
    boolean met = CHECKED.computeIfAbsent("command " + name, k -> onPath(name));
    require(met, "the command " + name + " (apt-get install " + debianPackage + ")");
  }

  /**
   * Requires that the tests run as root.
   *
   * @param why what the test does with it, such as {@code mounts a tmpfs}
   */
  public static void root(String why) {
    boolean met = CHECKED.computeIfAbsent("root", k -> isRoot());
    require(met, "root, because it " + why + " (run the tests as root, as CI does)");
  }

  /**
   * @param met whether the requirement holds
   * @param what what is missing and how to get it
   * @throws TestAbortedException when it does not hold (the test is skipped with this reason)
   * @throws AssertionError when it does not hold and {@value #REQUIRE_ALL} is set
   */
  public static void require(boolean met, String what) {
    if (met) {
      return;
    }
    if (requireAll()) {
      throw new AssertionError(
          "this test needs " + what + "; " + REQUIRE_ALL + "=true makes a missing requirement"
              + " fail instead of skipping the test");
    }
    throw new TestAbortedException("this test needs " + what);
  }

  /** @return whether a missing requirement fails the test */
  public static boolean requireAll() {
    String value = System.getenv(REQUIRE_ALL);
    if (value == null) {
      value = System.getProperty(REQUIRE_ALL_PROPERTY);
    }
    return value != null && Boolean.parseBoolean(value.trim().toLowerCase(Locale.ROOT));
  }

  private static boolean onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isRoot() {
    try {
      Process process = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String out = new String(process.getInputStream().readAllBytes()).strip();
      return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0 && out.equals("0");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static boolean succeeds(List<String> command) {
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return false;
      }
      return process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
