package dev.goblet.servlet.testing;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Plain HTTP requests for the JSON endpoints (admin, health, metrics). Thread-safe. */
public final class Http {
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private Http() {}

  /**
   * @param method the HTTP method
   * @param url the URL
   * @param body the request body, or {@code null} for none
   * @param headers header names and values, alternating
   * @return the response with its body as text
   * @throws Exception when the exchange fails
   */
  public static HttpResponse<String> send(String method, String url, String body, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** {@code GET url} with the given headers. */
  public static HttpResponse<String> get(String url, String... headers) throws Exception {
    return send("GET", url, null, headers);
  }

  /** @return the response body parsed as a JSON object */
  public static JsonObject json(HttpResponse<String> response) {
    JsonElement json = JsonParser.parseString(response.body());
    if (!json.isJsonObject()) {
      throw new AssertionError("not a JSON object: " + response.body());
    }
    return json.getAsJsonObject();
  }
}
