package dev.goblet.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.ServerConfig;
import dev.goblet.s3.S3SnapshotStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExampleStoreSettingsTest {
  private final Map<String, String> values = new HashMap<>();
  private final ExampleSettings settings = ExampleSettings.of(values::get);

  @Test
  void withoutAStoreTheReplicaStandsAlone() {
    ServerConfig config = settings.toConfigBuilder().build();

    assertThat(config.snapshotStore()).isEmpty();
    assertThat(config.storePublishDelay()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void anS3LocationWithEndpointRegionAndPathStyleMakesAnS3Store() throws Exception {
    values.put("goblet.store", "s3://fleet-bucket/goblet/prod");
    values.put("goblet.s3.endpoint", "http://127.0.0.1:9000");
    values.put("goblet.s3.region", "eu-west-1");
    values.put("goblet.s3.pathStyle", "true");
    values.put("goblet.storePublishDelay", "PT10M");

    ServerConfig config = settings.toConfigBuilder().build();

    assertThat(config.snapshotStore()).get().isInstanceOf(S3SnapshotStore.class)
        .hasToString("s3://fleet-bucket/goblet/prod/");
    assertThat(config.storePublishDelay()).isEqualTo(Duration.ofMinutes(10));
    assertThat(settings.describe())
        .contains("goblet.store=s3://fleet-bucket/goblet/prod", "goblet.s3.pathStyle=true",
            "goblet.storePublishDelay=PT10M");
    ((S3SnapshotStore) config.snapshotStore().get()).close();
  }

  @Test
  void aDirectoryMakesAFileSystemStore() {
    values.put("goblet.store", "/srv/shared/goblet-store");

    ServerConfig config = settings.toConfigBuilder().build();

    assertThat(config.snapshotStore()).get().asString().contains("/srv/shared/goblet-store");
  }

  @Test
  void badStoreSettingsAreRefusedNamingTheSetting() {
    values.put("goblet.store", "s3://fleet-bucket/p");
    values.put("goblet.s3.pathStyle", "yes");
    assertThatThrownBy(settings::toConfigBuilder)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("goblet.s3.pathStyle is true or false: yes");

    values.put("goblet.s3.pathStyle", "false");
    values.put("goblet.storePublishDelay", "5 minutes");
    assertThatThrownBy(settings::toConfigBuilder)
        .hasMessageContaining("'storePublishDelay' must be an ISO-8601 duration");

    values.put("goblet.storePublishDelay", "PT0.5S");
    assertThatThrownBy(settings::toConfigBuilder)
        .hasMessageContaining("storePublishDelay must be at least 1s");

    values.clear();
    values.put("goblet.store", "s3://Not_A_Bucket/p");
    assertThatThrownBy(settings::toConfigBuilder).hasMessageContaining("goblet.store: ");

    values.clear();
    values.put("goblet.s3.endpoint", "http://127.0.0.1:9000");
    assertThatThrownBy(settings::toConfigBuilder)
        .hasMessageContaining("goblet.s3.endpoint is set but goblet.store is not");

    values.clear();
    values.put("goblet.store", "/srv/shared/goblet-store");
    values.put("goblet.backupDirectory", "/srv/backups");
    assertThatThrownBy(settings::toConfigBuilder).hasMessageContaining(
        "goblet.backupDirectory and goblet.store are both set; set only goblet.store");

    values.clear();
    values.put("goblet.restoreAllAtStart", "true");
    assertThatThrownBy(() -> settings.toConfigBuilder().build())
        .hasMessageContaining("restoreAllAtStart needs a snapshotStore");
  }

  @Test
  void theRestoreAtStartAndTheFormerBackupDirectoryAreRead() {
    values.put("goblet.store", "/srv/shared/goblet-store");
    values.put("goblet.restoreAllAtStart", "true");
    ServerConfig config = settings.toConfigBuilder().build();
    assertThat(config.restoreAllAtStart()).isTrue();
    assertThat(settings.describe()).contains("goblet.restoreAllAtStart=true");

    values.clear();
    values.put("goblet.backupDirectory", "/srv/backups"); // deprecated: a directory store
    ServerConfig former = settings.toConfigBuilder().build();
    assertThat(former.snapshotStore()).get().asString().contains("/srv/backups");
    assertThat(former.restoreAllAtStart()).isTrue();
  }
}
