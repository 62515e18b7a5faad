package dev.goblet.examples.bench;

import dev.goblet.testing.GitCli;
import dev.goblet.testing.GitUpstreamServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot rows of {@link Benchmarks} alone (not part of the test suite; its name matches no
 * test pattern): a cold replica's first request for the full-scale big repository, its mirror
 * restored from a snapshot store vs fetched from the upstream ({@link SnapshotRestoreBench}),
 * {@code -Dgoblet.bench.runs} times each, interleaved (default 3). The repository is built into
 * {@code target/bench-data/full} if missing, shared with {@link Benchmarks}. Writes {@code
 * goblet-examples/target/benchmarks-snapshot-restore.md}. See BENCHMARKS.md.
 */
class SnapshotRestoreBenchmark {
  @TempDir Path tmp;

  @Test
  void run() throws Exception {
    GitCli git = GitCli.create(Files.createDirectories(tmp.resolve("home")))
        .withTimeout(Duration.ofMinutes(20));
    Path data = Files.createDirectories(Path.of("target", "bench-data", "full")).toAbsolutePath();
    Path big = new SyntheticRepos(git, data)
        .history("big", BenchmarkSuite.Scale.named("full").history());
    Path upstreamRoot = Files.createDirectories(tmp.resolve("upstream/bench"));
    Files.createSymbolicLink(upstreamRoot.resolve("big.git"), big);
    List<BenchmarkSuite.Row> rows;
    try (GitUpstreamServer upstream = GitUpstreamServer.start(tmp.resolve("upstream"))) {
      rows = new SnapshotRestoreBench(git, tmp, upstream.baseUrl())
          .run(Integer.getInteger("goblet.bench.runs", 3));
    }
    String table = BenchmarkSuite.table(rows);
    Files.writeString(Path.of("target", "benchmarks-snapshot-restore.md"), table);
    System.out.println(table);
  }
}
