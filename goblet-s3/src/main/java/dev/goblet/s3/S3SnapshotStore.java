package dev.goblet.s3;

import dev.goblet.SnapshotStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@link SnapshotStore} in an S3-compatible bucket (Amazon S3, MinIO, Ceph, R2, GCS's
 * interoperability API), through the AWS SDK for Java v2: objects are stored under {@code
 * s3://<bucket>/<prefix>/<name>}. {@link #createIfAbsent} is a {@code PUT} with {@code
 * If-None-Match: *} (the store must accept the header; Amazon S3 checks it during the write, and
 * {@code 412} or {@code 409} count as "exists"). Snapshots stay safe where a store's check is not
 * atomic (docs/FLEET.md, "Concurrent publishers"). Every object is uploaded whole from a file, so
 * a reader never sees a part of it.
 *
 * <p>Credentials come from the SDK's default provider chain (the {@code AWS_ACCESS_KEY_ID} and
 * {@code AWS_SECRET_ACCESS_KEY} environment variables, {@code ~/.aws}, instance roles...) unless
 * the builder is given a provider; they go only to the configured endpoint. The SDK's own request
 * checksums are sent only where S3 requires them, for stores that do not know the newer checksum
 * headers; snapshots carry their own SHA-256 checksums. Thread-safe.
 */
public final class S3SnapshotStore implements SnapshotStore, AutoCloseable {
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

  private final S3Client client;
  private final boolean ownsClient;
  private final String bucket;
  private final String root; // empty or a prefix ending with '/'
  private final Path tempDir;

  private S3SnapshotStore(Builder b) {
    this.bucket = b.bucket;
    this.root = b.prefix.isEmpty() ? "" : b.prefix + "/";
    this.tempDir = b.tempDir;
    if (b.client != null) {
      this.client = b.client;
      this.ownsClient = false;
    } else {
      S3ClientBuilder builder =
          S3Client.builder()
              .region(Region.of(b.region))
              .forcePathStyle(b.pathStyle)
              .credentialsProvider(
                  b.credentials != null ? b.credentials : DefaultCredentialsProvider.builder()
                      .build())
              .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
              .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
      if (b.endpoint != null) {
        builder.endpointOverride(b.endpoint);
      }
      this.client = builder.build();
      this.ownsClient = true;
    }
  }

