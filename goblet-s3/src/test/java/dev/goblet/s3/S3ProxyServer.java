package dev.goblet.s3;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API server for tests: s3proxy (from Maven Central) in this JVM, on 127.0.0.1 and a free
 * port, storing objects as files in a directory, checking AWS v2/v4 signatures of one test key. Its
 * Jetty is shaded inside its jar, so it does not meet the tests' Jetty 12.
 */
final class S3ProxyServer implements AutoCloseable {
  static final String ACCESS_KEY = "goblet-test-access";
  static final String SECRET_KEY = "goblet-test-secret";

  private final S3Proxy proxy;
  private final Path baseDir;

  private S3ProxyServer(S3Proxy proxy, Path baseDir) {
    this.proxy = proxy;
    this.baseDir = baseDir;
  }

  /**
   * @param baseDir where objects are stored ({@code <baseDir>/<bucket>/<key>})
   * @param bucket a bucket to create
   * @return the running server
   * @throws Exception when it cannot start
   */
  static S3ProxyServer start(Path baseDir, String bucket) throws Exception {
    Files.createDirectories(baseDir.resolve(bucket));
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(new FilesystemNio2BlobStore(baseDir.toString()))
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        proxy.stop();
        throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
    return new S3ProxyServer(proxy, baseDir);
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /** @return the file holding an object, for tests that damage one */
  Path file(String bucket, String key) {
    return baseDir.resolve(bucket).resolve(key);
  }

  static StaticCredentialsProvider credentials() {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
  }

  /** @return a store on this server, path-style, with the test key */
  S3SnapshotStore store(String location) {
    return store(endpoint(), location);
  }

  /** @return a store on an S3 API server started by this class (maybe in another JVM) */
  static S3SnapshotStore store(URI endpoint, String location) {
    return S3SnapshotStore.builder()
        .location(location)
        .endpoint(endpoint)
        .region(Region.US_EAST_1.id())
        .pathStyle(true)
        .credentials(credentials())
        .build();
  }

  S3Client client() {
    return S3Client.builder()
        .endpointOverride(endpoint())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(credentials())
        .build();
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
  }
}
