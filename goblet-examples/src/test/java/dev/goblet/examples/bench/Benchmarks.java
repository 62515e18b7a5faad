package dev.goblet.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark run (not part of the test suite; its name matches no test pattern). Run it with
 * the command in BENCHMARKS.md; {@code -Dgoblet.bench.scale=full|smoke} picks the sizes. It prints
 * the table and writes it to {@code goblet-examples/target/benchmarks-<scale>.md}. Repositories are
 * built once into {@code goblet-examples/target/bench-data/<scale>} and reused.
 */
class Benchmarks {
  @TempDir Path tmp;

  @Test
  void run() throws Exception {
    String scale = System.getProperty("goblet.bench.scale", "full");
    String table = runAndReport(BenchmarkSuite.Scale.named(scale), tmp);
    System.out.println(table);
  }

  /** Runs the suite at {@code scale}, writes the table beside the build output, returns it. */
  static String runAndReport(BenchmarkSuite.Scale scale, Path work) throws Exception {
    Path target = Path.of("target");
    List<BenchmarkSuite.Row> rows =
        new BenchmarkSuite(scale, work, target.resolve("bench-data").resolve(scale.name())).run();
    String table = BenchmarkSuite.table(rows);
    Files.writeString(target.resolve("benchmarks-" + scale.name() + ".md"), table);
    assertThat(rows).hasSize(19);
    assertThat(rows).noneMatch(row -> row.benchmark().contains("FAILURES"));
    return table;
  }
}
