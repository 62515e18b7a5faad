package dev.goblet.testing;

import dev.goblet.GitRequest;
import dev.goblet.GitResponse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A request and its response in memory, for driving {@code GobletProxy.handle} without HTTP (fuzz
 * tests, in-process benchmarks). Used by one thread.
 */
public final class MemoryExchange {
  private final Map<String, List<String>> requestHeaders = new TreeMap<>();
  private final Map<String, List<String>> responseHeaders = new TreeMap<>();
  private final ByteArrayOutputStream responseBody = new ByteArrayOutputStream();
  private final String method;
  private final String path;
  private final String query;
  private final byte[] body;
  private int status = 200;
  private boolean committed;

  /**
   * @param method the HTTP method
   * @param path the request path
   * @param query the query string, or empty
   * @param body the request body
   */
  public MemoryExchange(String method, String path, String query, byte[] body) {
    this.method = method;
    this.path = path;
    this.query = query;
    this.body = body;
  }

  /** Adds a request header. */
  public MemoryExchange header(String name, String value) {
    requestHeaders.computeIfAbsent(name.toLowerCase(Locale.ROOT), n -> new ArrayList<>()).add(value);
    return this;
  }

  /**
   * @param name a response header name, as set
   * @return its values, empty when unset
   */
  public List<String> responseHeader(String name) {
    return responseHeaders.getOrDefault(name, List.of());
  }

  /** @return the response status */
  public int status() {
    return status;
  }

  /** @return the response body written so far */
  public byte[] responseBody() {
    return responseBody.toByteArray();
  }

  /** @return the request */
  public GitRequest request() {
    return new GitRequest() {
      @Override
      public String method() {
        return method;
      }

      @Override
      public String path() {
        return path;
      }

      @Override
      public String query() {
        return query;
      }

      @Override
      public String header(String name) {
        List<String> values = headers(name);
        return values.isEmpty() ? null : values.get(0);
      }

      @Override
      public List<String> headers(String name) {
        return requestHeaders.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
      }

      @Override
      public InputStream body() {
        return new ByteArrayInputStream(body);
      }

      @Override
      public String remoteAddress() {
        return "127.0.0.1";
      }
    };
  }

  /** @return the response */
  public GitResponse response() {
    return new GitResponse() {
      @Override
      public void setStatus(int code) {
        if (!committed) {
          status = code;
        }
      }

      @Override
      public void setHeader(String name, String value) {
        if (!committed) {
          responseHeaders.put(name, new ArrayList<>(List.of(value)));
        }
      }

      @Override
      public void addHeader(String name, String value) {
        if (!committed) {
          responseHeaders.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
        }
      }

      @Override
      public boolean isCommitted() {
        return committed;
      }

      @Override
      public OutputStream body() {
        committed = true;
        return responseBody;
      }
    };
  }
}
