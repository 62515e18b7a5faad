package dev.goblet.examples;

import dev.goblet.servlet.testing.ProxyHarness;
import dev.goblet.testing.GitCli;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the example tests that clone: a real upstream and the isolated {@code git} CLI, from a
 * {@link ProxyHarness} whose own proxy is never started (the examples bring theirs).
 */
abstract class UpstreamTestBase {
  @TempDir Path tmp;
  ProxyHarness harness;
  GitCli git;

  @BeforeEach
  void startUpstream() throws Exception {
    harness = ProxyHarness.create(tmp.resolve("harness"));
    git = harness.git();
  }

  @AfterEach
  void stopUpstream() throws Exception {
    harness.close();
  }
}
