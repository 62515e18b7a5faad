package dev.goblet.upstream;

import java.io.IOException;
import java.net.Proxy;
import java.net.URISyntaxException;
import java.net.URL;
import org.eclipse.jgit.transport.http.HttpConnection;
import org.eclipse.jgit.transport.http.JDKHttpConnection;
import org.eclipse.jgit.transport.http.JDKHttpConnectionFactory;

/**
 * JGit's JDK connections, made to fail on a redirect or a refusal (401, 403, 404) at the first
 * look at the status: JGit never gets to follow a redirect (with the {@code Authorization} header
 * it was given, to whatever host), and the failure carries an {@link UpstreamException} of the
 * right kind for the mirror to report. Thread-safe (stateless; each connection is used by one
 * thread).
 */
final class AnswerCheckingConnectionFactory extends JDKHttpConnectionFactory {
  @Override
  public HttpConnection create(URL url) throws IOException {
    return new Checked(url);
  }

  @Override
  public HttpConnection create(URL url, Proxy proxy) throws IOException {
    return new Checked(url, proxy);
  }

  /** The upstream's answer, as the cause of JGit's transport failure. */
  static final class RefusedAnswer extends IOException {
    private static final long serialVersionUID = 1L;
    private final UpstreamException failure;

    RefusedAnswer(UpstreamException failure) {
      super(failure.getMessage());
      this.failure = failure;
    }

    UpstreamException failure() {
      return failure;
    }
  }

  private static final class Checked extends JDKHttpConnection {
    Checked(URL url) throws IOException {
      super(url);
      super.setInstanceFollowRedirects(false);
    }

    Checked(URL url, Proxy proxy) throws IOException {
      super(url, proxy);
      super.setInstanceFollowRedirects(false);
    }

    @Override
    public void setInstanceFollowRedirects(boolean followRedirects) {
      super.setInstanceFollowRedirects(false);
    }

    @Override
    public int getResponseCode() throws IOException {
      int code = super.getResponseCode();
      if (UpstreamAnswers.isRedirectOrRefusal(code)) {
        try {
          throw new RefusedAnswer(
              UpstreamAnswers.error(
                  code,
                  getResponseMessage(),
                  getURL().toURI(),
                  getHeaderField("Location"),
                  false));
        } catch (URISyntaxException e) {
          throw new IOException("the upstream URL is malformed", e);
        }
      }
      return code;
    }
  }
}
