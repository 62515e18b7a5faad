package dev.goblet.servlet;

import dev.goblet.servlet.testing.ProxyHarness;
import dev.goblet.testing.GitCli;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the end-to-end tests: a fresh {@link ProxyHarness} (a real upstream, no proxy started
 * yet) and its git CLI for each test, closed after it.
 */
abstract class HarnessTestBase {
  @TempDir Path tmp;
  ProxyHarness harness;
  GitCli git;

  @BeforeEach
  void createHarness() throws Exception {
    harness = ProxyHarness.create(tmp);
    git = harness.git();
  }

  @AfterEach
  void closeHarness() throws Exception {
    harness.close();
  }
}
