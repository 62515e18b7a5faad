package dev.goblet.servlet;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metered;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.goblet.GobletProxy;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Answers {@code GET} with every metric of the proxy's registry ({@link
 * GobletProxy#metricRegistry()}: the host's, when it passed one) as JSON:
 *
 * <pre>{@code
 * {"counters":{"goblet.ls-refs-cache.hits":{"count":3}},
 *  "gauges":{"goblet.upstream.available":{"value":1}},
 *  "meters":{"goblet.inbound.response-bytes":{"count":1024,"mean_rate":..,"m1_rate":..,
 *            "m5_rate":..,"m15_rate":..}},
 *  "histograms":{"goblet.ls-refs-cache.served-age-seconds":{"count":1,"min":..,"max":..,
 *                "mean":..,"p50":..,"p99":..}},
 *  "timers":{"goblet.inbound.fetch.served-locally.ok":{"count":2,"min_ms":..,"max_ms":..,
 *            "mean_ms":..,"p50_ms":..,"p99_ms":..,"mean_rate":..,"m1_rate":..,"m5_rate":..,
 *            "m15_rate":..}}}
 * }</pre>
 *
 * <p>Rates are per second. A gauge whose value is not a number, boolean or string is written as its
 * string form; a gauge that throws is written as null. Mount it where the host wants; it asks for no
 * authorization (metric names and values hold no secrets). It never closes the proxy or the
 * registry. Thread-safe.
 */
public class GobletMetricsServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final double NANOS_PER_MILLI = 1_000_000.0;

  private final transient GobletProxy proxy;

  /** @param proxy the proxy whose registry to show; never closed here */
  public GobletMetricsServlet(GobletProxy proxy) {
    this.proxy = Objects.requireNonNull(proxy, "proxy");
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    JsonResponses.send(response, 200, toJson(proxy.metricRegistry()));
  }

  /**
   * @param registry a registry
   * @return its metrics as JSON
   */
  static JsonObject toJson(MetricRegistry registry) {
    JsonObject json = new JsonObject();
    json.add("counters", section(registry.getCounters(), GobletMetricsServlet::counter));
    json.add("gauges", section(registry.getGauges(), GobletMetricsServlet::gauge));
    json.add("meters", section(registry.getMeters(), GobletMetricsServlet::meter));
    json.add("histograms", section(registry.getHistograms(), GobletMetricsServlet::histogram));
    json.add("timers", section(registry.getTimers(), GobletMetricsServlet::timer));
    return json;
  }

  private static <M> JsonObject section(Map<String, M> metrics, Function<M, JsonObject> toJson) {
    JsonObject section = new JsonObject();
    metrics.forEach((name, metric) -> section.add(name, toJson.apply(metric)));
    return section;
  }

  private static JsonObject counter(Counter counter) {
    JsonObject json = new JsonObject();
    json.addProperty("count", counter.getCount());
    return json;
  }

  private static JsonObject gauge(Gauge<?> gauge) {
    JsonObject json = new JsonObject();
    json.add("value", gaugeValue(gauge));
    return json;
  }

  private static JsonElement gaugeValue(Gauge<?> gauge) {
    Object value;
    try {
      value = gauge.getValue();
    } catch (RuntimeException e) {
      return JsonNull.INSTANCE;
    }
    if (value == null) {
      return JsonNull.INSTANCE;
    }
    if (value instanceof Number number) {
      return new JsonPrimitive(number);
    }
    if (value instanceof Boolean bool) {
      return new JsonPrimitive(bool);
    }
    return new JsonPrimitive(String.valueOf(value));
  }

  private static JsonObject meter(Meter meter) {
    JsonObject json = new JsonObject();
    json.addProperty("count", meter.getCount());
    rates(json, meter);
    return json;
  }

  private static JsonObject histogram(Histogram histogram) {
    JsonObject json = new JsonObject();
    json.addProperty("count", histogram.getCount());
    Snapshot snapshot = histogram.getSnapshot();
    json.addProperty("min", snapshot.getMin());
    json.addProperty("max", snapshot.getMax());
    json.addProperty("mean", snapshot.getMean());
    json.addProperty("p50", snapshot.getMedian());
    json.addProperty("p99", snapshot.get99thPercentile());
    return json;
  }

  private static JsonObject timer(Timer timer) {
    JsonObject json = new JsonObject();
    json.addProperty("count", timer.getCount());
    Snapshot snapshot = timer.getSnapshot();
    json.addProperty("min_ms", snapshot.getMin() / NANOS_PER_MILLI);
    json.addProperty("max_ms", snapshot.getMax() / NANOS_PER_MILLI);
    json.addProperty("mean_ms", snapshot.getMean() / NANOS_PER_MILLI);
    json.addProperty("p50_ms", snapshot.getMedian() / NANOS_PER_MILLI);
    json.addProperty("p99_ms", snapshot.get99thPercentile() / NANOS_PER_MILLI);
    rates(json, timer);
    return json;
  }

  private static void rates(JsonObject json, Metered metered) {
    json.addProperty("mean_rate", metered.getMeanRate());
    json.addProperty("m1_rate", metered.getOneMinuteRate());
    json.addProperty("m5_rate", metered.getFiveMinuteRate());
    json.addProperty("m15_rate", metered.getFifteenMinuteRate());
  }
}
