package dev.goblet.examples;

import dev.goblet.ServerConfig;
import dev.goblet.SnapshotStore;
import dev.goblet.s3.S3SnapshotStore;
import dev.goblet.servlet.InitParameters;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The example app's fleet settings, read through {@link ExampleSettings#get}:
 *
 * <table>
 *   <caption>Fleet settings</caption>
 *   <tr><th>Name</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>{@code goblet.store}</td><td>none</td>
 *       <td>the snapshot store shared by the replicas: {@code s3://<bucket>/<prefix>}, or a
 *       directory path ({@code file:} URL or plain path)</td></tr>
 *   <tr><td>{@code goblet.s3.endpoint}</td><td>Amazon S3</td>
 *       <td>an S3-compatible server, such as {@code http://minio:9000}</td></tr>
 *   <tr><td>{@code goblet.s3.region}</td><td>{@code us-east-1}</td><td>the bucket's region</td></tr>
 *   <tr><td>{@code goblet.s3.pathStyle}</td><td>{@code false}</td>
 *       <td>{@code true} for path-style addressing (most self-hosted stores)</td></tr>
 * </table>
 *
 * {@code goblet.storePublishDelay} (ISO-8601, default {@code PT5M}) and {@code
 * goblet.restoreAllAtStart} ({@code true}: restore every stored repository before reporting ready)
 * are read with the other settings, by {@link InitParameters}. {@code goblet.storeDirectory} (and
 * the deprecated {@code goblet.backupDirectory}) name a directory store too, but not together with
 * {@code goblet.store}.
 *
 * S3 credentials come from the AWS SDK's default chain: the {@code AWS_ACCESS_KEY_ID} and {@code
 * AWS_SECRET_ACCESS_KEY} environment variables (or {@code ~/.aws}, or the instance's role). Stateless
 * and thread-safe.
 */
final class ExampleStoreSettings {
  static final String STORE = "store";
  static final String S3_ENDPOINT = "s3.endpoint";
  static final String S3_REGION = "s3.region";
  static final String S3_PATH_STYLE = "s3.pathStyle";

  /** The names, after {@link ExampleSettings#PREFIX}, in the order {@code describe} lists them. */
  static final List<String> NAMES = List.of(STORE, S3_ENDPOINT, S3_REGION, S3_PATH_STYLE);

  private ExampleStoreSettings() {}

  /**
   * @param settings where the values come from
   * @return adds the store to a builder (nothing when no store is set)
   * @throws IllegalArgumentException naming the setting that is wrong
   */
  static UnaryOperator<ServerConfig.Builder> apply(UnaryOperator<String> settings) {
    String location = settings.apply(STORE);
    if (location == null) {
      for (String name : List.of(S3_ENDPOINT, S3_REGION, S3_PATH_STYLE)) {
        if (settings.apply(name) != null) {
          throw new IllegalArgumentException(
              ExampleSettings.PREFIX + name + " is set but " + ExampleSettings.PREFIX + STORE
                  + " is not");
        }
      }
      return builder -> builder;
    }
    for (String name : List.of(InitParameters.STORE_DIRECTORY, InitParameters.BACKUP_DIRECTORY)) {
      if (settings.apply(name) != null) {
        throw new IllegalArgumentException(ExampleSettings.PREFIX + name + " and "
            + ExampleSettings.PREFIX + STORE + " are both set; set only " + ExampleSettings.PREFIX
            + STORE);
      }
    }
    SnapshotStore store;
    try {
      store = store(location, settings);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(ExampleSettings.PREFIX + STORE + ": " + e.getMessage(), e);
    }
    return builder -> builder.snapshotStore(store);
  }

  private static SnapshotStore store(String location, UnaryOperator<String> settings) {
    if (!location.startsWith("s3:")) {
      for (String name : List.of(S3_ENDPOINT, S3_REGION, S3_PATH_STYLE)) {
        if (settings.apply(name) != null) {
          throw new IllegalArgumentException(
              ExampleSettings.PREFIX + name + " is set but " + ExampleSettings.PREFIX + STORE
                  + " is not an s3:// location");
        }
      }
      Path dir = location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
      return SnapshotStore.filesystem(dir);
    }
    S3SnapshotStore.Builder s3 = S3SnapshotStore.builder().location(location);
    String endpoint = settings.apply(S3_ENDPOINT);
    if (endpoint != null) {
      s3.endpoint(URI.create(endpoint));
    }
    String region = settings.apply(S3_REGION);
    if (region != null) {
      s3.region(region);
    }
    String pathStyle = settings.apply(S3_PATH_STYLE);
    if (pathStyle != null) {
      s3.pathStyle(bool(pathStyle));
    }
    return s3.build();
  }

  private static boolean bool(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException(
          ExampleSettings.PREFIX + S3_PATH_STYLE + " is true or false: " + value);
    };
  }
}