  /** @return a builder; {@link Builder#location} is required */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    return listing(prefix, "/");
  }

  @Override
  public List<String> listRecursively(String prefix) throws IOException {
    return listing(prefix, null);
  }

  /** @param delimiter {@code /} for one level, null for every level */
  private List<String> listing(String prefix, String delimiter) throws IOException {
    SnapshotStore.checkPrefix(Objects.requireNonNull(prefix, "prefix"));
    List<String> names = new ArrayList<>();
    String token = null;
    try {
      do {
        ListObjectsV2Response page =
            client.listObjectsV2(
                ListObjectsV2Request.builder()
                    .bucket(bucket)
                    .prefix(root + prefix)
                    .delimiter(delimiter)
                    .continuationToken(token)
                    .build());
        for (S3Object object : page.contents()) {
          String name = object.key().substring(root.length());
          if (isValid(name)) {
            names.add(name);
          }
        }
        token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
      } while (token != null);
    } catch (SdkException e) {
      throw failure("list", prefix, e);
    }
    names.sort(null);
    return names;
  }

  private static boolean isValid(String name) {
    try {
      SnapshotStore.checkName(name);
      return true;
    } catch (IllegalArgumentException e) {
      return false; // not one of the proxy's objects
    }
  }

  @Override
  public InputStream open(String name) throws IOException {
    SnapshotStore.checkName(name);
    try {
      return client.getObject(b -> b.bucket(bucket).key(root + name));
    } catch (NoSuchKeyException e) {
      throw new NoSuchFileException(name);
    } catch (SdkException e) {
      throw failure("read", name, e);
    }
  }

  @Override
  public long write(String name, Content content) throws IOException {
    SnapshotStore.checkName(name);
    Path temp = spool(content);
    try {
      return put(name, temp, false) ? Files.size(temp) : 0;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  @Override
  public long writeFile(String name, Path file) throws IOException {
    SnapshotStore.checkName(name);
    put(name, file, false);
    return Files.size(file);
  }

  @Override
  public boolean createIfAbsent(String name, Content content) throws IOException {
    SnapshotStore.checkName(name);
    Path temp = spool(content);
    try {
      return put(name, temp, true);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** @return false when {@code onlyIfAbsent} and the object exists (412, or 409 for a race) */
  private boolean put(String name, Path file, boolean onlyIfAbsent) throws IOException {
    PutObjectRequest.Builder request =
        PutObjectRequest.builder().bucket(bucket).key(root + name);
    if (onlyIfAbsent) {
      request.ifNoneMatch("*");
    }
    try {
      client.putObject(request.build(), RequestBody.fromFile(file));
      return true;
    } catch (S3Exception e) {
      if (onlyIfAbsent && (e.statusCode() == 412 || e.statusCode() == 409)) {
        return false;
      }
      throw failure("write", name, e);
    } catch (SdkException e) {
      throw failure("write", name, e);
    }
  }

  private Path spool(Content content) throws IOException {
    Objects.requireNonNull(content, "content");
    Path temp =
        tempDir == null
            ? Files.createTempFile("goblet-s3-", ".tmp")
            : Files.createTempFile(Files.createDirectories(tempDir), "goblet-s3-", ".tmp");
    try (OutputStream out = Files.newOutputStream(temp)) {
      content.writeTo(out);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    return temp;
  }

  @Override
  public void delete(String name) throws IOException {
    SnapshotStore.checkName(name);
    try {
      client.deleteObject(b -> b.bucket(bucket).key(root + name));
    } catch (SdkException e) {
      throw failure("delete", name, e);
    }
  }

  private IOException failure(String what, String name, SdkException e) {
    return new IOException("cannot " + what + " " + name + " in " + this + ": " + e.getMessage(), e);
  }

  /** Closes the S3 client the store made (never one the host passed in). */
  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "s3://" + bucket + "/" + root;
  }

  /** Builds an {@link S3SnapshotStore}. Not thread-safe; each value is checked at once. */
  public static final class Builder {
    private String bucket;
    private String prefix = "";
    private URI endpoint;
    private String region = "us-east-1";
    private boolean pathStyle;
    private AwsCredentialsProvider credentials;
    private S3Client client;
    private Path tempDir;

    private Builder() {}

    /**
     * Required: where the objects go.
     *
     * @param location {@code s3://<bucket>} or {@code s3://<bucket>/<prefix>}
     * @return this
     * @throws IllegalArgumentException when it is not such a URL
     */
    public Builder location(String location) {
      URI uri;
      try {
        uri = URI.create(Objects.requireNonNull(location, "location"));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not an s3://<bucket>/<prefix> URL: " + location, e);
      }
      if (!"s3".equals(uri.getScheme()) || uri.getHost() == null
          || !BUCKET.matcher(uri.getHost()).matches() || uri.getQuery() != null
          || uri.getUserInfo() != null || uri.getPort() != -1) {
        throw new IllegalArgumentException("not an s3://<bucket>/<prefix> URL: " + location);
      }
      String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("^/+|/+$", "");
      if (!path.isEmpty()) {
        SnapshotStore.checkName(path);
      }
      this.bucket = uri.getHost();
      this.prefix = path;
      return this;
    }

    /**
     * Default: the SDK's endpoint for the region (Amazon S3). Set it for MinIO, Ceph, R2 and the
     * like, for example {@code http://127.0.0.1:9000}.
     */
    public Builder endpoint(URI endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      String scheme = String.valueOf(endpoint.getScheme()).toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || endpoint.getHost() == null) {
        throw new IllegalArgumentException("the endpoint must be an http(s) URL: " + endpoint);
      }
      this.endpoint = endpoint;
      return this;
    }

    /** Default {@code us-east-1}. */
    public Builder region(String region) {
      if (Objects.requireNonNull(region, "region").isBlank()) {
        throw new IllegalArgumentException("the region must not be blank");
      }
      this.region = region;
      return this;
    }

    /**
     * Default false (virtual-host style, {@code <bucket>.<endpoint host>}); most self-hosted
     * stores need true ({@code <endpoint>/<bucket>/...}).
     */
    public Builder pathStyle(boolean pathStyle) {
      this.pathStyle = pathStyle;
      return this;
    }

    /** Default: the SDK's default credentials provider chain. */
    public Builder credentials(AwsCredentialsProvider credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /**
     * Default: a client the store makes from the other settings and closes on {@link #close()}.
     * A client given here is used as it is (its endpoint, region, credentials) and never closed.
     */
    public Builder client(S3Client client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /** Default: the JVM's temporary directory; where small objects are spooled before upload. */
    public Builder tempDir(Path tempDir) {
      this.tempDir = Objects.requireNonNull(tempDir, "tempDir");
      return this;
    }

    /**
     * @return the store
     * @throws IllegalStateException when no location was given
     */
    public S3SnapshotStore build() {
      if (bucket == null) {
        throw new IllegalStateException("S3SnapshotStore needs a location (s3://<bucket>/<prefix>)");
      }
      return new S3SnapshotStore(this);
    }
  }
}
