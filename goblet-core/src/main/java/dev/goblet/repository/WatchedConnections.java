package dev.goblet.repository;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.net.HttpURLConnection;
import java.net.ProtocolException;
import java.net.Proxy;
import java.net.URL;
import java.security.GeneralSecurityException;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;
import org.eclipse.jgit.transport.http.HttpConnection;
import org.eclipse.jgit.transport.http.HttpConnectionFactory;
import org.eclipse.jgit.transport.http.HttpConnectionFactory2;
import org.eclipse.jgit.transport.http.JDKHttpConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JGit's HTTP connections, with every answer read through a {@link FetchWatchdog}: what lets the
 * proxy cancel a trickling upstream fetch (JGit's own timeout bounds each read, not a trickle).
 * When the watchdog finds the fetch stalled, each connection is disconnected, which ends a read
 * blocked in another thread; JGit's {@link JDKHttpConnection} does not expose its {@link
 * HttpURLConnection}, so it is reached by reflection, and with another connection type the fetch
 * ends at its next read instead. Everything else is passed to the wrapped factory's connections.
 * Thread-safe as the wrapped factory.
 */
final class WatchedConnections implements HttpConnectionFactory2 {
  private static final Logger log = LoggerFactory.getLogger(WatchedConnections.class);

  private final HttpConnectionFactory factory;
  private final FetchWatchdog watchdog;

  WatchedConnections(HttpConnectionFactory factory, FetchWatchdog watchdog) {
    this.factory = factory;
    this.watchdog = watchdog;
  }

  @Override
  public HttpConnection create(URL url) throws IOException {
    return new Watched(factory.create(url));
  }

  @Override
  public HttpConnection create(URL url, Proxy proxy) throws IOException {
    return new Watched(factory.create(url, proxy));
  }

  @Override
  public GitSession newSession() {
    if (!(factory instanceof HttpConnectionFactory2 sessions)) {
      return new GitSession() {
        @Override
        public HttpConnection configure(HttpConnection connection, boolean sslVerify) {
          return connection;
        }

        @Override
        public void close() {}
      };
    }
    GitSession session = sessions.newSession();
    return new GitSession() {
      @Override
      public HttpConnection configure(HttpConnection connection, boolean sslVerify)
          throws IOException, GeneralSecurityException {
        HttpConnection inner =
            connection instanceof Watched watched ? watched.connection : connection;
        HttpConnection configured = session.configure(inner, sslVerify);
        return configured == inner ? connection : new Watched(configured);
      }

      @Override
      public void close() {
        session.close();
      }
    };
  }

  /** One connection: its answer is watched, the rest delegated. */
  private final class Watched implements HttpConnection {
    private final HttpConnection connection;

    Watched(HttpConnection connection) {
      this.connection = connection;
      watchdog.onStall(this::abort);
    }

    private void abort() {
      if (!(connection instanceof JDKHttpConnection)) {
        return;
      }
      try {
        Field field = JDKHttpConnection.class.getDeclaredField("wrappedUrlConnection");
        field.setAccessible(true);
        ((HttpURLConnection) field.get(connection)).disconnect();
      } catch (ReflectiveOperationException | RuntimeException e) {
        log.debug("cannot disconnect a stalled upstream connection; it ends at its next read", e);
      }
    }

    @Override
    public InputStream getInputStream() throws IOException {
      InputStream in = connection.getInputStream();
      watchdog.newAnswer();
      return watchdog.watch(in);
    }

    @Override
    public int getResponseCode() throws IOException {
      return connection.getResponseCode();
    }

    @Override
    public URL getURL() {
      return connection.getURL();
    }

    @Override
    public String getResponseMessage() throws IOException {
      return connection.getResponseMessage();
    }

    @Override
    public Map<String, List<String>> getHeaderFields() {
      return connection.getHeaderFields();
    }

    @Override
    public void setRequestProperty(String key, String value) {
      connection.setRequestProperty(key, value);
    }

    @Override
    public void setRequestMethod(String method) throws ProtocolException {
      connection.setRequestMethod(method);
    }

    @Override
    public void setUseCaches(boolean usecaches) {
      connection.setUseCaches(usecaches);
    }

    @Override
    public void setConnectTimeout(int timeout) {
      connection.setConnectTimeout(timeout);
    }

    @Override
    public void setReadTimeout(int timeout) {
      connection.setReadTimeout(timeout);
    }

    @Override
    public String getContentType() {
      return connection.getContentType();
    }

    @Override
    public String getHeaderField(String name) {
      return connection.getHeaderField(name);
    }

    @Override
    public List<String> getHeaderFields(String name) {
      return connection.getHeaderFields(name);
    }

    @Override
    public int getContentLength() {
      return connection.getContentLength();
    }

    @Override
    public void setInstanceFollowRedirects(boolean followRedirects) {
      connection.setInstanceFollowRedirects(followRedirects);
    }

    @Override
    public void setDoOutput(boolean dooutput) {
      connection.setDoOutput(dooutput);
    }

    @Override
    public void setFixedLengthStreamingMode(int contentLength) {
      connection.setFixedLengthStreamingMode(contentLength);
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
      return connection.getOutputStream();
    }

    @Override
    public void setChunkedStreamingMode(int chunklen) {
      connection.setChunkedStreamingMode(chunklen);
    }

    @Override
    public String getRequestMethod() {
      return connection.getRequestMethod();
    }

    @Override
    public boolean usingProxy() {
      return connection.usingProxy();
    }

    @Override
    public void connect() throws IOException {
      connection.connect();
    }

    @Override
    public void configure(KeyManager[] km, TrustManager[] tm, SecureRandom random)
        throws NoSuchAlgorithmException, KeyManagementException {
      connection.configure(km, tm, random);
    }

    @Override
    public void setHostnameVerifier(HostnameVerifier hostnameverifier)
        throws NoSuchAlgorithmException, KeyManagementException {
      connection.setHostnameVerifier(hostnameverifier);
    }
  }
}
