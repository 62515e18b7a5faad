package dev.goblet.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark harness at tiny sizes, so CI keeps it working; its numbers mean nothing. */
class BenchmarkSmokeTest {
  @TempDir Path tmp;

  @Test
  void theHarnessMeasuresEveryScenario() throws Exception {
    String table = Benchmarks.runAndReport(BenchmarkSuite.Scale.named("smoke"), tmp);
    assertThat(table)
        .contains("ls-refs from cache, in process")
        .contains("`git ls-remote`")
        .contains("warm `git clone --bare`")
        .contains("concurrent cold clones")
        .contains("CI burst")
        .contains("upstream hanging")
        .contains("concurrent warm clones")
        .contains("mirror restored from the snapshot store");
  }
}
