package dev.goblet.repository;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.repository.MirrorMaintenance.PackFile;
import dev.goblet.repository.MirrorMaintenance.PackStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which packs a maintenance run combines, and when it repacks fully. */
class PackStatsTest {
  @TempDir Path tmp;

  @Test
  void combinesTheSmallPacksThatBreakTheGeometricProgression() {
    PackStats stats = stats(new PackFile("big", 100_000, true), pack("a", 100), pack("b", 100));
    assertThat(names(stats.geometricRollup())).containsExactly("a", "b");
    assertThat(stats.needsFullRepack()).isFalse();

    // 100, 200, 400: each at least twice the ones below together less one; nothing to do.
    PackStats progression =
        stats(new PackFile("big", 100_000, true), pack("a", 100), pack("b", 250), pack("c", 800));
    assertThat(progression.geometricRollup()).isEmpty();

    // A small pack below a pack less than twice its size: both go, and the next one too while
    // it is smaller than twice their sum.
    PackStats rolled = stats(
        new PackFile("big", 100_000, true), pack("a", 100), pack("b", 150), pack("c", 400),
        pack("d", 2_000));
    assertThat(names(rolled.geometricRollup())).containsExactly("a", "b", "c");
  }

  @Test
  void aFullRepackIsDueWithoutABitmapOrWhenTheUnbitmappedPartGrows() {
    assertThat(stats().needsFullRepack()).isFalse();
    assertThat(stats(pack("fetched", 5_000)).needsFullRepack()).isTrue();
    assertThat(stats(new PackFile("big", 8_000, true), pack("a", 1_000)).needsFullRepack())
        .isFalse();
    assertThat(stats(new PackFile("big", 8_000, true), pack("a", 600), pack("b", 500))
        .needsFullRepack()).isTrue();
  }

  @Test
  void moreThanTenPacksAfterCombiningNeedAFullRepack() {
    List<PackFile> files = new ArrayList<>();
    files.add(new PackFile("big", 1L << 40, true));
    long size = 10;
    for (int i = 0; i < 11; i++) {
      files.add(pack("p" + i, size));
      size *= 3; // a geometric progression: nothing to combine
    }
    PackStats stats = stats(files.toArray(PackFile[]::new));
    assertThat(stats.geometricRollup()).isEmpty();
    assertThat(stats.needsFullRepack()).isTrue();
  }

  @Test
  void readsPacksFromTheDirectorySmallestFirstLeavingOutReplacedOnes() throws Exception {
    Path packDir = Files.createDirectories(tmp.resolve("objects/pack"));
    Files.write(packDir.resolve("pack-aa.pack"), new byte[300]);
    Files.write(packDir.resolve("pack-aa.idx"), new byte[8]);
    Files.write(packDir.resolve("pack-aa.bitmap"), new byte[8]);
    Files.write(packDir.resolve("pack-bb.pack"), new byte[20]);
    Files.write(packDir.resolve("pack-cc.pack"), new byte[10]);
    Files.write(packDir.resolve("combine_tmp_x.pack"), new byte[10]);

    PackStats stats = PackStats.of(tmp, Set.of("cc"));
    assertThat(stats.files())
        .containsExactly(new PackFile("bb", 20, false), new PackFile("aa", 300, true));
    assertThat(PackStats.of(tmp.resolve("missing"), Set.of()).packs()).isZero();
  }

  private static PackFile pack(String name, long bytes) {
    return new PackFile(name, bytes, false);
  }

  private static PackStats stats(PackFile... files) {
    List<PackFile> sorted = new ArrayList<>(List.of(files));
    sorted.sort(java.util.Comparator.comparingLong(PackFile::bytes));
    return new PackStats(List.copyOf(sorted));
  }

  private static List<String> names(List<PackFile> files) {
    return files.stream().map(PackFile::name).toList();
  }
}
