package dev.goblet;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * Wraps one request and its response to count body bytes and remember the status, for the
 * request logger. Used by one thread.
 */
final class MeteredExchange {
  private final GitRequest request;
  private final GitResponse response;
  private long requestBytes;
  private long responseBytes;
  private int status = 200;
  private InputStream body;
  private OutputStream out;

  MeteredExchange(GitRequest request, GitResponse response) {
    this.request = request;
    this.response = response;
  }

  long requestBytes() {
    return requestBytes;
  }

  long responseBytes() {
    return responseBytes;
  }

  int status() {
    return status;
  }

  GitRequest request() {
    return new GitRequest() {
      @Override
      public String method() {
        return request.method();
      }

      @Override
      public String path() {
        return request.path();
      }

      @Override
      public String query() {
        return request.query();
      }

      @Override
      public String header(String name) {
        return request.header(name);
      }

      @Override
      public List<String> headers(String name) {
        return request.headers(name);
      }

      @Override
      public InputStream body() {
        if (body == null) {
          body =
              new FilterInputStream(request.body()) {
                @Override
                public int read() throws IOException {
                  int b = super.read();
                  if (b >= 0) {
                    requestBytes++;
                  }
                  return b;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                  int n = super.read(buffer, offset, length);
                  if (n > 0) {
                    requestBytes += n;
                  }
                  return n;
                }

                @Override
                public void close() {
                  // the host owns the stream
                }
              };
        }
        return body;
      }

      @Override
      public String remoteAddress() {
        return request.remoteAddress();
      }
    };
  }

  GitResponse response() {
    return new GitResponse() {
      @Override
      public void setStatus(int code) {
        if (!response.isCommitted()) {
          status = code;
          response.setStatus(code);
        }
      }

      @Override
      public void setHeader(String name, String value) {
        response.setHeader(name, value);
      }

      @Override
      public void addHeader(String name, String value) {
        response.addHeader(name, value);
      }

      @Override
      public boolean isCommitted() {
        return response.isCommitted();
      }

      @Override
      public OutputStream body() throws IOException {
        if (out == null) {
          out =
              new FilterOutputStream(response.body()) {
                @Override
                public void write(int b) throws IOException {
                  responseBytes++;
                  super.out.write(b);
                }

                @Override
                public void write(byte[] buffer, int offset, int length) throws IOException {
                  responseBytes += length;
                  super.out.write(buffer, offset, length);
                }

                @Override
                public void close() throws IOException {
                  flush(); // the host owns the stream
                }
              };
        }
        return out;
      }
    };
  }
}
