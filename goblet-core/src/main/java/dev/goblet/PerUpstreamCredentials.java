package dev.goblet;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link UpstreamCredentials#perUpstream}: each upstream base URL has its own credentials; a
 * repository gets those of the longest base that covers it, and one no base covers gets none.
 * Immutable and thread-safe when the credentials it holds are.
 */
final class PerUpstreamCredentials implements UpstreamCredentials {
  private record Entry(UpstreamBase base, UpstreamCredentials credentials) {}

  private final List<Entry> entries;

  PerUpstreamCredentials(Map<URI, ? extends UpstreamCredentials> byBaseUrl) {
    Objects.requireNonNull(byBaseUrl, "byBaseUrl");
    List<Entry> list = new ArrayList<>();
    byBaseUrl.forEach(
        (base, credentials) ->
            list.add(
                new Entry(
                    UpstreamBase.of(base),
                    Objects.requireNonNull(credentials, "credentials of " + base))));
    if (list.stream().map(Entry::base).distinct().count() != list.size()) {
      throw new IllegalArgumentException("an upstream base is listed twice: " + byBaseUrl.keySet());
    }
    list.sort(Comparator.comparingInt((Entry e) -> e.base().pathPrefix().length()).reversed());
    this.entries = List.copyOf(list);
  }

  @Override
  public Optional<String> authorization(URI upstream) throws IOException {
    for (Entry entry : entries) {
      if (entry.base().covers(upstream)) {
        return entry.credentials().authorization(upstream);
      }
    }
    return Optional.empty();
  }
}
